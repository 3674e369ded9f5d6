"""Whole close frames: literal vectors, every header field, streaming reads."""

from __future__ import annotations

from typing import Any

import pytest

from closeframe import (
    Close,
    CloseCode,
    ControlFrameTooLongError,
    FragmentedControlFrameError,
    IncompleteFrameError,
    InvalidCodeError,
    InvalidMaskKeyError,
    InvalidReasonError,
    MaskMismatchError,
    NotACloseFrameError,
    ReasonTooLongError,
    ReservedBitsError,
    TrailingBytesError,
    UnsendableCodeError,
    decode_close_frame,
    encode_close_frame,
    mask_payload,
    read_close_frame,
)

KEY = bytes.fromhex("37fa213d")

# (frame hex, masked, code, reason): RFC 6455 §5.7 uses the key 37 fa 21 3d.
VECTORS = [
    ("8800", False, None, ""),
    ("880203e8", False, 1000, ""),
    ("880503e8627965", False, 1000, "bye"),
    ("888037fa213d", True, None, ""),
    # 03e8 "bye" masked with 37fa213d: 03^37 e8^fa 62^21 79^3d 65^37
    ("888537fa213d34124344" + "52", True, 1000, "bye"),
]


@pytest.mark.parametrize(("hex_frame", "masked", "code", "reason"), VECTORS)
def test_vectors(hex_frame: str, masked: bool, code: int | None, reason: str) -> None:
    frame = bytes.fromhex(hex_frame)
    expected = Close(1005) if code is None else Close(code, reason)
    assert decode_close_frame(frame) == expected
    assert decode_close_frame(frame, masked=masked) == expected
    assert decode_close_frame(bytearray(frame)) == expected
    assert decode_close_frame(memoryview(frame)) == expected
    assert encode_close_frame(code, reason, mask_key=KEY if masked else None) == frame
    assert read_close_frame(frame + b"\x81\x00") == (expected, len(frame))


def test_encode_accepts_a_close() -> None:
    assert encode_close_frame(Close(1001, "x")) == encode_close_frame(1001, "x")
    assert encode_close_frame(Close(1005)) == b"\x88\x00"
    with pytest.raises(TypeError, match="not both"):
        encode_close_frame(Close(1001), "x")


def test_encode_applies_the_payload_rules() -> None:
    with pytest.raises(UnsendableCodeError):
        encode_close_frame(1006)
    with pytest.raises(ReasonTooLongError):
        encode_close_frame(1000, "a" * 124)
    frame = encode_close_frame(1000, "€" * 42, truncate=True)
    assert frame[1] == 125
    assert decode_close_frame(frame) == Close(1000, "€" * 41)


def test_max_frame_masked_round_trip() -> None:
    frame = encode_close_frame(4999, "é" * 61 + "a", mask_key=b"\xff\x00\xaa\x55")
    assert len(frame) == 2 + 4 + 125
    assert frame[1] == 0x80 | 125
    assert decode_close_frame(frame, masked=True) == Close(4999, "é" * 61 + "a")


@pytest.mark.parametrize("key", [b"", b"abc", b"abcde"])
def test_mask_key_must_be_four_bytes(key: bytes) -> None:
    with pytest.raises(InvalidMaskKeyError) as info:
        encode_close_frame(1000, mask_key=key)
    assert info.value.length == len(key)


def test_mask_key_type() -> None:
    with pytest.raises(TypeError, match="mask_key must be bytes"):
        encode_close_frame(1000, mask_key="abcd")  # type: ignore[arg-type]
    assert encode_close_frame(1000, mask_key=bytearray(KEY)) == encode_close_frame(
        1000, mask_key=KEY
    )


def test_mask_payload_is_an_involution() -> None:
    payload = bytes(range(125))
    masked = mask_payload(payload, KEY)
    assert masked != payload
    assert mask_payload(masked, KEY) == payload
    assert masked[:4] == bytes(b ^ k for b, k in zip(payload[:4], KEY, strict=True))
    assert mask_payload(b"", KEY) == b""


HEADER_ERRORS = [
    pytest.param("8100", NotACloseFrameError, id="text-opcode"),
    pytest.param("8900", NotACloseFrameError, id="ping-opcode"),
    pytest.param("8a00", NotACloseFrameError, id="pong-opcode"),
    pytest.param("0800", FragmentedControlFrameError, id="fin-clear"),
    pytest.param("c800", ReservedBitsError, id="rsv1"),
    pytest.param("a800", ReservedBitsError, id="rsv2"),
    pytest.param("9800", ReservedBitsError, id="rsv3"),
    pytest.param("887e" + "00" * 130, ControlFrameTooLongError, id="length-126"),
    pytest.param("887f" + "00" * 130, ControlFrameTooLongError, id="length-127"),
]


@pytest.mark.parametrize(("hex_frame", "error"), HEADER_ERRORS)
def test_header_errors(hex_frame: str, error: type[Exception]) -> None:
    frame = bytes.fromhex(hex_frame)
    for reader in (decode_close_frame, read_close_frame):
        with pytest.raises(error) as info:
            reader(frame)
        assert getattr(info.value, "close_code", None) == 1002


