"""A browser-compatible policy: what Chromium does with close frames.

The default rules of :func:`~closeframe.parse_close_payload` are RFC 6455's,
read strictly (as the Autobahn suite reads them).  A browser is more lenient
on some points and answers failures its own way.  This module predicts,
for a close payload a server sends, what a Chromium page sees and what
Chromium sends back; it is chosen explicitly, never the default.  It was
checked against Debian's Chromium 156 (:data:`CHECKED_WITH`) by
``tests/browser/``, which runs every row of the table below in a real browser.

=============================  ==============================  ===============================
server sends                   strict policy (default)         Chromium (this module)
=============================  ==============================  ===============================
1000-1003, 1007-1014,          clean close, echoed             same
3000-4999, valid UTF-8
empty payload                  1005, clean, echoed empty       same
0-999, 1004, 1016-2999,        fail: 1002 sent, page sees      **passed through**: clean
5000-65535                     1006                            close with that code, echoed
1005, 1006, 1015               fail: 1002, page sees 1006      same; 1002 with no reason
1-byte payload                 fail: 1002, page sees 1006      same; 1002 with no reason
reason not UTF-8               fail: **1007**, page sees 1006  fail: **1002** "Invalid UTF-8
                                                               in Close frame", page sees 1006
over 125 bytes                 fail: 1002, page sees 1006      same; 1002 "WebSocket
                                                               Protocol Error"
TCP closed, no close frame     1006, not clean                 same, and no ``error`` event
=============================  ==============================  ===============================

Whenever Chromium fails the connection it fires ``error`` before ``close``
and closes TCP itself at once.

>>> from closeframe.browser import BROWSER, predict_browser_close_event
>>> BROWSER.parse(b"\\x07\\xd0why")  # 2000: refused by the strict rules
Close(code=2000, reason='why')
>>> predict_browser_close_event(b"\\x07\\xd0why")
CloseEvent(code=2000, reason='why', was_clean=True)
>>> predict_browser_reply(b"\\x03\\xe8\\xff")  # not UTF-8
b'\\x03\\xeaInvalid UTF-8 in Close frame'
"""

from __future__ import annotations

from typing import NamedTuple

from .application import validate_application_close
from .codes import MAX_CODE, PROTOCOL_ONLY_CODES, CloseCode
from .errors import (
    CloseFrameError,
    InvalidAccessError,
    InvalidReasonError,
    PayloadTooLongError,
    ProtocolOnlyCodeError,
    TruncatedPayloadError,
)
from .events import CloseEvent
from .payload import Buffer, Close, _as_bytes

__all__ = [
    "BROWSER",
    "CHECKED_WITH",
    "BrowserOutcome",
    "BrowserPolicy",
    "predict_browser_close_event",
    "predict_browser_outcome",
    "predict_browser_reply",
    "validate_browser_close",
]

#: The browser build the predictions were checked against.
CHECKED_WITH = "Chromium 156.0.8078 (Debian)"

_PROTOCOL_ERROR = b"\x03\xea"  # 1002: Chromium fails every bad close frame with it
# The reason Chromium puts after 1002, by the error that made it fail (its own
# wording, which may change between versions; tests/browser/ checks it).
_FAILURE_REASONS: dict[type[CloseFrameError], bytes] = {
    PayloadTooLongError: b"WebSocket Protocol Error",
    TruncatedPayloadError: b"",
    ProtocolOnlyCodeError: b"",
    InvalidReasonError: b"Invalid UTF-8 in Close frame",
}


class BrowserOutcome(NamedTuple):
    """How a browser reacts to one close frame from the server (or to none).

    ``error_event``: does the page get an ``error`` event before ``close``?
    ``close_event``: the page's ``CloseEvent``, assuming the server closes
    TCP once the browser answered.  ``reply``: the payload of the close
    frame the browser sends back, or ``None`` when it sends none.
    """

    error_event: bool
    close_event: CloseEvent
    reply: bytes | None


