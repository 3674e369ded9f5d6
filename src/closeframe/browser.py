"""What each browser engine does with a server's close frame, and with ``close()``.

The default rules of :func:`~closeframe.parse_close_payload` are RFC 6455's,
read strictly (as the Autobahn suite reads them).  Browsers are more lenient
on some points, stricter on others, answer failures their own way, and
disagree with each other.  This module predicts, for each of the three
engines, what a page sees and what the browser sends back when a server
sends some bytes and then does something with TCP; and what a page's
``WebSocket.close(code, reason)`` sends or throws.  It is chosen explicitly,
never the default.

:data:`ENGINES` maps ``"chromium"``, ``"firefox"`` and ``"webkit"`` to one
:class:`BrowserPolicy` each, all built from one shared core and one table of
the ways the engines differ (``_RULES`` below).  Each was checked against
the engine build named by its :attr:`~BrowserPolicy.CHECKED_WITH`, by
``tests/browser/`` in real browsers.  The WebKit policy is WebKitGTK's: its
network layer is libsoup, not the one Safari uses on Apple's systems.

>>> from closeframe.browser import ENGINES
>>> frame = bytes.fromhex("8802") + (1012).to_bytes(2, "big")  # 1012: service restart
>>> ENGINES["chromium"].receive(frame).close_event
CloseEvent(code=<CloseCode.SERVICE_RESTART: 1012>, reason='', was_clean=True)
>>> webkit = ENGINES["webkit"].receive(frame)  # libsoup accepts fewer codes than the RFC
>>> webkit.error_event, webkit.close_event.code, webkit.reply
(True, <CloseCode.ABNORMAL_CLOSURE: 1006>, b'\\x03\\xea')

:data:`BROWSER` is the Chromium policy, as before there were three:

>>> from closeframe.browser import BROWSER, predict_browser_close_event, predict_browser_reply
>>> BROWSER.parse(b"\\x07\\xd0why")  # 2000: refused by the strict rules
Close(code=2000, reason='why')
>>> predict_browser_close_event(b"\\x07\\xd0why")
CloseEvent(code=2000, reason='why', was_clean=True)
>>> predict_browser_reply(b"\\x03\\xe8\\xff")  # not UTF-8
b'\\x03\\xeaInvalid UTF-8 in Close frame'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Literal, NamedTuple

from ._util import bytes_view, check_code, check_reason, to_usv_string
from .codes import (
    MAX_CODE,
    MAX_PAYLOAD_BYTES,
    MAX_REASON_BYTES,
    PROTOCOL_ONLY_CODES,
    CloseCode,
    is_script_allowed,
    is_sendable,
)
from .errors import (
    CloseFrameError,
    CloseSyntaxError,
    InvalidAccessError,
    InvalidReasonError,
    TruncatedPayloadError,
)
from .events import CloseEvent
from .frame import CLOSE_OPCODE, mask_payload
from .payload import Buffer, Close, make_parser

__all__ = [
    "BROWSER",
    "CHECKED_WITH",
    "ENGINES",
    "SERVER_CLOSES",
    "STRICT",
    "BrowserOutcome",
    "BrowserPolicy",
    "predict_browser_close_event",
    "predict_browser_outcome",
    "predict_browser_reply",
    "validate_browser_close",
]

#: What the server does with TCP right after sending its bytes.
ServerCloses = Literal["after-reply", "fin", "close", "rst"]
#: Every value of ``server_closes``: wait for the browser's close frame and
#: then close; half-close (``shutdown(SHUT_WR)``) at once; close at once;
#: reset at once (``SO_LINGER`` 0).
SERVER_CLOSES: tuple[ServerCloses, ...] = ("after-reply", "fin", "close", "rst")


class BrowserOutcome(NamedTuple):
    """How a browser reacts to what the server sent (or to nothing).

    ``error_event``: does the page get an ``error`` event before ``close``?
    ``close_event``: the page's ``CloseEvent``.  ``reply``: the payload of
    the close frame the browser sends back, or ``None`` when none reaches
    the server (it sends none, or the server closed TCP first).
    ``uncertain``: the names of the fields the real engine does not answer
    the same way from one run to the next; the value given for them is one
    it was seen to give.
    """

    error_event: bool
    close_event: CloseEvent
    reply: bytes | None
    uncertain: frozenset[str] = frozenset()


# -- the table of differences ---------------------------------------------------

# Why a browser fails the connection.  Each engine answers each failure with
# its own close frame, or none (see _Rules.failure_replies).
_FAILURES = (
    "reserved-bits",  # RSV1-3 set, no extension agreed (§5.2)
    "opcode",  # a reserved opcode (§5.2)
    "fragmented",  # FIN clear on a control frame (§5.5)
    "length",  # a control frame's payload over 125 bytes, or its length in the 16/64-bit form
    "masked",  # a masked frame from the server (§5.1)
    "one-byte",  # a 1-byte close payload (§5.5.1)
    "code",  # a close code the engine refuses
    "utf-8",  # a reason that is not UTF-8 (§8.1)
)

_PROTOCOL_ERROR = b"\x03\xea"  # 1002: every engine fails a bad close frame with it


class _TcpRule(NamedTuple):
    """What a page sees when the server closes TCP right after a valid close frame."""

    error_event: bool
    #: "clean": the close's code and reason, clean; "unclean": the same, not
    #: clean; "abnormal": 1006, as if no close frame had arrived.
    event: Literal["clean", "unclean", "abnormal"]
    #: Does the browser's echo reach the server (a half-closed socket still reads)?
    replies: bool
    uncertain: frozenset[str] = frozenset()


class _Rules(NamedTuple):
    """One engine's departures from the shared core (BrowserPolicy)."""

    name: str
    checked_with: str
    #: The codes a received close frame may carry without failing the connection.
    accepts_code: Callable[[int], bool]
    #: A 1-byte payload reads as no status code (1005) instead of failing.
    one_byte_is_empty: bool
    #: The payload sent back for an empty close frame.
    empty_reply: bytes
    #: Codes answered with an empty close frame instead of an echo.
    not_echoed: frozenset[int]
    #: A reason ends at its first NUL, received or passed to close().
    reason_ends_at_nul: bool
    #: A masked frame from the server is unmasked and read, not refused.
    accepts_masked: bool
    #: The payload it sends back for each failure, or None: it sends no close frame.
    failure_replies: Mapping[str, bytes] | None
    #: Any frame after the close (data, ping, a second close) fails the connection.
    fails_after_close: bool
    #: What the page sees per server_closes mode other than "after-reply".
    tcp: Mapping[str, _TcpRule]
    #: Does a TCP reset with no close frame fire an error event?
    error_on_reset: bool
    #: WebIDL ``[Clamp] unsigned short`` of a finite number already in 0-65535.
    round_code: Callable[[float], int]
    #: ``close(undefined, reason)``: throw InvalidAccessError (code 0), or
    #: send a close frame with no body (the reason dropped), as WHATWG says.
    undefined_code_with_reason: Literal["throw", "empty"]
    #: ``close(undefined, reason)`` checks the reason's length too.
    checks_reason_without_code: bool


