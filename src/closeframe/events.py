"""The application's view of how a connection ended: the WHATWG ``CloseEvent``."""

from __future__ import annotations

from operator import itemgetter

from ._record import MEMBERS, Record, new_record
from ._util import check_bool, check_reason
from .codes import CloseCode, code_range, describe_code
from .payload import Buffer, Close, parse_close_payload

__all__ = ["CloseEvent"]

TYPE_CHECKING = False  # typing is slow to import; type checkers alone need it
if TYPE_CHECKING:
    from typing import ClassVar


class CloseEvent(Record, tuple[int, str, bool]):
    """An immutable value shaped like the browser's ``CloseEvent``.

    ``CloseEvent()`` has the ``CloseEventInit`` defaults of the WHATWG
    WebSockets standard: ``code=0, reason="", was_clean=False``.  The three
    ways a connection ends each have a constructor:

    >>> CloseEvent.from_payload(b"\\x03\\xe8bye", was_clean=True)
    CloseEvent(code=<CloseCode.NORMAL_CLOSURE: 1000>, reason='bye', was_clean=True)
    >>> CloseEvent.from_payload(b"", was_clean=True).code
    <CloseCode.NO_STATUS_RCVD: 1005>
    >>> CloseEvent.abnormal()
    CloseEvent(code=<CloseCode.ABNORMAL_CLOSURE: 1006>, reason='', was_clean=False)

    ``was_clean`` is true only when the closing handshake completed (a close
    frame sent and one received) before the transport closed; the caller,
    which saw the handshake, says so.
    """

    __slots__ = ()

    #: The DOM event type, always ``"close"``.
    type: ClassVar[str] = "close"

    if TYPE_CHECKING:

        @property
        def code(self) -> int: ...

        @property
        def reason(self) -> str: ...

        @property
        def was_clean(self) -> bool: ...

        @property
        def wasClean(self) -> bool: ...  # noqa: N802  (the DOM spelling)

    else:
        code = property(itemgetter(0), doc="The close code (0-65535).")
        reason = property(itemgetter(1), doc="The close reason, possibly empty.")
        was_clean = property(itemgetter(2), doc="Did the closing handshake complete?")
        wasClean = property(itemgetter(2), doc="The DOM spelling of ``was_clean``.")  # noqa: N815

    def __new__(cls, code: int = 0, reason: str = "", was_clean: bool = False) -> CloseEvent:
        code_range(code)  # CloseEventInit.code is an unsigned short: 0-65535
        reason = check_reason(reason)
        check_bool("was_clean", was_clean)
        return new_record(cls, (MEMBERS.get(code, code), reason, was_clean))

    @classmethod
    def from_close(cls, close: Close, *, was_clean: bool) -> CloseEvent:
        """The event for a received close frame, already parsed."""
        if type(close) is not Close:
            raise TypeError(f"expected a Close, not {type(close).__name__}")
        check_bool("was_clean", was_clean)
        # A Close is valid by construction: no need to check it again.
        return new_record(cls, (close[0], close[1], was_clean))

    @classmethod
    def from_payload(cls, data: Buffer, *, was_clean: bool) -> CloseEvent:
        """The event for a received close payload (1005 when it is empty).

        Raises :class:`CloseFrameError` when the payload is invalid: the
        receiver then fails the connection, and its application sees
        :meth:`abnormal` instead.
        """
        close = parse_close_payload(data)
        # parse_close_payload built a valid Close: only the flag to check.
        return new_record(cls, (close[0], close[1], check_bool("was_clean", was_clean)))

    @classmethod
    def abnormal(cls) -> CloseEvent:
        """The event when no close frame was received: 1006, not clean.

        That covers a dropped transport and a connection this side failed
        (RFC 6455 §7.1.5; WHATWG: "the WebSocket connection close code
        would be 1006").
        """
        return _ABNORMAL

    def __repr__(self) -> str:
        return f"CloseEvent(code={self[0]!r}, reason={self[1]!r}, was_clean={self[2]!r})"

    def __str__(self) -> str:
        text = describe_code(self[0])
        if self[1]:
            text += f": {self[1]}"
        return f"{text} ({'clean' if self[2] else 'not clean'})"


_ABNORMAL = CloseEvent(CloseCode.ABNORMAL_CLOSURE, "", False)
