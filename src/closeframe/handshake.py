"""The closing handshake of one connection, as a sans-IO state machine.

RFC 6455 §5.5.1, §7.1.1-§7.1.7 and the WHATWG WebSockets standard decide
what happens when a connection closes.  :class:`ClosingHandshake` is told
what happened (the application asked to close, a close frame arrived, the
transport closed) and answers what to send, whether to close the transport,
and finally which :class:`CloseEvent` the application sees.
"""

from __future__ import annotations

import enum
import os
from collections import namedtuple
from collections.abc import Callable

from ._util import read_mask_key
from .codes import MASK_KEY_BYTES
from .errors import CloseFrameError, ClosingHandshakeError, InvalidMaskKeyError
from .events import CloseEvent
from .frame import decode_close_frame, frame_payload
from .payload import Buffer, Close, parse_close_payload, serialize_close_payload

__all__ = ["ClosingHandshake", "ConnectionState", "Outgoing", "Received", "Role"]


# typing costs ~4 ms to import, a third of this package's import budget
# (benchmarks/): the names it offers are needed by type checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple


def random_mask_key() -> bytes:
    """Four bytes from ``os.urandom``: a client's masking key (RFC 6455 §5.3).

    The key must come "from a strong source of entropy"; this is
    :class:`ClosingHandshake`'s default, named so that its signature reads.
    """
    return os.urandom(MASK_KEY_BYTES)


class Role(enum.Enum):
    """Which end of the connection this side is."""

    CLIENT = "client"
    SERVER = "server"


class ConnectionState(enum.Enum):
    """The WHATWG ``readyState`` values a closing connection goes through."""

    OPEN = 1
    CLOSING = 2
    CLOSED = 3


if TYPE_CHECKING:

    class _OutgoingFields(NamedTuple):
        close: Close
        payload: bytes
        frame: bytes

    class _ReceivedFields(NamedTuple):
        close: Close | None
        reply: Outgoing | None
        error: CloseFrameError | None = None
        discarded: bool = False

else:
    _OutgoingFields = namedtuple("_OutgoingFields", "close payload frame")
    _ReceivedFields = namedtuple(
        "_ReceivedFields", "close reply error discarded", defaults=(None, False)
    )


class Outgoing(_OutgoingFields):
    """A close to put on the wire: ``close``, its ``payload``, and the whole ``frame``.

    The frame is masked when this side is a client (RFC 6455 §5.3).
    """

    __slots__ = ()


class Received(_ReceivedFields):
    """What to do about a close frame that arrived.

    ``close``: the peer's close, or ``None`` when it failed to parse or was
    discarded.  ``reply``: an :class:`Outgoing` to send now (the echo, or the
    close that fails the connection), or ``None``.  ``error``: why the frame
    failed to parse; the connection is then failed.  ``discarded``: a close
    had already been received, so this one is ignored.
    """

    __slots__ = ()