# What a race between the close frame and the server's FIN or reset leaves
# open: the prediction is the answer most runs gave.
_RACE_EVENT = frozenset({"close_event"})
_RACE_BOTH = frozenset({"close_event", "error_event"})


def _round_half_even(value: float) -> int:
    return round(value)  # Python's round() is WebIDL's: ties to even


def _truncate(value: float) -> int:
    return math.trunc(value)


def _all_but_protocol_only(code: int) -> bool:
    return code not in PROTOCOL_ONLY_CODES


def _any(code: int) -> bool:
    return True


def _libsoup_code(code: int) -> bool:
    # libsoup's list (soup-websocket-connection.c): 1000-1003, 1007-1011 and
    # the ranges for libraries and applications; 1012-1014 came later to the
    # IANA registry and libsoup never took them.
    return 1000 <= code <= 1003 or 1007 <= code <= 1011 or 3000 <= code <= 4999


_RULES: dict[str, _Rules] = {
    "chromium": _Rules(
        name="chromium",
        checked_with="Chromium 156.0.8078.114 (Debian)",
        accepts_code=_all_but_protocol_only,
        one_byte_is_empty=False,
        empty_reply=b"",
        not_echoed=frozenset(),
        reason_ends_at_nul=False,
        accepts_masked=False,
        # Chromium's own words (net/websockets/websocket_channel.cc); they may
        # change between versions, and tests/browser/ checks them.
        failure_replies={
            failure: _PROTOCOL_ERROR + reason
            for failure, reason in {
                "reserved-bits": b"Invalid reserved bit",
                "opcode": b"Unknown opcode",
                "fragmented": b"WebSocket Protocol Error",
                "length": b"WebSocket Protocol Error",
                "masked": b"Masked frame from server",
                "one-byte": b"",
                "code": b"",
                "utf-8": b"Invalid UTF-8 in Close frame",
            }.items()
        },
        fails_after_close=True,
        # Closed or reset at once: whether the close frame is read before
        # the FIN or the reset is a race (measured: 4 runs of 5 as here).
        tcp={
            "fin": _TcpRule(False, "clean", replies=True),
            "close": _TcpRule(False, "clean", False, _RACE_EVENT),
            "rst": _TcpRule(False, "abnormal", False, _RACE_EVENT),
        },
        error_on_reset=False,
        round_code=_truncate,
        undefined_code_with_reason="throw",
        checks_reason_without_code=True,
    ),
    "firefox": _Rules(
        name="firefox",
        checked_with="Firefox 153.8.0esr (Debian)",
        accepts_code=_any,
        one_byte_is_empty=True,
        empty_reply=b"",
        not_echoed=frozenset({0, *PROTOCOL_ONLY_CODES}),
        reason_ends_at_nul=False,
        accepts_masked=True,
        failure_replies=None,
        fails_after_close=False,
        # Whether the close counts as clean depends on which thread wins
        # (unclean in 7 runs of 8; with a reset, 4 of 5 as here).
        tcp={
            "fin": _TcpRule(False, "unclean", replies=False),
            "close": _TcpRule(False, "unclean", False, _RACE_EVENT),
            "rst": _TcpRule(True, "unclean", False, _RACE_BOTH),
        },
        error_on_reset=True,
        round_code=_round_half_even,
        undefined_code_with_reason="empty",
        checks_reason_without_code=True,
    ),
    "webkit": _Rules(
        name="webkit",
        checked_with="WebKitGTK 2.50.6 with libsoup 3.2.3 (Debian)",
        accepts_code=_libsoup_code,
        one_byte_is_empty=False,
        empty_reply=b"\x03\xe8",
        not_echoed=frozenset(),
        reason_ends_at_nul=True,
        accepts_masked=False,
        failure_replies=dict.fromkeys(_FAILURES, _PROTOCOL_ERROR),
        fails_after_close=False,
        # Races, as in Chromium: 7 runs of 10 as here, with MiniBrowser
        # started directly or through WebKitWebDriver.
        tcp={
            "fin": _TcpRule(False, "clean", replies=True),
            "close": _TcpRule(False, "clean", False, _RACE_BOTH),
            "rst": _TcpRule(True, "abnormal", False, _RACE_EVENT),
        },
        error_on_reset=True,
        round_code=_truncate,
        undefined_code_with_reason="empty",
        checks_reason_without_code=False,
    ),
}


