"""Whole close frames on the wire (RFC 6455 §5.2, §5.5, §5.5.1).

A close frame is two header bytes (FIN + opcode 0x8; MASK + a 7-bit
length), a 4-byte masking key when the sender is a client (§5.3), and at
most 125 bytes of payload.  Control frames never use the extended lengths
and are never fragmented (§5.5).
"""

from __future__ import annotations

from ._impl import load_speedups, text_signature
from ._util import bytes_view, read_mask_key
from .codes import MASK_KEY_BYTES
from .errors import (
    ControlFrameTooLongError,
    FragmentedControlFrameError,
    IncompleteFrameError,
    InvalidMaskKeyError,
    MaskMismatchError,
    NotACloseFrameError,
    ReservedBitsError,
    TrailingBytesError,
)
from .payload import (
    IMPLEMENTATION,
    MAX_PAYLOAD_BYTES,
    Buffer,
    Close,
    parse_close_payload,
    serialize_close_payload,
)

TYPE_CHECKING = False  # typing is slow to import; type checkers alone need it
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any

__all__ = [
    "CLOSE_OPCODE",
    "decode_close_frame",
    "encode_close_frame",
    "mask_payload",
    "read_close_frame",
]

#: The opcode of a close frame (RFC 6455 §5.2, §11.8).
CLOSE_OPCODE = 0x8
_FIN = 0x80
_RSV = 0x70
_OPCODE = 0x0F
_MASK = 0x80
_LENGTH = 0x7F


