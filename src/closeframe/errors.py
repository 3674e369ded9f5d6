r"""Every error closeframe raises.

All derive from :class:`Error`, so ``except closeframe.Error`` catches
anything the codec refuses.  Four families: three :class:`ValueError`\ s,


- :class:`CloseFrameError`: what the parser raises for bytes from the wire.
  ``.close_code`` is the code to fail the connection with (1002 or 1007).
- :class:`CloseValueError`: a close the caller asked to send that the wire
  rules forbid (serializing, building frames).
- :class:`ApplicationCloseError`: what a browser's ``WebSocket.close()``
  would refuse; ``.dom_exception`` names the DOMException it would throw;

and :class:`ClosingHandshakeError`, a :class:`RuntimeError`: a step the
closing handshake's state does not allow (a bug in the caller).

Wrong types (a ``str`` payload, a ``float`` code) are :class:`TypeError`.

Every error holds its fields, and nothing else, in ``args``; read-only
properties name them and ``__str__`` writes the message only when it is
read.  ``pickle`` and ``copy`` rebuild an exception as
``type(exc)(*exc.args)``, so this is what lets an error cross a
``multiprocessing`` boundary unchanged.  Most define no ``__init__``
either: the exception is then built entirely in C, which keeps the parser's
error path close to the cost of a bare failing decode (see benchmarks/), and
that matters to fuzzers that raise millions.
"""

from __future__ import annotations

from .codes import (
    MASK_KEY_BYTES,
    MAX_PAYLOAD_BYTES,
    MAX_PRIVATE_CODE,
    MAX_PROTOCOL_CODE,
    MAX_REASON_BYTES,
    MIN_EXTENSION_CODE,
    MIN_LIBRARY_CODE,
    PROTOCOL_ONLY_CODES,
    SENDABLE_PROTOCOL_CODES,
    CloseCode,
    describe_code,
    is_extension_code,
)

# typing costs ~4 ms to import (see codes.py): the constructor signatures
# below are declared for type checkers only, so that no __init__ runs.
TYPE_CHECKING = False