# The RFC and the WHATWG standard read strictly, as the default parser reads
# them: the reference the engines are compared with (STRICT), not an engine.
_STRICT_RULES = _Rules(
    name="strict",
    checked_with="RFC 6455 and the WHATWG WebSockets standard, read strictly",
    accepts_code=is_sendable,
    one_byte_is_empty=False,
    empty_reply=b"",
    not_echoed=frozenset(),
    reason_ends_at_nul=False,
    accepts_masked=False,
    # §7.4.1: 1002 for a protocol error; §8.1: 1007 for a reason not UTF-8.
    failure_replies={**dict.fromkeys(_FAILURES, _PROTOCOL_ERROR), "utf-8": b"\x03\xef"},
    # §5.5.1: frames after a close are not for the application, which still
    # sees the close (ClosingHandshake.discard_incoming).
    fails_after_close=False,
    tcp={
        # The close arrived and was answered: the handshake is complete
        # (WHATWG: closed cleanly), whenever the server then closes.  A reset
        # is not a clean close of TCP.
        "fin": _TcpRule(False, "clean", replies=True),
        "close": _TcpRule(False, "clean", replies=False),
        "rst": _TcpRule(False, "unclean", replies=False),
    },
    error_on_reset=False,
    round_code=_round_half_even,
    undefined_code_with_reason="empty",
    checks_reason_without_code=True,
)


# -- the shared core --------------------------------------------------------------

_FIN = 0x80
_RSV = 0x70
_OPCODE = 0x0F
_MASK = 0x80
_LENGTH = 0x7F
_KNOWN_OPCODES = frozenset({0x0, 0x1, 0x2, 0x8, 0x9, 0xA})


class _Frame(NamedTuple):
    first: int
    second: int
    payload: bytes  # as it was sent, still masked if it was