class BrowserPolicy:
    """Chromium's rules for a close frame it receives, shaped like :class:`CloseCodec`.

    :meth:`parse` has the contract of :func:`~closeframe.parse_close_payload`
    and raises the same errors, but accepts every code Chromium accepts:
    anything in 0-65535 except the protocol-only 1005, 1006 and 1015.

    >>> BROWSER.parse(b"\\x03\\xe7")  # 999
    Close(code=999, reason='')
    >>> BROWSER.parse(b"\\x03\\xee")  # 1006
    Traceback (most recent call last):
      ...
    closeframe.errors.ProtocolOnlyCodeError: close code 1006 ... must never be sent
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "BROWSER"

    def parse(self, data: Buffer) -> Close:
        """Parse a close payload the way Chromium does; raise what makes it fail."""
        payload = _as_bytes(data)
        if not payload:
            return Close(CloseCode.NO_STATUS_RCVD)
        if len(payload) == 1:
            raise TruncatedPayloadError(1)
        code = int.from_bytes(payload[:2], "big")
        if code in PROTOCOL_ONLY_CODES:
            raise ProtocolOnlyCodeError(code)
        try:
            reason = payload[2:].decode()
        except UnicodeDecodeError as exc:
            raise InvalidReasonError(exc.start, exc.reason) from None
        return Close(code, reason)

    def outcome(self, payload: Buffer | None) -> BrowserOutcome:
        """What the page sees and the browser answers; ``None``: TCP closed, no frame.

        >>> error_event, close_event, reply = BROWSER.outcome(b"\\x03\\xe8bye")
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
            return BrowserOutcome(False, CloseEvent.abnormal(), None)
        try:
            # Read the caller's bytes once: the echo and the event must
            # describe the same bytes, whatever the object does on a
            # second read (a bytes subclass's __bytes__, a buffer rewritten).
            data = _as_bytes(payload)
            close = self.parse(data)
        except CloseFrameError as exc:
            reply = _PROTOCOL_ERROR + _FAILURE_REASONS[type(exc)]
            return BrowserOutcome(True, CloseEvent.abnormal(), reply)
        # Chromium echoes what it received: the code and reason, or an empty body.
        return BrowserOutcome(False, CloseEvent.from_close(close, was_clean=True), data)

    def validate_application_close(
        self, code: int | None = None, reason: str | None = None
    ) -> Close:
        """Chromium's ``WebSocket.close(code, reason)``: what it sends, or what it throws.

        ``None`` stands for ``undefined``.  As :func:`~closeframe.validate_application_close`
        (the WHATWG steps), with two differences.  The code is clamped to
        0-65535 first (WebIDL ``[Clamp] unsigned short``), so the error names
        the clamped code, as Chromium's message does.  And a reason with no
        code throws: Chromium converts ``close(undefined, reason)`` to code 0
        and refuses it, where the WHATWG text sends 1000:

        >>> BROWSER.validate_application_close(reason="bye")
        Traceback (most recent call last):
          ...
        closeframe.errors.InvalidAccessError: InvalidAccessError: close code 0 is neither ...
        >>> BROWSER.validate_application_close(4000, "bye")
        Close(code=4000, reason='bye')
        """
        if code is None:
            if reason is not None:
                raise InvalidAccessError(0)
        elif type(code) is int:
            code = min(max(code, 0), MAX_CODE)
        return validate_application_close(code, reason)


#: The browser-compatible policy (Chromium's rules), next to the strict default.
BROWSER = BrowserPolicy()


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


def validate_browser_close(code: int | None = None, reason: str | None = None) -> Close:
    """``BROWSER.validate_application_close``: Chromium's ``WebSocket.close()`` checks.

    >>> validate_browser_close()  # close(): an empty close frame
    Close(code=<CloseCode.NO_STATUS_RCVD: 1005>, reason='')
    >>> validate_browser_close(70000)
    Traceback (most recent call last):
      ...
    closeframe.errors.InvalidAccessError: InvalidAccessError: close code 65535 is neither ...
    """
    return BROWSER.validate_application_close(code, reason)