class ClosingHandshake:
    """Track the closing handshake of one connection, for one role.

    >>> server = ClosingHandshake(Role.SERVER)
    >>> received = server.receive_close(b"\\x03\\xe8bye")  # the client closes
    >>> received.reply.payload                             # echo its code and reason
    b'\\x03\\xe8bye'
    >>> server.should_close_transport                      # the server closes TCP first
    True
    >>> server.transport_closed()
    CloseEvent(code=<CloseCode.NORMAL_CLOSURE: 1000>, reason='bye', was_clean=True)

    *mask_key* is called for the 4-byte masking key of each frame a client
    sends; it defaults to ``os.urandom(4)`` (RFC 6455 §5.3 wants it
    unpredictable).  A key that is not 4 bytes raises :class:`TypeError` or
    :class:`InvalidMaskKeyError`, as do the callable's own errors, before
    any state changes: the call may be retried once the key source is fixed.
    """

    def __init__(
        self,
        role: Role,
        *,
        mask_key: Callable[[], Buffer] = random_mask_key,
    ) -> None:
        if not isinstance(role, Role):
            raise TypeError(f"role must be a Role, not {type(role).__name__}")
        if not callable(mask_key):
            # A fixed key passed as is would otherwise fail only at the first send.
            raise TypeError(
                "mask_key must be a callable returning 4 bytes, not"
                f" {type(mask_key).__name__}; for a fixed key (in tests) pass lambda: key"
            )
        self.role = role
        self._mask_key = mask_key
        #: The close this side sent (or was told to send), if any.
        self.close_sent: Close | None = None
        #: The close the peer sent, if one arrived and parsed.
        self.close_received: Close | None = None
        #: True once this side failed the connection (§7.1.7).
        self.failed = False
        #: The parse error that made it fail, when that was the cause.
        self.error: CloseFrameError | None = None
        self._event: CloseEvent | None = None

    @property
    def state(self) -> ConnectionState:
        """OPEN until a close is sent or received, CLOSED once the transport is."""
        if self._event is not None:
            return ConnectionState.CLOSED
        if self.close_sent is None and self.close_received is None and not self.failed:
            return ConnectionState.OPEN
        return ConnectionState.CLOSING

    @property
    def discard_incoming(self) -> bool:
        """True once a close arrived or the connection failed: drop later frames.

        RFC 6455 §5.5.1: after a close frame the peer sends no more data
        frames; anything that still arrives is not for the application.
        """
        return self.close_received is not None or self.failed

    @property
    def can_send_data(self) -> bool:
        """False once a close was sent: nothing may follow it (§5.5.1)."""
        return self.close_sent is None and self._event is None

    @property
    def should_close_transport(self) -> bool:
        """Should this side close the TCP connection now?

        After failing the connection, yes, on either side (§7.1.7).  After
        a completed handshake only the server does (§7.1.1); a client waits
        for the server to close, with a timeout of the stack's choosing.
        """
        if self._event is not None:
            return False
        if self.failed:
            return True
        return (
            self.role is Role.SERVER
            and self.close_sent is not None
            and self.close_received is not None
        )

    def _outgoing(self, close: Close, payload: bytes) -> Outgoing:
        """The close to send, *payload* being *close* serialized once, by the caller.

        Callers record it only after this returns: a failing mask_key()
        leaves the state unchanged.
        """
        mask_key = self._next_mask_key() if self.role is Role.CLIENT else None
        return Outgoing(close, payload, frame_payload(payload, mask_key))

    def _next_mask_key(self) -> bytes:
        made = self._mask_key()
        # None would make encode_close_frame send the frame unmasked, which a
        # client must never do (§5.1): check here rather than rely on it.
        try:
            key = read_mask_key(made)
        except TypeError:
            raise TypeError(f"mask_key() must return 4 bytes, not {type(made).__name__}") from None
        if len(key) != MASK_KEY_BYTES:
            raise InvalidMaskKeyError(len(key))
        return key

    def _check_open_transport(self) -> None:
        if self._event is not None:
            raise ClosingHandshakeError("the transport is closed: the handshake is over")

    def send_close(
        self, code: int | None = None, reason: str = "", *, truncate: bool = False
    ) -> Outgoing:
        """The application closes: return the close to send.

        The arguments follow :func:`serialize_close_payload` and raise its
        errors, leaving the state unchanged.  A second close, after one was
        sent or echoed, raises :class:`ClosingHandshakeError`.
        """
        self._check_open_transport()
        if self.close_sent is not None:
            raise ClosingHandshakeError(
                f"a close was already sent ({self.close_sent}); only one may be sent"
            )
        payload = serialize_close_payload(code, reason, truncate=truncate)
        # Parsed back: the Close the payload stands for (None -> 1005, ...).
        outgoing = self._outgoing(parse_close_payload(payload), payload)
        self.close_sent = outgoing.close
        return outgoing

    def receive_close(self, payload: Buffer) -> Received:
        """A close frame's payload arrived: parse it and say what to send back.

        If this side has not sent a close, the reply echoes the peer's code
        and reason (§5.5.1); an empty payload is echoed empty, so 1005 never
        reaches the wire.  If the payload is invalid, the reply fails the
        connection with the error's ``close_code`` (1002 or 1007), and the
        application will see 1006, as browsers report it.
        """
        return self._receive(parse_close_payload, payload)

    def receive_close_frame(self, frame: Buffer) -> Received:
        """Like :meth:`receive_close`, for a whole frame (header and mask).

        A server expects masked frames and a client unmasked ones (§5.1).
        """
        return self._receive(self._decode_frame, frame)

    def _decode_frame(self, frame: Buffer) -> Close:
        return decode_close_frame(frame, masked=self.role is Role.SERVER)

    def _receive(self, read: Callable[[Buffer], Close], data: Buffer) -> Received:
        """receive_close and receive_close_frame: *read* turns *data* into a Close."""
        self._check_open_transport()
        if self.discard_incoming:
            return Received(None, None, discarded=True)
        try:
            close = read(data)
        except CloseFrameError as exc:
            return self._fail(Close(exc.close_code), exc)
        reply = None
        if self.close_sent is None:  # echo it (§5.5.1)
            reply = self._outgoing(close, serialize_close_payload(*close))
            self.close_sent = reply.close
        self.close_received = close
        return Received(close, reply)

    def fail(self, code: int = 1002, reason: str = "") -> Outgoing | None:
        """Fail the connection (§7.1.7), e.g. 1007 for a text message that is not UTF-8.

        Returns the close to send, or ``None`` when a close was already
        sent.  The application will see 1006, not clean.  The code must be
        sendable: its errors are those of :func:`serialize_close_payload`.

        Once the closing handshake has completed (a close sent and one
        received), there is nothing left to fail: the exchange was clean
        whatever happens next, so this returns ``None`` and changes nothing
        (WHATWG: a connection closed after the closing handshake completed
        closed cleanly).
        """
        self._check_open_transport()
        payload = serialize_close_payload(code, reason)
        if self.close_sent is not None and self.close_received is not None:
            return None
        return self._fail(parse_close_payload(payload), None, payload).reply

    def _fail(
        self, close: Close, error: CloseFrameError | None, payload: bytes | None = None
    ) -> Received:
        """Fail the connection with *close* (*payload*: it serialized, if at hand)."""
        reply = None
        if self.close_sent is None:
            if payload is None:
                payload = serialize_close_payload(*close)
            reply = self._outgoing(close, payload)
            self.close_sent = reply.close
        self.failed = True
        if self.error is None:
            self.error = error
        return Received(None, reply, error)

    def transport_closed(self) -> CloseEvent:
        """The transport closed: the :class:`CloseEvent` the application sees.

        The code and reason of the close received (1005 if it carried no
        code), or 1006 when none arrived or this side failed the connection.
        ``was_clean`` only when a close was both sent and received.
        Calling it again returns the same event.
        """
        if self._event is None:
            received = self.close_received
            if received is None or self.failed:
                self._event = CloseEvent.abnormal()
            else:
                self._event = CloseEvent.from_close(
                    received, was_clean=self.close_sent is not None
                )
        return self._event

    def __repr__(self) -> str:
        return (
            f"<ClosingHandshake {self.role.value} {self.state.name}"
            f" sent={self.close_sent} received={self.close_received}>"
        )