def _frames(stream: bytes) -> list[_Frame]:
    """The complete frames at the start of *stream*; an incomplete one ends the list."""
    frames = []
    offset = 0
    while offset + 2 <= len(stream):
        first, second = stream[offset], stream[offset + 1]
        length, offset = second & _LENGTH, offset + 2
        size = {126: 2, 127: 8}.get(length, 0)
        if size:
            length = int.from_bytes(stream[offset : offset + size], "big")
            offset += size
        key = 4 if second & _MASK else 0
        end = offset + key + length
        if end > len(stream):
            break  # the browser would wait for the rest
        frames.append(_Frame(first, second, stream[offset:end]))
        offset = end
    return frames


class BrowserPolicy:
    """One engine's rules, shaped like :class:`~closeframe.CloseCodec`.

    :meth:`receive` takes the whole byte stream a server sends after the
    opening handshake; :meth:`parse` and :meth:`outcome` are its view of a
    single close payload; :meth:`validate_application_close` is the page's
    ``WebSocket.close()``.
    """

    __slots__ = ("_parse_payload", "_rules")

    def __init__(self, rules: _Rules) -> None:
        self._rules = rules
        # The strict parser's checks, in their order, over this engine's codes.
        self._parse_payload = make_parser(
            [c for c in range(MAX_CODE + 1) if rules.accepts_code(c)]
        )

    @property
    def name(self) -> str:
        """``"chromium"``, ``"firefox"``, ``"webkit"``, or ``"strict"``."""
        return self._rules.name

    @property
    def CHECKED_WITH(self) -> str:  # noqa: N802  (the name other code depends on)
        """The engine build the predictions were checked against."""
        return self._rules.checked_with

    def __repr__(self) -> str:
        if self is BROWSER:
            return "BROWSER"
        return "STRICT" if self is STRICT else f"ENGINES[{self.name!r}]"

    def parse(self, data: Buffer) -> Close:
        """Parse a close payload the way this engine does; raise what makes it fail."""
        try:
            close = self._parse_payload(data)  # one read of the caller's buffer
        except TruncatedPayloadError:  # exactly 1 byte
            if self._rules.one_byte_is_empty:
                return Close(CloseCode.NO_STATUS_RCVD)
            raise
        if self._rules.reason_ends_at_nul and "\0" in close.reason:
            return Close(close.code, close.reason.partition("\0")[0])
        return close

    def outcome(self, payload: Buffer | None) -> BrowserOutcome:
        """:meth:`receive` for one unmasked close frame around *payload*.

        ``None``: the server closed TCP without a close frame.

        >>> error_event, close_event, reply, _ = BROWSER.outcome(b"\\x03\\xe8bye")
        >>> error_event, reply
        (False, b'\\x03\\xe8bye')
        >>> close_event
        CloseEvent(code=<CloseCode.NORMAL_CLOSURE: 1000>, reason='bye', was_clean=True)
        >>> BROWSER.outcome(b"\\x03\\xee").error_event  # 1006 on the wire: Chromium fails
        True
        >>> BROWSER.outcome(None).close_event  # TCP closed without a close frame
        CloseEvent(code=<CloseCode.ABNORMAL_CLOSURE: 1006>, reason='', was_clean=False)
        """
        if payload is None:
            return self.receive(None, server_closes="close")
        with bytes_view(payload, "payload") as view:
            if view.nbytes > MAX_PAYLOAD_BYTES:
                # Only the 16-bit length form can carry it, which a control
                # frame never uses: refused from the header.
                return self._fail("length", "after-reply")
            data = view.tobytes()
        return self.receive(bytes((_FIN | CLOSE_OPCODE, len(data))) + data)

    def receive(
        self, data: Buffer | None, *, server_closes: ServerCloses = "after-reply"
    ) -> BrowserOutcome:
        """What the page sees and the browser sends back after the server sends *data*.

        *data* is the whole byte stream the server sends after the opening
        handshake (one or more frames, headers included), or ``None`` when
        it sends nothing.  *server_closes* is what the server then does with
        TCP (:data:`SERVER_CLOSES`); when no close frame was sent,
        ``"after-reply"`` waits for nothing and means ``"close"``.

        >>> from closeframe import encode_close_frame
        >>> frame = encode_close_frame(1000, "bye")
        >>> half_closed = ENGINES["firefox"].receive(frame, server_closes="fin")
        >>> half_closed.close_event  # the code arrived, but Firefox calls it unclean
        CloseEvent(code=<CloseCode.NORMAL_CLOSURE: 1000>, reason='bye', was_clean=False)
        >>> half_closed.reply is None  # and sends nothing back
        True
        """
        if server_closes not in SERVER_CLOSES:
            raise ValueError(
                f"server_closes must be one of {SERVER_CLOSES}, not {server_closes!r}"
            )
        frames = [] if data is None else _frames(_read_stream(data))
        for index, frame in enumerate(frames):
            failure = self._header_failure(frame)
            if failure is not None:
                return self._fail(failure, server_closes)
            if frame.first & _OPCODE != CLOSE_OPCODE:
                continue  # messages and pings before the close: not this module's business
            payload = frame.payload
            if frame.second & _MASK:
                payload = mask_payload(payload[4:], payload[:4])
            try:
                close = self.parse(payload)
            except CloseFrameError as exc:
                return self._fail(_failure_of(exc), server_closes)
            return self._closed(close, payload, index + 1 < len(frames), server_closes)
        # No close frame: the server just closed the connection.
        rules = self._rules
        error = server_closes == "rst" and rules.error_on_reset
        return BrowserOutcome(error, CloseEvent.abnormal(), None)

    def _header_failure(self, frame: _Frame) -> str | None:
        first, second = frame.first, frame.second
        opcode = first & _OPCODE
        if first & _RSV:
            return "reserved-bits"
        if opcode not in _KNOWN_OPCODES:
            return "opcode"
        if second & _MASK and not self._rules.accepts_masked:
            return "masked"
        if opcode >= CLOSE_OPCODE:  # a control frame (§5.5)
            if not first & _FIN:
                return "fragmented"
            if second & _LENGTH > MAX_PAYLOAD_BYTES:
                return "length"
        return None

    def _fail(self, failure: str, server_closes: ServerCloses) -> BrowserOutcome:
        replies = self._rules.failure_replies
        reply = None if replies is None else replies[failure]
        if server_closes in ("close", "rst"):
            reply = None  # nothing the browser writes reaches a closed server
        return BrowserOutcome(True, CloseEvent.abnormal(), reply)

    def _closed(
        self, close: Close, payload: bytes, more: bool, server_closes: ServerCloses
    ) -> BrowserOutcome:
        rules = self._rules
        if not payload:
            reply = rules.empty_reply
        elif len(payload) == 1 or close.code in rules.not_echoed:
            reply = b""  # what it read as no status, or will not send back
        elif rules.reason_ends_at_nul:
            reply = payload[:2] + close.reason.encode()  # the reason as it kept it
        else:
            reply = payload  # an echo, byte for byte (§5.5.1)
        if more and rules.fails_after_close:
            # The echo went out before the next frame was read.
            return BrowserOutcome(True, CloseEvent.abnormal(), reply)
        clean = CloseEvent.from_close(close, was_clean=True)
        if server_closes == "after-reply":
            return BrowserOutcome(False, clean, reply)
        tcp = rules.tcp[server_closes]
        if tcp.event == "abnormal":
            event = CloseEvent.abnormal()
        else:
            event = CloseEvent.from_close(close, was_clean=tcp.event == "clean")
        return BrowserOutcome(
            tcp.error_event, event, reply if tcp.replies else None, tcp.uncertain
        )

    def validate_application_close(
        self, code: float | None = None, reason: str | None = None
    ) -> Close:
        """This engine's ``WebSocket.close(code, reason)``: what it sends, or what it throws.

        ``None`` stands for ``undefined``.  *code* may be an ``int`` or a
        ``float`` (a JavaScript number): it goes through this engine's
        conversion to WebIDL's ``[Clamp] unsigned short`` first (NaN is 0,
        the rest clamped to 0-65535; Firefox then rounds half to even as
        WebIDL says, Chromium and WebKit cut the fraction off), so the error
        names the converted code, as the engines' messages do.  Then, like
        :func:`~closeframe.validate_application_close`, the code is checked
        before the reason, and a lone surrogate in the reason becomes U+FFFD.

        >>> BROWSER.validate_application_close(reason="bye")
        Traceback (most recent call last):
          ...
        closeframe.errors.InvalidAccessError: InvalidAccessError: close code 0 is neither ...
        >>> ENGINES["firefox"].validate_application_close(reason="bye")  # the reason is dropped
        Close(code=<CloseCode.NO_STATUS_RCVD: 1005>, reason='')
        >>> BROWSER.validate_application_close(4999.5)  # cut to 4999
        Close(code=4999, reason='')
        >>> ENGINES["firefox"].validate_application_close(999.9)  # rounded to 1000
        Close(code=<CloseCode.NORMAL_CLOSURE: 1000>, reason='')
        """
        rules = self._rules
        if code is None:
            if reason is None:
                return Close(CloseCode.NO_STATUS_RCVD)
            if rules.undefined_code_with_reason == "throw":
                raise InvalidAccessError(0)  # [Clamp] converts undefined to 0
            if rules.checks_reason_without_code:
                self._reason(reason)
            return Close(CloseCode.NO_STATUS_RCVD)
        converted = self._convert(code)
        if not is_script_allowed(converted):
            raise InvalidAccessError(converted)
        return Close(converted, self._reason("" if reason is None else reason))

    def _convert(self, code: float) -> int:
        if type(code) is float:
            if math.isnan(code):
                return 0
            if not 0 <= code <= MAX_CODE:
                return 0 if code < 0 else MAX_CODE
            return self._rules.round_code(code)
        return min(max(check_code(code), 0), MAX_CODE)

    def _reason(self, reason: str) -> str:
        reason = to_usv_string(check_reason(reason))
        encoded = reason.encode()
        if len(encoded) > MAX_REASON_BYTES:
            raise CloseSyntaxError(len(encoded))
        if self._rules.reason_ends_at_nul:
            reason = reason.partition("\0")[0]
        return reason


