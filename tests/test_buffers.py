"""Every buffer a caller can pass: one answer, and only the documented errors.

The codec reads a buffer's bytes as ``memoryview(obj).tobytes()`` gives
them (row-major, whatever the item size, shape or strides).  So each buffer
below must get exactly the answer its bytes get, from every entry point,
in both implementations.  A buffer with nothing to read (a released
memoryview, a closed mmap), a non-buffer, and a multi-dimensional frame
buffer too large to read in part get a ``TypeError`` that says what was
expected.  Nothing else escapes: no ``ValueError`` without a close code, no
``ZeroDivisionError`` from items of size zero.
"""

from __future__ import annotations

import array
import ctypes
import importlib
import mmap
import pickle
from collections.abc import Callable
from typing import Any, ClassVar

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeframe import (
    Close,
    CloseCodec,
    CloseEvent,
    CloseFrameError,
    ClosingHandshake,
    Role,
    decode_close_frame,
    encode_close_frame,
    is_sendable,
    mask_payload,
    parse_close_payload,
    read_close_frame,
)
from closeframe import frame as frame_module
from closeframe import payload as payload_module
from closeframe.browser import BROWSER

speedups = importlib.import_module("closeframe._speedups")
ACCEPTED = sorted(code for code in range(65536) if is_sendable(code))
C_PARSE: Any = payload_module.make_parser(ACCEPTED, speedups)
PY_PARSE: Any = payload_module.make_parser(ACCEPTED, None)
C_SERIALIZE: Any = payload_module.make_serializer(ACCEPTED, speedups)
C_DECODE, C_READ, _ = frame_module._compiled(speedups, C_PARSE, C_SERIALIZE)
KEY = b"\x37\xfa\x21\x3d"
MAX_FRAME = 131


def masked_frame(payload: bytes) -> bytes:
    return bytes((0x88, 0x80 | len(payload))) + KEY + mask_payload(payload, KEY)


# Each entry point that takes a caller's buffer, as a one-argument call.
PAYLOAD_READERS: dict[str, Callable[[Any], object]] = {
    "compiled parse": C_PARSE,
    "python parse": PY_PARSE,
    "parse_close_payload": parse_close_payload,
    "CloseCodec.parse": CloseCodec(extension_codes={2001}).parse,
    "CloseEvent.from_payload": lambda data: CloseEvent.from_payload(data, was_clean=True),
    "BROWSER.parse": BROWSER.parse,
    "BROWSER.outcome": BROWSER.outcome,
    "ClosingHandshake.receive_close": lambda data: ClosingHandshake(Role.SERVER).receive_close(
        data
    ),
}
FRAME_READERS: dict[str, Callable[[Any], object]] = {
    "compiled decode": C_DECODE,
    "python decode": frame_module._python_decode,
    "compiled read": C_READ,
    "python read": frame_module._python_read,
    "decode_close_frame": decode_close_frame,
    "decode_close_frame masked": lambda data: decode_close_frame(data, masked=True),
    "read_close_frame unmasked": lambda data: read_close_frame(data, masked=False),
    "ClosingHandshake.receive_close_frame": lambda data: ClosingHandshake(
        Role.SERVER
    ).receive_close_frame(data),
}
READERS = {**PAYLOAD_READERS, **FRAME_READERS}


def answer(reader: Callable[[Any], object], data: object) -> tuple[str, Any]:
    """What a call did, comparable: its value, or its error's type, args and words.

    Only a CloseFrameError (with its close code) or a TypeError may escape;
    anything else fails the test here.
    """
    try:
        result = reader(data)
    except CloseFrameError as exc:
        assert exc.close_code in (1002, 1007)
        return "error", (type(exc), exc.args, str(exc))
    except TypeError as exc:
        # It says what was expected, in the codec's words.
        assert str(exc).startswith(("close payload", "close frame", "a close frame")), exc
        return "type error", str(exc)
    if isinstance(result, tuple) and type(result).__name__ in ("Received", "BrowserOutcome"):
        return "value", repr(result)  # reprs hold the error values too
    return "value", (type(result), result)


class EmptyStruct(ctypes.Structure):
    _fields_: ClassVar[list[tuple[str, Any]]] = []


