"""What a browser script may pass to ``WebSocket.close(code, reason)``.

Mirrors the WHATWG WebSockets standard's ``close()`` method steps, so a
server or a test can predict which calls a browser throws on and what close
frame it sends for the others.
"""

from __future__ import annotations

from ._util import check_code, check_reason, to_usv_string
from .codes import CloseCode, is_script_allowed
from .errors import CloseSyntaxError, InvalidAccessError
from .payload import MAX_REASON_BYTES, Close

__all__ = ["validate_application_close"]


def validate_application_close(code: int | None = None, reason: str | None = None) -> Close:
    """Check a ``WebSocket.close(code, reason)`` call the way a browser does.

    Returns the :class:`Close` the browser puts on the wire, or raises
    :class:`InvalidAccessError` (code neither 1000 nor 3000-4999) or
    :class:`CloseSyntaxError` (reason over 123 UTF-8 bytes), in that order,
    each named after the DOMException a browser throws.

    >>> validate_application_close()  # close(): a frame with no body
    Close(code=<CloseCode.NO_STATUS_RCVD: 1005>, reason='')
    >>> validate_application_close(4000, "bye")
    Close(code=4000, reason='bye')
    >>> validate_application_close(reason="bye")  # close(undefined, "bye"): no body
    Close(code=<CloseCode.NO_STATUS_RCVD: 1005>, reason='')

    Without a code the frame has no body, even with a reason: the standard
    puts the reason "in the Close message after the status code", and with
    no code there is none.  The reason is still checked (step 2), and Firefox
    and WebKitGTK send exactly that; Chromium throws instead (see
    :mod:`closeframe.browser`).
    """
    if code is not None and not is_script_allowed(check_code(code)):
        raise InvalidAccessError(code)
    reason = "" if reason is None else check_reason(reason)
    try:
        encoded = reason.encode()
    except UnicodeEncodeError:
        reason = to_usv_string(reason)
        encoded = reason.encode()
    if len(encoded) > MAX_REASON_BYTES:
        raise CloseSyntaxError(len(encoded))
    if code is None:
        return Close(CloseCode.NO_STATUS_RCVD)  # a close frame with no body
    return Close(code, reason)