def _read_stream(data: Buffer) -> bytes:
    """A server's byte stream, read once, of any length."""
    if type(data) is bytes:
        return data
    with bytes_view(data, "frame") as view:
        return view.tobytes()


def _failure_of(error: CloseFrameError) -> str:
    if isinstance(error, InvalidReasonError):
        return "utf-8"
    if isinstance(error, TruncatedPayloadError):
        return "one-byte"
    return "code"  # over 125 bytes cannot get here: the header said so first


#: One policy per engine, each checked against the build in its CHECKED_WITH:
#: ``"chromium"`` (:data:`BROWSER`), ``"firefox"`` and ``"webkit"``.
#:
#: :meta hide-value:
ENGINES: Mapping[str, BrowserPolicy] = {
    name: BrowserPolicy(rules) for name, rules in _RULES.items()
}
#: RFC 6455 and the WHATWG standard, read strictly, in the shape of an
#: engine's policy: what the engines are compared with.
STRICT = BrowserPolicy(_STRICT_RULES)
#: The Chromium policy (the only one before Firefox and WebKit were measured).
BROWSER = ENGINES["chromium"]
#: The Chromium build :data:`BROWSER` was checked against.
CHECKED_WITH = BROWSER.CHECKED_WITH


def predict_browser_outcome(payload: Buffer | None) -> BrowserOutcome:
    """``BROWSER.outcome(payload)``: error event, CloseEvent and reply together."""
    return BROWSER.outcome(payload)