def test_error_details() -> None:
    with pytest.raises(NotACloseFrameError) as opcode:
        decode_close_frame(b"\x81\x00")
    assert opcode.value.opcode == 1
    with pytest.raises(ReservedBitsError) as rsv:
        decode_close_frame(b"\xc8\x00")
    assert rsv.value.bits == 0b100
    with pytest.raises(ControlFrameTooLongError) as length:
        decode_close_frame(b"\x88\x7e\x00\x7e")
    assert length.value.length_field == 126


def test_mask_expectation() -> None:
    unmasked = encode_close_frame(1000)
    masked = encode_close_frame(1000, mask_key=KEY)
    # A server must fail an unmasked client frame (§5.1), and vice versa.
    with pytest.raises(MaskMismatchError) as info:
        decode_close_frame(unmasked, masked=True)
    assert info.value.masked is False
    assert "must be masked" in str(info.value)
    with pytest.raises(MaskMismatchError) as info:
        decode_close_frame(masked, masked=False)
    assert info.value.masked is True
    assert "must be unmasked" in str(info.value)
    assert decode_close_frame(masked, masked=True) == decode_close_frame(unmasked, masked=False)


class Truth:
    """A truth value that is no bool, as numpy's bool_ is (test_buffers tries numpy's own)."""

    def __init__(self, value: bool) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return self.value

    def __repr__(self) -> str:
        return f"Truth({self.value})"


@pytest.mark.parametrize(
    ("expect", "truth"),
    [(1, True), (0, False), (Truth(True), True), (Truth(False), False), ("y", True), ("", False)],
    ids=repr,
)
def test_mask_expectation_is_a_truth_value(expect: Any, truth: bool) -> None:
    # masked=1 or numpy's bool_ (any truth value) means what `if masked:` means; once it was
    # compared by identity with True and answered a wrong MaskMismatchError.
    frames = {True: encode_close_frame(1000, mask_key=KEY), False: encode_close_frame(1000)}
    for read in (decode_close_frame, lambda data, **kw: read_close_frame(data, **kw)[0]):
        assert read(frames[truth], masked=expect) == Close(1000)
        with pytest.raises(MaskMismatchError) as info:
            read(frames[not truth], masked=expect)
        assert info.value.masked is (not truth)


@pytest.mark.parametrize("cut", [0, 1, 2, 3, 5, 6])
def test_too_few_bytes(cut: int) -> None:
    frame = encode_close_frame(1000, "bye", mask_key=KEY)  # 11 bytes
    with pytest.raises(IncompleteFrameError) as info:
        decode_close_frame(frame[:cut])
    assert info.value.needed == (2 - cut if cut < 2 else 11 - cut)
    assert info.value.close_code == 1002
    assert read_close_frame(frame[:cut]) == (None, info.value.needed)


def test_trailing_bytes() -> None:
    with pytest.raises(TrailingBytesError) as info:
        decode_close_frame(b"\x88\x02\x03\xe8\x00\x00\x00")
    assert info.value.extra == 3


def test_payload_errors_come_through() -> None:
    with pytest.raises(InvalidCodeError):
        decode_close_frame(b"\x88\x02\x03\xee")
    with pytest.raises(InvalidReasonError):
        decode_close_frame(b"\x88\x03\x03\xe8\x80")


def test_reason_errors_in_masked_frames() -> None:
    payload = b"\x03\xe8\xff"
    frame = b"\x88\x83" + KEY + mask_payload(payload, KEY)
    with pytest.raises(InvalidReasonError) as info:
        decode_close_frame(frame, masked=True)
    assert info.value.close_code == 1007


def test_read_never_reads_past_the_frame() -> None:
    frame = encode_close_frame(1001, "x")
    # Garbage after the frame is not looked at.
    close, consumed = read_close_frame(frame + b"\xff" * 1000)
    assert close == Close(CloseCode.GOING_AWAY, "x")
    assert consumed == len(frame)
    buffer = bytearray(frame + b"\x00")
    assert read_close_frame(memoryview(buffer)) == (close, len(frame))


def test_frame_input_types() -> None:
    frame = encode_close_frame(1000, "hi")
    words = memoryview(frame[:6]).cast("H")
    assert decode_close_frame(words) == Close(1000, "hi")
    strided = memoryview(bytes(b for byte in frame for b in (byte, 0)))[::2]
    assert decode_close_frame(strided) == Close(1000, "hi")
    grid = memoryview(frame).cast("B", (3, 2))
    assert decode_close_frame(grid) == Close(1000, "hi")
    # Every other 2-byte item: not contiguous, items wider than a byte.
    spaced = memoryview(bytes(b for i in range(0, 6, 2) for b in (*frame[i : i + 2], 0, 0)))
    assert decode_close_frame(spaced.cast("H")[::2]) == Close(1000, "hi")
    with pytest.raises(TypeError, match="not str"):
        decode_close_frame("\x88\x00")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not int"):
        read_close_frame(5)  # type: ignore[arg-type]


class ShiftingKey(bytearray):
    """A key whose bytes() differ at each call, like an array another thread rewrites."""

    calls = 0

    def __bytes__(self) -> bytes:
        ShiftingKey.calls += 1
        return bytes((ShiftingKey.calls,)) * 4


def test_mask_key_read_once() -> None:
    # The key in the header is the key the payload was masked with.
    frame = encode_close_frame(1000, "bye", mask_key=ShiftingKey(b"abcd"))
    assert decode_close_frame(frame, masked=True) == Close(1000, "bye")
