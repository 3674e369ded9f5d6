"""Helpers between wsproto's ``CloseConnection`` event and closeframe's values.

Install with the optional extra ``closeframe[wsproto]``; the core package
never imports wsproto (this module is not re-exported from ``closeframe``).

>>> from wsproto.events import CloseConnection
>>> close_event_from_wsproto(CloseConnection(code=1000, reason="bye"), was_clean=True)
CloseEvent(code=<CloseCode.NORMAL_CLOSURE: 1000>, reason='bye', was_clean=True)

Two wsproto behaviours these helpers account for:

- wsproto reports a close frame without a status code as
  ``CloseConnection(code=1005, reason="")``, and a locally built event may
  carry ``reason=None``: both map to reason ``""``.
- wsproto sends an empty close frame only when the code *is* its own
  ``CloseReason.NO_STATUS_RCVD`` member (an identity check); a plain ``1005``
  or ``CloseCode.NO_STATUS_RCVD`` is silently sent as 1000, and so are 1006
  and 1015.  :func:`to_wsproto` passes wsproto's own members and refuses the
  codes closeframe would never put on the wire.
"""

from __future__ import annotations

try:
    from wsproto.events import CloseConnection
    from wsproto.frame_protocol import CloseReason
except ImportError as exc:
    raise ImportError(
        "closeframe.wsproto_compat needs wsproto: install the extra 'closeframe[wsproto]'",
        name=exc.name,
    ) from exc

from .codes import CloseCode
from .events import CloseEvent
from .payload import Close, serialize_close_payload

__all__ = ["close_event_from_wsproto", "close_from_wsproto", "to_wsproto"]

# wsproto's own members, so that wsproto's identity checks see them.
_WSPROTO_CODES: dict[int, int] = {int(member): member for member in CloseReason}


def close_from_wsproto(event: CloseConnection) -> Close:
    """The :class:`Close` a wsproto ``CloseConnection`` event carries.

    An empty close frame (wsproto's 1005) is ``Close(1005, "")``, as
    :func:`parse_close_payload` gives for ``b""``.  The 1006 event wsproto
    makes up when the transport drops carries no close frame: it raises
    ``ValueError``.

    >>> close_from_wsproto(CloseConnection(code=1005, reason=None))
    Close(code=<CloseCode.NO_STATUS_RCVD: 1005>, reason='')
    """
    code = int(event.code)
    if code == CloseCode.ABNORMAL_CLOSURE:
        raise ValueError("wsproto's 1006 event means no close frame was received")
    return Close(code, event.reason or "")


def close_event_from_wsproto(event: CloseConnection, *, was_clean: bool) -> CloseEvent:
    """The :class:`CloseEvent` for a wsproto ``CloseConnection`` event.

    The caller, which saw the handshake, says whether it was clean.  The
    1006 event wsproto makes up when the transport drops maps to
    :meth:`CloseEvent.abnormal`; ``was_clean=True`` with it raises
    ``ValueError``.  Caveat: when wsproto fails to parse a frame it yields a
    ``CloseConnection(1002, <message>)`` that no peer sent; a stack that
    failed the connection should report :meth:`CloseEvent.abnormal` instead.

    >>> close_event_from_wsproto(CloseConnection(code=1005, reason=""), was_clean=True)
    CloseEvent(code=<CloseCode.NO_STATUS_RCVD: 1005>, reason='', was_clean=True)
    >>> close_event_from_wsproto(CloseConnection(code=1006), was_clean=False)
    CloseEvent(code=<CloseCode.ABNORMAL_CLOSURE: 1006>, reason='', was_clean=False)
    """
    if int(event.code) == CloseCode.ABNORMAL_CLOSURE:
        if was_clean:
            raise ValueError("1006 means no close frame was received: it cannot be clean")
        return CloseEvent.abnormal()
    return CloseEvent(event.code, event.reason or "", was_clean)


def to_wsproto(close: Close) -> CloseConnection:
    """The wsproto ``CloseConnection`` event that sends *close* as it is.

    ``Close(1005, "")`` becomes wsproto's ``NO_STATUS_RCVD`` member, which
    wsproto sends as an empty close frame.  A close closeframe would not put
    on the wire raises the errors of :func:`serialize_close_payload`, where
    wsproto would silently send 1000 instead (1006, 1015).  1014 is sent as
    1014, but a wsproto *peer* rejects it: wsproto 1.3 does not know it.

    >>> to_wsproto(Close(1000, "bye"))
    CloseConnection(code=<CloseReason.NORMAL_CLOSURE: 1000>, reason='bye')
    >>> to_wsproto(Close(1005))
    CloseConnection(code=<CloseReason.NO_STATUS_RCVD: 1005>, reason='')
    """
    if type(close) is not Close:
        raise TypeError(f"expected a Close, not {type(close).__name__}")
    code, reason = close
    serialize_close_payload(code, reason)
    return CloseConnection(code=_WSPROTO_CODES.get(code, int(code)), reason=reason)