class LyingBytes(bytes):
    """A bytes subclass whose Python-level methods disagree with its buffer."""

    def __bytes__(self) -> bytes:
        return b"\x03\xe8lie"

    def __len__(self) -> int:
        return 0

    def __getitem__(self, index: Any) -> Any:
        raise AssertionError("the codec must read the buffer, not call __getitem__")


def strided(data: bytes) -> memoryview:
    backing = bytearray(2 * len(data))
    backing[::2] = data
    return memoryview(backing)[::2]


def words(data: bytes) -> object:
    # 2-byte items when the length allows, 1-byte ones otherwise.
    return memoryview(data).cast("H") if len(data) % 2 == 0 else array.array("B", data)


def grid(data: bytes, order: str) -> numpy.ndarray[Any, Any]:
    """*data* as a 2-D array, C or Fortran order: one row when the length is odd."""
    rows = 2 if len(data) % 2 == 0 and data else 1
    flat = numpy.frombuffer(data, dtype=numpy.uint8).reshape(rows, -1)
    return numpy.asfortranarray(flat) if order == "F" else numpy.ascontiguousarray(flat)


def strided_grid(data: bytes) -> numpy.ndarray[Any, Any]:
    """*data* as the second of two rows of a C array, every other column."""
    backing = numpy.zeros((2, 2 * len(data)), dtype=numpy.uint8)
    backing[1, ::2] = numpy.frombuffer(data, dtype=numpy.uint8)
    return backing[1:, ::2]


def mapped(data: bytes) -> object:
    if not data:
        return bytearray()  # an mmap cannot be empty
    memory = mmap.mmap(-1, len(data))
    memory[:] = data
    return memory


# Ways to hand the same bytes to the codec.
WRAPPERS: dict[str, Callable[[bytes], object]] = {
    "bytes": bytes,
    "bytearray": bytearray,
    "memoryview": memoryview,
    "readonly memoryview": lambda data: memoryview(bytearray(data)).toreadonly(),
    "strided": strided,
    "negative stride": lambda data: memoryview(data[::-1])[::-1],
    "2-byte items": words,
    # memoryview cannot give an empty buffer two dimensions: numpy can.
    "2-d memoryview": lambda data: (
        memoryview(data).cast("B", (1, len(data)))
        if data
        else numpy.zeros((1, 0), dtype=numpy.uint8).data
    ),
    "array": lambda data: array.array("B", data),
    "ctypes array": lambda data: (ctypes.c_char * len(data)).from_buffer_copy(data),
    "pickle buffer": pickle.PickleBuffer,
    "numpy 1-d": lambda data: numpy.frombuffer(data, dtype=numpy.uint8),
    "numpy c order": lambda data: grid(data, "C"),
    "numpy fortran order": lambda data: grid(data, "F"),
    "numpy strided 2-d": strided_grid,
    "mmap": mapped,
    "bytes subclass": LyingBytes,
}
SAMPLES = {
    "empty": b"",
    "one byte": b"\x88",
    "code": b"\x03\xe8",
    "code and reason": b"\x03\xe8bye",
    "bad code": b"\x03\xed",
    "bad utf-8": b"\x03\xe8\xff",
    "frame": b"\x88\x05\x03\xe8bye",
    "masked frame": masked_frame(b"\x03\xe8bye"),
    "masked 125": masked_frame(b"\x03\xe8" + "é".encode() * 61 + b"a"),
    "masked 125 + tail": masked_frame(b"\x03\xe8" + b"a" * 123) + b"\x89\x00" * 100,
    "length 126": b"\x88\x7e\x00\x7e" + bytes(126),
    "not a close frame": b"\x81\x02hi",
}


def too_big_to_read_in_part(reader: str, data: object) -> bool:
    """A frame reader given a multi-dimensional, non-C-contiguous buffer over 131 bytes."""
    if reader not in FRAME_READERS:
        return False
    with memoryview(data) as view:  # type: ignore[arg-type]
        return view.ndim > 1 and not view.c_contiguous and view.nbytes > MAX_FRAME