def predict_browser_close_event(payload: Buffer | None) -> CloseEvent:
    """The ``CloseEvent`` a Chromium page sees after the server sends this close payload.

    ``None`` means the server closed TCP without a close frame.

    >>> predict_browser_close_event(b"")
    CloseEvent(code=<CloseCode.NO_STATUS_RCVD: 1005>, reason='', was_clean=True)
    >>> predict_browser_close_event(b"\\x03")  # half a code: Chromium fails
    CloseEvent(code=<CloseCode.ABNORMAL_CLOSURE: 1006>, reason='', was_clean=False)
    """
    return BROWSER.outcome(payload).close_event


def predict_browser_reply(payload: Buffer | None) -> bytes | None:
    """The payload of the close frame Chromium sends back, or ``None`` if it sends none.

    >>> predict_browser_reply(b"\\x13\\x88")  # 5000, echoed though the RFC forbids it
    b'\\x13\\x88'
    >>> predict_browser_reply(b"\\x03\\xed")  # 1005 on the wire: 1002, no reason
    b'\\x03\\xea'
    """
    return BROWSER.outcome(payload).reply


def validate_browser_close(code: float | None = None, reason: str | None = None) -> Close:
    """``BROWSER.validate_application_close``: Chromium's ``WebSocket.close()`` checks.

    >>> validate_browser_close()  # close(): an empty close frame
    Close(code=<CloseCode.NO_STATUS_RCVD: 1005>, reason='')
    >>> validate_browser_close(70000)
    Traceback (most recent call last):
      ...
    closeframe.errors.InvalidAccessError: InvalidAccessError: close code 65535 is neither ...
    """
    return BROWSER.validate_application_close(code, reason)