__all__ = [
    "ApplicationCloseError",
    "CloseFrameError",
    "CloseSyntaxError",
    "CloseValueError",
    "ClosingHandshakeError",
    "ControlFrameTooLongError",
    "Error",
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

# The codes a connection fails with (plain ints: str() of an IntEnum member
# differs between Python versions).
_PROTOCOL_ERROR = int(CloseCode.PROTOCOL_ERROR)  # RFC 6455 §7.4.1
_INVALID_DATA = int(CloseCode.INVALID_FRAME_PAYLOAD_DATA)  # §8.1: invalid UTF-8


def _spans(codes: frozenset[int]) -> list[str]:
    """Sorted codes as runs: {1000, 1001, 1002, 1007} -> ["1000-1002", "1007"]."""
    runs: list[list[int]] = []
    for code in sorted(codes):
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return [f"{first}-{last}" if first != last else f"{first}" for first, last in runs]


# What the strict rules let on the wire, as the messages say it, derived
# from the codes themselves: "1000-1003, 1007-1014, 3000-4999".
_SENDABLE = ", ".join([*_spans(SENDABLE_PROTOCOL_CODES), f"{MIN_LIBRARY_CODE}-{MAX_PRIVATE_CODE}"])
_EXTENSIONS = f"{MIN_EXTENSION_CODE}-{MAX_PROTOCOL_CODE}"
# The codes a script may pass to WebSocket.close(): is_script_allowed's rule.
_SCRIPT_CODES = f"{int(CloseCode.NORMAL_CLOSURE)} nor in {MIN_LIBRARY_CODE}-{MAX_PRIVATE_CODE}"

_TRUNCATE_HINT = "(pass truncate=True to cut it at a code point)"
_NOT_ON_THE_WIRE = "is not valid on the wire"


class Error(Exception):
    """The base of every error closeframe raises on purpose.

    Wrong argument types are :class:`TypeError` instead, as in the standard
    library: they are bugs in the calling code, not values to refuse.
    """


class CloseFrameError(Error, ValueError):
    """A received close payload or frame breaks RFC 6455.

    ``close_code`` is the code to fail the connection with: 1002 (protocol
    error) or 1007 (invalid payload data).
    """

    close_code: int = _PROTOCOL_ERROR


class PayloadTooLongError(CloseFrameError):
    """The payload is longer than 125 bytes, the control-frame limit (§5.5).

    ``PayloadTooLongError(length)``.
    """

    if TYPE_CHECKING:

        def __init__(self, length: int) -> None: ...

    def __str__(self) -> str:
        return (
            f"close payload is {self.length} bytes;"
            f" a control frame carries at most {MAX_PAYLOAD_BYTES}"
        )

    @property
    def length(self) -> int:
        """The payload's length in bytes."""
        length: int = self.args[0]
        return length


class TruncatedPayloadError(CloseFrameError):
    """The payload is 1 byte: half a status code (§5.5.1).

    ``TruncatedPayloadError(length)``.
    """

    if TYPE_CHECKING:

        def __init__(self, length: int) -> None: ...

    def __str__(self) -> str:
        return f"close payload is {self.length} byte; a status code needs 2 (or send none)"

    @property
    def length(self) -> int:
        """The payload's length in bytes (1)."""
        length: int = self.args[0]
        return length


class InvalidCodeError(CloseFrameError):
    """The status code may not appear on the wire (§7.4).

    ``InvalidCodeError(code)``.
    """

    if TYPE_CHECKING:

        def __init__(self, code: int) -> None: ...

    def __str__(self) -> str:
        code = self.code
        if is_extension_code(code):
            # A CloseCodec with extension codes accepts some of these: the
            # plain list of allowed codes would not be the whole truth.
            rule = (
                f"{_EXTENSIONS} are for extensions, allowed only by a CloseCodec that names them"
            )
        else:
            rule = f"allowed: {_SENDABLE}"
        return f"close code {describe_code(code)} {_NOT_ON_THE_WIRE}; {rule}"

    @property
    def code(self) -> int:
        """The offending code."""
        code: int = self.args[0]
        return code


class ProtocolOnlyCodeError(InvalidCodeError):
    """The code is 1005, 1006 or 1015, which name local conditions only.

    ``ProtocolOnlyCodeError(code)``.
    """

    def __str__(self) -> str:
        return (
            f"close code {describe_code(self.code)} {_NOT_ON_THE_WIRE};"
            " it names a local condition and must never be sent"
        )


class InvalidReasonError(CloseFrameError):
    """The reason is not valid UTF-8 (§5.5.1, §8.1).

    ``InvalidReasonError(position, detail)``: ``position`` is the offset of
    the first bad byte within the reason, which starts at offset 2 of the
    payload; ``detail`` is the decoder's word for what is wrong.
    """

    close_code = _INVALID_DATA

    if TYPE_CHECKING:

        def __init__(self, position: int, detail: str) -> None: ...

    def __str__(self) -> str:
        position = self.position
        return (
            f"close reason is not valid UTF-8 at byte {position} of the reason"
            f" (payload offset {position + 2}): {self.detail}"
        )

    @property
    def position(self) -> int:
        """Offset of the first invalid byte within the reason."""
        position: int = self.args[0]
        return position

    @property
    def detail(self) -> str:
        """What is wrong there, in the UTF-8 decoder's words."""
        detail: str = self.args[1]
        return detail


class CloseValueError(Error, ValueError):
    """A close the caller asked for that the wire rules forbid."""


class InvalidMaskKeyError(CloseValueError):
    """A masking key that is not exactly 4 bytes (§5.3).

    ``InvalidMaskKeyError(length)``.
    """

    if TYPE_CHECKING:

        def __init__(self, length: int) -> None: ...

    def __str__(self) -> str:
        return f"a masking key is {MASK_KEY_BYTES} bytes, got {self.length}"

    @property
    def length(self) -> int:
        """The key's length in bytes."""
        length: int = self.args[0]
        return length


class UnsendableCodeError(CloseValueError):
    """The code may not be sent in a close frame.

    ``UnsendableCodeError(code, detail)``: ``detail`` says why.
    """

    if TYPE_CHECKING:

        def __init__(self, code: int, detail: str) -> None: ...

    @classmethod
    def for_code(cls, code: int) -> UnsendableCodeError:
        """The error for *code*, a code the strict rules do not let on the wire, saying why."""
        if code in PROTOCOL_ONLY_CODES:
            detail = "it names a local condition and must never appear on the wire"
            if code == CloseCode.NO_STATUS_RCVD:
                detail += " (1005 with no reason serializes as an empty payload)"
        elif is_extension_code(code):
            detail = "it is reserved for extensions; build a CloseCodec(extension_codes=...)"
        else:
            detail = f"allowed: {_SENDABLE}"
        return cls(code, detail)

    def __str__(self) -> str:
        return f"close code {self.code} cannot be sent: {self.detail}"

    @property
    def code(self) -> int:
        """The offending code, as the caller passed it."""
        code: int = self.args[0]
        return code

    @property
    def detail(self) -> str:
        """Why the code cannot be sent."""
        detail: str = self.args[1]
        return detail


class ReasonWithoutCodeError(CloseValueError):
    """A reason was given without a status code (§5.5.1: the code comes first).

    ``ReasonWithoutCodeError()``.
    """

    if TYPE_CHECKING:

        def __init__(self) -> None: ...

    def __str__(self) -> str:
        return "a close reason needs a status code: the reason follows the code on the wire"


class ReasonTooLongError(CloseValueError):
    """The reason is over 123 UTF-8 bytes (125 minus the 2-byte code).

    ``ReasonTooLongError(length, unit="bytes")``: ``unit`` says what
    ``length`` counts.  ``"bytes"``: the reason's UTF-8 encoding was
    measured.  ``"characters"``: the reason has more characters than fit in
    123 bytes however it encodes, so it was rejected without encoding it.
    """

    def __init__(self, length: int, unit: str = "bytes") -> None:
        if unit not in ("bytes", "characters"):
            raise ValueError(f"unit is 'bytes' or 'characters', not {unit!r}")
        # Both fields, the default too, so that args rebuilds the same error.
        super().__init__(length, unit)

    def __str__(self) -> str:
        length = self.length
        if self.unit == "bytes":
            return (
                f"close reason is {length} bytes in UTF-8;"
                f" at most {MAX_REASON_BYTES} fit {_TRUNCATE_HINT}"
            )
        return (
            f"close reason is {length} characters, more than the {MAX_REASON_BYTES} bytes"
            f" of UTF-8 that fit {_TRUNCATE_HINT}"
        )

    @property
    def length(self) -> int:
        """The reason's length, in :attr:`unit`."""
        length: int = self.args[0]
        return length

    @property
    def unit(self) -> str:
        """What :attr:`length` counts: ``"bytes"`` (of UTF-8) or ``"characters"``."""
        unit: str = self.args[1]
        return unit


class UnencodableReasonError(CloseValueError):
    """The reason holds a lone surrogate, which UTF-8 cannot encode.

    ``UnencodableReasonError(position)``: the surrogate's index in the str.
    """

    if TYPE_CHECKING:

        def __init__(self, position: int) -> None: ...

    def __str__(self) -> str:
        return f"close reason cannot be encoded as UTF-8: lone surrogate at index {self.position}"

    @property
    def position(self) -> int:
        """Index of the lone surrogate in the reason."""
        position: int = self.args[0]
        return position


class ApplicationCloseError(Error, ValueError):
    """A ``WebSocket.close(code, reason)`` call a browser would refuse."""

    #: The DOMException name a browser throws for this error.
    dom_exception: str = ""


class InvalidAccessError(ApplicationCloseError):
    """The code is neither 1000 nor in 3000-4999.

    ``InvalidAccessError(code)``.
    """

    dom_exception = "InvalidAccessError"

    if TYPE_CHECKING:

        def __init__(self, code: int) -> None: ...

    def __str__(self) -> str:
        return (
            f"{self.dom_exception}: close code {self.code} is neither {_SCRIPT_CODES},"
            " the codes a script may send"
        )

    @property
    def code(self) -> int:
        """The offending code, as the caller passed it."""
        code: int = self.args[0]
        return code


class CloseSyntaxError(ApplicationCloseError):
    """The reason is over 123 UTF-8 bytes (a browser throws SyntaxError).

    ``CloseSyntaxError(length)``.
    """

    dom_exception = "SyntaxError"

    if TYPE_CHECKING:

        def __init__(self, length: int) -> None: ...

    def __str__(self) -> str:
        return (
            f"{self.dom_exception}: close reason is {self.length} bytes in UTF-8;"
            f" at most {MAX_REASON_BYTES} allowed"
        )

    @property
    def length(self) -> int:
        """The reason's length in UTF-8 bytes."""
        length: int = self.args[0]
        return length


class InvalidFrameError(CloseFrameError):
    """A close frame's header breaks RFC 6455 §5.2/§5.5 (always 1002)."""


class NotACloseFrameError(InvalidFrameError):
    """The opcode is not 0x8.

    ``NotACloseFrameError(opcode)``.
    """

    if TYPE_CHECKING:

        def __init__(self, opcode: int) -> None: ...

    def __str__(self) -> str:
        return f"opcode is {self.opcode:#x}; a close frame has opcode 0x8"

    @property
    def opcode(self) -> int:
        """The frame's opcode."""
        opcode: int = self.args[0]
        return opcode


class FragmentedControlFrameError(InvalidFrameError):
    """FIN is clear: control frames must not be fragmented (§5.5).

    ``FragmentedControlFrameError()``.
    """

    if TYPE_CHECKING:

        def __init__(self) -> None: ...

    def __str__(self) -> str:
        return "FIN is clear; a control frame is never fragmented"


class ReservedBitsError(InvalidFrameError):
    """An RSV bit is set and no extension gave it a meaning (§5.2).

    ``ReservedBitsError(bits)``: RSV1-RSV3 as a 3-bit number.
    """

    if TYPE_CHECKING:

        def __init__(self, bits: int) -> None: ...

    def __str__(self) -> str:
        return f"reserved bits {self.bits:#05b} are set; no extension defines them here"

    @property
    def bits(self) -> int:
        """The RSV bits, RSV1 the highest of 3."""
        bits: int = self.args[0]
        return bits


class MaskMismatchError(InvalidFrameError):
    """The MASK bit is not what this side expects (§5.1: clients mask, servers do not).

    ``MaskMismatchError(masked)``: whether the frame was masked.
    """

    if TYPE_CHECKING:

        def __init__(self, masked: bool) -> None: ...

    def __str__(self) -> str:
        got, want = ("masked", "unmasked") if self.masked else ("unmasked", "masked")
        return f"frame is {got}; frames from this peer must be {want}"

    @property
    def masked(self) -> bool:
        """Whether the frame's MASK bit is set."""
        masked: bool = self.args[0]
        return masked


class ControlFrameTooLongError(InvalidFrameError):
    """The length field is over 125: control frames never use 126/127 (§5.5).

    ``ControlFrameTooLongError(length_field)``.
    """

    if TYPE_CHECKING:

        def __init__(self, length_field: int) -> None: ...

    def __str__(self) -> str:
        return (
            f"length field is {self.length_field}; a control frame's payload is at most"
            f" {MAX_PAYLOAD_BYTES} bytes and never uses the extended lengths"
        )

    @property
    def length_field(self) -> int:
        """The 7-bit length field of the header."""
        length_field: int = self.args[0]
        return length_field


class IncompleteFrameError(InvalidFrameError):
    """Fewer bytes than the header announces.

    ``IncompleteFrameError(needed)``.
    """

    if TYPE_CHECKING:

        def __init__(self, needed: int) -> None: ...

    def __str__(self) -> str:
        return f"frame is incomplete: {self.needed} more byte(s) needed"

    @property
    def needed(self) -> int:
        """How many more bytes the frame needs."""
        needed: int = self.args[0]
        return needed


class TrailingBytesError(InvalidFrameError):
    """Bytes after the end of the frame.

    ``TrailingBytesError(extra)``.
    """

    if TYPE_CHECKING:

        def __init__(self, extra: int) -> None: ...

    def __str__(self) -> str:
        return f"{self.extra} byte(s) follow the close frame"

    @property
    def extra(self) -> int:
        """How many bytes follow the frame."""
        extra: int = self.args[0]
        return extra


class ClosingHandshakeError(Error, RuntimeError):
    """A step the closing handshake's state does not allow.

    For example, a second close requested after one was sent, or anything
    after the transport closed.  This is a bug in the caller, not bad input
    from the peer, hence a :class:`RuntimeError`.
    """
