"""Every error closeframe raises.

Three families, each a :class:`ValueError`:

- :class:`CloseFrameError`: what the parser raises for bytes from the wire.
  ``.close_code`` is the code to fail the connection with (1002 or 1007).
- :class:`CloseValueError`: a close the caller asked to send that the wire
  rules forbid (serializing, building frames).
- :class:`ApplicationCloseError`: what a browser's ``WebSocket.close()``
  would refuse; ``.dom_exception`` names the DOMException it would throw.

Wrong types (a ``str`` payload, a ``float`` code) are :class:`TypeError`.
"""

from __future__ import annotations

from .codes import describe_code

__all__ = [
    "ApplicationCloseError",
    "CloseFrameError",
    "CloseSyntaxError",
    "CloseValueError",
    "InvalidAccessError",
    "InvalidCodeError",
    "InvalidReasonError",
    "PayloadTooLongError",
    "ProtocolOnlyCodeError",
    "ReasonTooLongError",
    "ReasonWithoutCodeError",
    "TruncatedPayloadError",
    "UnencodableReasonError",
    "UnsendableCodeError",
]

_PROTOCOL_ERROR = 1002  # RFC 6455 §7.4.1
_INVALID_DATA = 1007  # RFC 6455 §8.1: invalid UTF-8 fails with 1007


class CloseFrameError(ValueError):
    """A received close payload or frame breaks RFC 6455.

    ``close_code`` is the code to fail the connection with: 1002 (protocol
    error) or 1007 (invalid payload data).
    """

    close_code: int = _PROTOCOL_ERROR


class PayloadTooLongError(CloseFrameError):
    """The payload is longer than 125 bytes, the control-frame limit (§5.5)."""

    def __init__(self, length: int, limit: int = 125) -> None:
        self.length = length
        super().__init__(
            f"close payload is {length} bytes; a control frame carries at most {limit}"
        )


class TruncatedPayloadError(CloseFrameError):
    """The payload is 1 byte: half a status code (§5.5.1)."""

    def __init__(self, length: int = 1) -> None:
        self.length = length
        super().__init__(f"close payload is {length} byte; a status code needs 2 (or send none)")


class InvalidCodeError(CloseFrameError):
    """The status code may not appear on the wire (§7.4)."""

    def __init__(self, code: int, detail: str = "") -> None:
        self.code = code
        super().__init__(
            f"close code {describe_code(code)} is not valid on the wire"
            f"{detail or '; allowed: 1000-1003, 1007-1014, 3000-4999'}"
        )


class ProtocolOnlyCodeError(InvalidCodeError):
    """The code is 1005, 1006 or 1015, which name local conditions only."""

    def __init__(self, code: int) -> None:
        super().__init__(code, "; it names a local condition and must never be sent")


class InvalidReasonError(CloseFrameError):
    """The reason is not valid UTF-8 (§5.5.1, §8.1).

    ``position`` is the offset of the first bad byte within the reason; the
    reason starts at offset 2 of the payload.
    """

    close_code = _INVALID_DATA

    def __init__(self, position: int, detail: str) -> None:
        self.position = position
        super().__init__(
            f"close reason is not valid UTF-8 at byte {position} of the reason"
            f" (payload offset {position + 2}): {detail}"
        )


class CloseValueError(ValueError):
    """A close the caller asked for that the wire rules forbid."""


class UnsendableCodeError(CloseValueError):
    """The code may not be sent in a close frame."""

    def __init__(self, code: int, detail: str) -> None:
        self.code = code
        super().__init__(f"close code {code} cannot be sent: {detail}")


class ReasonWithoutCodeError(CloseValueError):
    """A reason was given without a status code (§5.5.1: the code comes first)."""

    def __init__(self) -> None:
        super().__init__(
            "a close reason needs a status code: the reason follows the code on the wire"
        )


class ReasonTooLongError(CloseValueError):
    """The reason is over 123 UTF-8 bytes (125 minus the 2-byte code)."""

    def __init__(self, length: int) -> None:
        self.length = length
        super().__init__(
            f"close reason is {length} bytes in UTF-8; at most 123 fit"
            " (pass truncate=True to cut it at a code point)"
        )


class UnencodableReasonError(CloseValueError):
    """The reason holds a lone surrogate, which UTF-8 cannot encode."""

    def __init__(self, position: int) -> None:
        self.position = position
        super().__init__(
            f"close reason cannot be encoded as UTF-8: lone surrogate at index {position}"
        )


class ApplicationCloseError(ValueError):
    """A ``WebSocket.close(code, reason)`` call a browser would refuse."""

    #: The DOMException name a browser throws for this error.
    dom_exception: str = ""


class InvalidAccessError(ApplicationCloseError):
    """The code is neither 1000 nor in 3000-4999."""

    dom_exception = "InvalidAccessError"

    def __init__(self, code: int) -> None:
        self.code = code
        super().__init__(
            f"InvalidAccessError: close code {code} is neither 1000"
            " nor in 3000-4999, the codes a script may send"
        )


class CloseSyntaxError(ApplicationCloseError):
    """The reason is over 123 UTF-8 bytes (a browser throws SyntaxError)."""

    dom_exception = "SyntaxError"

    def __init__(self, length: int) -> None:
        self.length = length
        super().__init__(
            f"SyntaxError: close reason is {length} bytes in UTF-8; at most 123 allowed"
        )
