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

from .codes import _SENDABLE_RANGES, _is_extension_code, describe_code

__all__ = [
    "ApplicationCloseError",
    "CloseFrameError",
    "CloseSyntaxError",
    "CloseValueError",
    "ClosingHandshakeError",
    "ControlFrameTooLongError",
    "FragmentedControlFrameError",
    "IncompleteFrameError",
    "InvalidAccessError",
    "InvalidCodeError",
    "InvalidFrameError",
    "InvalidMaskKeyError",
    "InvalidReasonError",
    "MaskMismatchError",
    "NotACloseFrameError",
    "PayloadTooLongError",
    "ProtocolOnlyCodeError",
    "ReasonTooLongError",
    "ReasonWithoutCodeError",
    "ReservedBitsError",
    "TrailingBytesError",
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

    The subclasses take their fields as positional arguments and define no
    ``__init__``: the exception is then built entirely in C (``args`` holds
    the fields) and its message is written only when someone reads it.  That
    keeps the parser's error path close to the cost of a bare failing
    decode (see benchmarks/), which matters to fuzzers that raise millions.
    """

    close_code: int = _PROTOCOL_ERROR


class PayloadTooLongError(CloseFrameError):
    """The payload is longer than 125 bytes, the control-frame limit (§5.5).

    ``PayloadTooLongError(length)``.
    """

    def __str__(self) -> str:
        return f"close payload is {self.length} bytes; a control frame carries at most 125"

    @property
    def length(self) -> int:
        """The payload's length in bytes."""
        return int(self.args[0])


class TruncatedPayloadError(CloseFrameError):
    """The payload is 1 byte: half a status code (§5.5.1).

    ``TruncatedPayloadError(length)``.
    """

    def __str__(self) -> str:
        return f"close payload is {self.length} byte; a status code needs 2 (or send none)"

    @property
    def length(self) -> int:
        """The payload's length in bytes (1)."""
        return int(self.args[0])


class InvalidCodeError(CloseFrameError):
    """The status code may not appear on the wire (§7.4).

    ``InvalidCodeError(code)``.
    """

    def __str__(self) -> str:
        code = self.code
        if _is_extension_code(code):
            # A CloseCodec with extension codes accepts some of these: the
            # plain list of allowed codes would not be the whole truth.
            rule = "1016-2999 are for extensions, allowed only by a CloseCodec that names them"
        else:
            rule = f"allowed: {_SENDABLE_RANGES}"
        return f"close code {describe_code(code)} is not valid on the wire; {rule}"

    @property
    def code(self) -> int:
        """The offending code."""
        return int(self.args[0])


class ProtocolOnlyCodeError(InvalidCodeError):
    """The code is 1005, 1006 or 1015, which name local conditions only."""

    def __str__(self) -> str:
        return (
            f"close code {describe_code(self.code)} is not valid on the wire;"
            " it names a local condition and must never be sent"
        )


class InvalidReasonError(CloseFrameError):
    """The reason is not valid UTF-8 (§5.5.1, §8.1).

    ``InvalidReasonError(position, detail)``: ``position`` is the offset of
    the first bad byte within the reason, which starts at offset 2 of the
    payload; ``detail`` is the decoder's word for what is wrong.
    """

    close_code = _INVALID_DATA

    def __str__(self) -> str:
        position, detail = self.args
        return (
            f"close reason is not valid UTF-8 at byte {position} of the reason"
            f" (payload offset {position + 2}): {detail}"
        )

    @property
    def position(self) -> int:
        """Offset of the first invalid byte within the reason."""
        return int(self.args[0])


class CloseValueError(ValueError):
    """A close the caller asked for that the wire rules forbid."""


class InvalidMaskKeyError(CloseValueError):
    """A masking key that is not exactly 4 bytes (§5.3)."""

    def __init__(self, length: int) -> None:
        self.length = length
        super().__init__(f"a masking key is 4 bytes, got {length}")


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


class InvalidFrameError(CloseFrameError):
    """A close frame's header breaks RFC 6455 §5.2/§5.5 (always 1002)."""


class NotACloseFrameError(InvalidFrameError):
    """The opcode is not 0x8."""

    def __init__(self, opcode: int) -> None:
        self.opcode = opcode
        super().__init__(f"opcode is {opcode:#x}; a close frame has opcode 0x8")


class FragmentedControlFrameError(InvalidFrameError):
    """FIN is clear: control frames must not be fragmented (§5.5)."""

    def __init__(self) -> None:
        super().__init__("FIN is clear; a control frame is never fragmented")


class ReservedBitsError(InvalidFrameError):
    """An RSV bit is set and no extension gave it a meaning (§5.2)."""

    def __init__(self, bits: int) -> None:
        self.bits = bits
        super().__init__(f"reserved bits {bits:#05b} are set; no extension defines them here")


class MaskMismatchError(InvalidFrameError):
    """The MASK bit is not what this side expects (§5.1: clients mask, servers do not)."""

    def __init__(self, masked: bool) -> None:
        self.masked = masked
        got, want = ("masked", "unmasked") if masked else ("unmasked", "masked")
        super().__init__(f"frame is {got}; frames from this peer must be {want}")


class ControlFrameTooLongError(InvalidFrameError):
    """The length field is over 125: control frames never use 126/127 (§5.5)."""

    def __init__(self, length_field: int) -> None:
        self.length_field = length_field
        super().__init__(
            f"length field is {length_field}; a control frame's payload is at most 125"
            " bytes and never uses the extended lengths"
        )


class IncompleteFrameError(InvalidFrameError):
    """Fewer bytes than the header announces."""

    def __init__(self, needed: int) -> None:
        self.needed = needed
        super().__init__(f"frame is incomplete: {needed} more byte(s) needed")


class TrailingBytesError(InvalidFrameError):
    """Bytes after the end of the frame."""

    def __init__(self, extra: int) -> None:
        self.extra = extra
        super().__init__(f"{extra} byte(s) follow the close frame")


class ClosingHandshakeError(RuntimeError):
    """A step the closing handshake's state does not allow.

    For example, a second close requested after one was sent, or anything
    after the transport closed.  This is a bug in the caller, not bad input
    from the peer, hence a :class:`RuntimeError`.
    """
