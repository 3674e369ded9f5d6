"""Frames as the probe writes and reads them, valid or not (RFC 6455 §5.2).

The codec refuses to build an invalid close frame, and the probe's whole
point is to send some: a 1-byte payload, RSV bits, a 126-byte payload in the
16-bit length form, an unmasked frame from a client.  So frames are built
here from their fields, by hand, and the server's frames are split from the
byte stream without judging them: judging is the codec's job (judge.py).
"""

from __future__ import annotations

from typing import NamedTuple

from ..browser import _frames
from ..frame import CLOSE_OPCODE, mask_payload

__all__ = ["OPCODE_NAMES", "ServerFrame", "build_frame", "split_frames"]

#: The names of the opcodes RFC 6455 §5.2 defines (§11.8).
OPCODE_NAMES = {
    0x0: "continuation",
    0x1: "text",
    0x2: "binary",
    CLOSE_OPCODE: "close",
    0x9: "ping",
    0xA: "pong",
}

_FIN = 0x80
_MASK = 0x80
_EXTENDED = {126: 2, 127: 8}  # the 7-bit length field's escapes: 16- and 64-bit lengths


def build_frame(
    opcode: int,
    payload: bytes,
    *,
    mask_key: bytes | None,
    fin: bool = True,
    rsv: int = 0,
) -> bytes:
    """One frame from its fields; *rsv* is the three RSV bits as a number 0-7.

    The length takes the shortest form that holds it, as §5.2 requires, so a
    126-byte payload goes out in the 16-bit form a control frame may never
    use.  *mask_key* ``None`` sends it unmasked, which a client must not do.
    """
    first = (_FIN if fin else 0) | rsv << 4 | opcode
    mask_bit = _MASK if mask_key is not None else 0
    length = len(payload)
    if length < 126:
        header = bytes((first, mask_bit | length))
    elif length < 1 << 16:
        header = bytes((first, mask_bit | 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((first, mask_bit | 127)) + length.to_bytes(8, "big")
    if mask_key is None:
        return header + payload
    return header + mask_key + mask_payload(payload, mask_key)


class ServerFrame(NamedTuple):
    """One frame the server sent, as it came: ``raw`` holds its header too."""

    opcode: int
    raw: bytes

    @property
    def name(self) -> str:
        return OPCODE_NAMES.get(self.opcode, f"opcode {self.opcode:#x}")

    @property
    def payload(self) -> bytes:
        """The payload, unmasked if the frame was masked (a server must not mask)."""
        start = 2 + _EXTENDED.get(self.raw[1] & 0x7F, 0)
        if not self.raw[1] & _MASK:
            return self.raw[start:]
        return mask_payload(self.raw[start + 4 :], self.raw[start : start + 4])


def split_frames(stream: bytes) -> tuple[list[ServerFrame], int]:
    """The whole frames at the start of *stream*, and how many bytes they take.

    The browser policies' splitter, so that the probe and the predictions it
    shows read a server's stream the same way; bytes past the returned count
    are a frame still incomplete.
    """
    frames = []
    offset = 0
    for frame in _frames(stream):
        size = 2 + _EXTENDED.get(frame.second & 0x7F, 0) + len(frame.payload)
        frames.append(ServerFrame(frame.first & 0x0F, stream[offset : offset + size]))
        offset += size
    return frames, offset