def mask_payload(payload: bytes, mask_key: bytes) -> bytes:
    """XOR *payload* with the 4-byte *mask_key* (§5.3); masking twice unmasks.

    >>> mask_payload(mask_payload(b"\\x03\\xe8bye", b"abcd"), b"abcd")
    b'\\x03\\xe8bye'
    """
    if len(mask_key) != MASK_KEY_BYTES:
        raise InvalidMaskKeyError(len(mask_key))
    length = len(payload)
    # One XOR of two big integers instead of a Python loop over the bytes:
    # a control payload is at most 125 bytes, so the integers stay small.
    key = (mask_key * (length // 4 + 1))[:length]
    masked = int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")
    return masked.to_bytes(length, "big")


def encode_close_frame(
    code: int | Close | None = None,
    reason: str = "",
    *,
    mask_key: Buffer | None = None,
    truncate: bool = False,
) -> bytes:
    """A complete close frame: FIN set, opcode 0x8, 7-bit length.

    *code* and *reason* follow the rules of :func:`serialize_close_payload`;
    a :class:`Close` may be passed instead of both.  With *mask_key* (4
    bytes) the frame is masked, as a client must (§5.3); choose the key with
    ``os.urandom(4)``.

    >>> encode_close_frame(1000, "bye").hex()
    '880503e8627965'
    >>> encode_close_frame().hex()
    '8800'
    >>> encode_close_frame(1000, mask_key=b"\\x00\\x00\\x00\\x00").hex()
    '88820000000003e8'
    """
    if isinstance(code, Close):
        if reason:
            raise TypeError("pass either a Close or a code and reason, not both")
        code, reason = code
    return frame_payload(serialize_close_payload(code, reason, truncate=truncate), mask_key)


def frame_payload(payload: bytes, mask_key: Buffer | None = None) -> bytes:
    """The close frame around *payload*, which :func:`serialize_close_payload` made.

    Internal (not in ``__all__``): encode_close_frame's framing, and the
    closing handshake's, which has the payload already.
    """
    if mask_key is None:
        return bytes((_FIN | CLOSE_OPCODE, len(payload))) + payload
    key = read_mask_key(mask_key)  # once: the key sent is the key applied
    header = bytes((_FIN | CLOSE_OPCODE, _MASK | len(payload)))
    return header + key + mask_payload(payload, key)


def _frame_size(header: bytes, masked: bool | None) -> tuple[int, int]:
    """Check the two header bytes; return (payload offset, payload length)."""
    first, second = header[0], header[1]
    opcode = first & _OPCODE
    if opcode != CLOSE_OPCODE:
        raise NotACloseFrameError(opcode)
    if not first & _FIN:
        raise FragmentedControlFrameError()
    if first & _RSV:
        raise ReservedBitsError((first & _RSV) >> 4)
    is_masked = bool(second & _MASK)
    # A truth value, as `if masked:` reads it: 1 and numpy's bool_ too.
    if masked is not None and is_masked is not bool(masked):
        raise MaskMismatchError(is_masked)
    length = second & _LENGTH
    if length > MAX_PAYLOAD_BYTES:
        raise ControlFrameTooLongError(length)
    return (6 if is_masked else 2), length


# The longest close frame: header, masking key, 125-byte payload.
_MAX_FRAME_BYTES = 2 + MASK_KEY_BYTES + MAX_PAYLOAD_BYTES


def _prefix(data: Buffer) -> tuple[bytes, int]:
    """The first bytes of *data* (all a close frame can use), and its length.

    Copies at most 131 bytes, however large the caller's buffer, and keeps
    no view of it: the view is released before returning, or raising, so the
    caller may resize its buffer at once.  Its bytes are read as
    ``memoryview.tobytes()`` reads them (row-major), as the payload parser
    reads a payload, whatever the item size, shape or strides.
    """
    if type(data) is bytes:
        return data, len(data)
    with bytes_view(data, "frame") as view:
        size = view.nbytes
        if size <= _MAX_FRAME_BYTES:
            return view.tobytes(), size  # any layout, zero-size items included
        if view.c_contiguous:
            # Any shape flattens to bytes without a copy.
            with view.cast("B") as flat:
                return flat[:_MAX_FRAME_BYTES].tobytes(), size
        if view.ndim == 1:
            # Strided: enough whole items to cover the frame (items are not
            # empty here, since the view holds bytes).
            items = -(-_MAX_FRAME_BYTES // view.itemsize)
            return view[:items].tobytes()[:_MAX_FRAME_BYTES], size
        ndim = view.ndim
    # memoryview can neither slice several dimensions nor flatten a view that
    # is not C-contiguous: reading its first bytes would copy all of it.
    raise TypeError(
        f"a close frame buffer of over {_MAX_FRAME_BYTES} bytes must be one-dimensional"
        f" or C-contiguous; this {ndim}-dimensional one is neither"
        " (pass bytes of its first bytes instead)"
    )


def read_close_frame(data: Buffer, *, masked: bool | None = None) -> tuple[Close | None, int]:
    """Read one close frame from the start of a buffer that may hold more, or less.

    For a stack reading from a socket: returns ``(close, consumed)`` when the
    buffer starts with a complete close frame (the bytes after ``consumed``
    are not read), or ``(None, needed)`` when at least ``needed`` more bytes
    must arrive first.  Raises the errors of :func:`decode_close_frame` as
    soon as the header shows the frame is invalid.

    >>> read_close_frame(b"\\x88\\x05\\x03\\xe8b")
    (None, 2)
    >>> read_close_frame(b"\\x88\\x05\\x03\\xe8bye\\x89\\x00")
    (Close(code=<CloseCode.NORMAL_CLOSURE: 1000>, reason='bye'), 7)
    """
    head, available = _prefix(data)
    if available < 2:
        return None, 2 - available
    offset, length = _frame_size(head, masked)
    end = offset + length
    if available < end:
        return None, end - available
    return _decode_body(head, offset, end), end


def _decode_body(head: bytes, offset: int, end: int) -> Close:
    payload = head[offset:end]
    if offset == 6:
        payload = mask_payload(payload, head[2:6])
    return parse_close_payload(payload)


def decode_close_frame(data: Buffer, *, masked: bool | None = None) -> Close:
    """Decode exactly one complete close frame, unmasking it if it is masked.

    *masked* says what to expect: ``True`` for a server reading a client's
    frame (clients must mask, §5.1), ``False`` for a client reading a
    server's; ``None`` accepts both.  Every error is a
    :class:`CloseFrameError`: wrong opcode, FIN clear, RSV bits set, a
    length field over 125, a mask bit other than expected, too few bytes,
    trailing bytes (all 1002), and the payload's own errors.

    >>> decode_close_frame(bytes.fromhex("880503e8627965"))
    Close(code=<CloseCode.NORMAL_CLOSURE: 1000>, reason='bye')
    """
    head, available = _prefix(data)
    if available < 2:
        raise IncompleteFrameError(2 - available)
    offset, length = _frame_size(head, masked)
    end = offset + length
    if available < end:
        raise IncompleteFrameError(end - available)
    if available > end:
        raise TrailingBytesError(available - end)
    return _decode_body(head, offset, end)


def _compiled(speedups: ModuleType, parse: Any, serialize: Any) -> tuple[Any, Any, Any]:
    """The compiled decode, read and encode, each wrapping its Python twin.

    *parse* and *serialize* are the compiled payload codec they build on.

    The Python functions above stay the reference, and the fallback for
    arguments off the hot path (strided buffers, keyword-only ``truncate``, a
    ``Close`` value, a non-bool ``masked``).
    """
    errors = {
        "not_close": NotACloseFrameError,
        "fragmented": FragmentedControlFrameError,
        "reserved_bits": ReservedBitsError,
        "mask_mismatch": MaskMismatchError,
        "too_long": ControlFrameTooLongError,
        "incomplete": IncompleteFrameError,
        "trailing": TrailingBytesError,
    }
    # Each compiled object holds its tables; the public function is a
    # built-in bound to it (see _speedups.c), built on the payload codec's.
    parser, serializer = parse.__self__, serialize.__self__
    decode = speedups.FrameReader(
        parser=parser, prefix=False, fallback=_python_decode,
        signature=text_signature(_python_decode), **errors,
    )  # fmt: skip
    read = speedups.FrameReader(
        parser=parser, prefix=True, fallback=_python_read,
        signature=text_signature(_python_read), **errors,
    )  # fmt: skip
    encode = speedups.FrameEncoder(
        serializer=serializer, fallback=_python_encode, signature=text_signature(_python_encode)
    )
    return decode.function, read.function, encode.function


_python_decode, _python_read, _python_encode = (
    decode_close_frame,
    read_close_frame,
    encode_close_frame,
)
# The compiled accelerator, when the payload codec runs it (IMPLEMENTATION):
# the compiled frame types take only compiled payload functions.
_speedups = load_speedups() if IMPLEMENTATION == "c" else None
decode_close_frame, read_close_frame, encode_close_frame = (
    _compiled(_speedups, parse_close_payload, serialize_close_payload)
    if _speedups is not None
    else (_python_decode, _python_read, _python_encode)
)