@pytest.mark.parametrize("wrapper", WRAPPERS)
@pytest.mark.parametrize("sample", SAMPLES)
def test_every_buffer_gets_the_answer_of_its_bytes(wrapper: str, sample: str) -> None:
    data = SAMPLES[sample]
    buffer = WRAPPERS[wrapper](data)
    with memoryview(buffer) as view:  # type: ignore[arg-type]
        assert view.tobytes() == data  # the wrapper holds exactly these bytes
    for name, reader in READERS.items():
        got = answer(reader, buffer)
        if too_big_to_read_in_part(name, buffer):
            assert got[0] == "type error"
            assert "C-contiguous" in got[1]
        else:
            assert got == answer(reader, data), (name, wrapper, sample)


@given(st.binary(max_size=140), st.sampled_from(sorted(WRAPPERS)))
def test_arbitrary_bytes_in_every_buffer(data: bytes, wrapper: str) -> None:
    buffer = WRAPPERS[wrapper](data)
    for name in ("compiled parse", "python parse", "compiled read", "python read"):
        reader = READERS[name]
        assert answer(reader, buffer) == answer(reader, data), name


def test_items_of_size_zero_hold_no_bytes() -> None:
    # ctypes arrays of empty structures and numpy's empty dtype: many items,
    # no bytes.  Dividing by the item size once raised ZeroDivisionError.
    buffers: list[Any] = [(EmptyStruct * 4)(), numpy.zeros(4, dtype=numpy.dtype([]))]
    for buffer in buffers:
        with memoryview(buffer) as view:
            assert view.itemsize == 0
            assert view.nbytes == 0
        for name, reader in READERS.items():
            assert answer(reader, buffer) == answer(reader, b""), name


def test_zero_dimensional_buffers() -> None:
    # A ctypes scalar exports one item and no dimensions: its raw bytes.
    scalar = ctypes.c_uint16.from_buffer_copy(b"\x03\xe8")
    for name, reader in READERS.items():
        assert answer(reader, scalar) == answer(reader, b"\x03\xe8"), name


def dead_buffers() -> dict[str, object]:
    released = memoryview(b"\x03\xe8")
    released.release()
    closed = mmap.mmap(-1, 2)
    closed[:] = b"\x03\xe8"
    closed.close()
    return {"released memoryview": released, "closed mmap": closed}


@pytest.mark.parametrize("kind", ["released memoryview", "closed mmap"])
def test_a_buffer_with_nothing_to_read(kind: str) -> None:
    buffer = dead_buffers()[kind]
    for name, reader in READERS.items():
        status, message = answer(reader, buffer)
        assert status == "type error", name
        assert "has no bytes to read" in message, name
        assert type(buffer).__name__ in message, name


@pytest.mark.parametrize("value", ["\x03\xe8", 1000, None, [3, 232], 3.0, object()])
def test_not_a_buffer(value: object) -> None:
    for name, reader in READERS.items():
        if value is None and name == "BROWSER.outcome":
            continue  # None is its documented "TCP closed without a close frame"
        status, message = answer(reader, value)
        assert status == "type error", name
        assert "bytes" in message, name


def test_large_fortran_frame_buffer_is_refused_without_a_copy() -> None:
    # 10 MB in Fortran order: its first bytes (row-major) are scattered, and
    # memoryview cannot read them without copying everything.
    buffer = numpy.zeros((5_000_000, 2), dtype=numpy.uint8, order="F")
    buffer[0] = (0x88, 0x00)
    for name, reader in FRAME_READERS.items():
        status, message = answer(reader, buffer)
        assert status == "type error", name
        assert "must be one-dimensional or C-contiguous" in message
    # As a payload, its length alone refuses it.
    assert answer(PY_PARSE, buffer) == answer(C_PARSE, buffer)
    assert answer(PY_PARSE, buffer)[1][1] == (10_000_000,)


@pytest.mark.parametrize(("expect", "masked"), [(numpy.True_, True), (numpy.False_, False)])
def test_numpys_bool_is_a_mask_expectation(expect: Any, masked: bool) -> None:
    # numpy's bool_ is no bool: masked= takes it as the truth value it is.
    frame = encode_close_frame(1000, mask_key=b"abcd" if masked else None)
    assert decode_close_frame(frame, masked=expect) == Close(1000)
    assert read_close_frame(frame, masked=expect) == (Close(1000), len(frame))
