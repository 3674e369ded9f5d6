"""Hostile input: the codec against the caller's buffers.

What a stack that hands the codec its own receive buffer relies on:

- the codec never writes to the buffer (``bytearray``, writable
  ``memoryview``), unmasking included;
- it keeps no reference to the buffer once it has returned or raised: the
  buffer can be resized (impossible while any export of it exists) and is
  freed as soon as the caller drops it;
- it copies at most the 125 bytes it may read, however large the buffer
  (``tracemalloc`` measures the peak during the call);
- a huge buffer is refused from its length alone: checked structurally
  (the error and its fields, the traced peak), never by wall-clock timing.
"""

from __future__ import annotations

import array
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeframe import (
    Close,
    CloseFrameError,
    ControlFrameTooLongError,
    PayloadTooLongError,
    TrailingBytesError,
    decode_close_frame,
    mask_payload,
    parse_close_payload,
    read_close_frame,
)

Buffer = bytes | bytearray | memoryview
Codec = Callable[[Buffer], object]

BIG = 10_000_000
#: Far below the 10 MB buffers: what a call may allocate, exceptions included.
PEAK_LIMIT = 64 * 1024
MASK_KEY = b"\x37\xfa\x21\x3d"


def read_frame(data: Buffer) -> object:
    return read_close_frame(data)


CODECS: dict[str, Codec] = {
    "parse_close_payload": parse_close_payload,
    "decode_close_frame": decode_close_frame,
    "read_close_frame": read_frame,
}


def attempt(codec: Codec, data: Buffer) -> object:
    """The codec's answer, an error included, holding no traceback."""
    try:
        return codec(data)
    except CloseFrameError as exc:
        return exc.with_traceback(None)


def frame_of(payload: bytes, *, masked: bool) -> bytes:
    """A close frame around any payload of at most 125 bytes, valid or not."""
    if not masked:
        return bytes((0x88, len(payload))) + payload
    return bytes((0x88, 0x80 | len(payload))) + MASK_KEY + mask_payload(payload, MASK_KEY)


# Inputs that take each path: accepted, and refused for each reason.
PAYLOADS = {
    "accept": b"\x03\xe8bye",
    "accept-empty": b"",
    "too-long": b"\x03\xe8" + b"a" * 200,
    "one-byte": b"\x03",
    "bad-code": b"\x03\xed",
    "bad-utf8": b"\x03\xe8\xff",
}
FRAMES = {
    "accept": frame_of(b"\x03\xe8bye", masked=False),
    "accept-masked": frame_of(b"\x03\xe8bye", masked=True),
    "not-close": b"\x81\x00",
    "length-126": b"\x88\x7e\x00\x7e" + bytes(126),
    "incomplete": b"\x88\x05\x03\xe8",
    "trailing": frame_of(b"\x03\xe8", masked=False) + b"\x00",
    "bad-code-masked": frame_of(b"\x03\xed", masked=True),
    "bad-utf8": frame_of(b"\x03\xe8\xff", masked=False),
}


def cases() -> list[tuple[str, str, bytes]]:
    out = [("parse_close_payload", name, data) for name, data in PAYLOADS.items()]
    for codec in ("decode_close_frame", "read_close_frame"):
        out += [(codec, name, data) for name, data in FRAMES.items()]
    return out


CASES = cases()
CASE_IDS = [f"{codec}-{name}" for codec, name, _ in CASES]


# -- never mutates the caller's buffer ----------------------------------------


def views_of(data: bytes) -> Iterator[tuple[Buffer, Callable[[], bytes]]]:
    """The same bytes as each kind of caller buffer, and how to read them back."""
    plain = bytearray(data)
    yield plain, lambda: bytes(plain)
    backing = bytearray(data)
    yield memoryview(backing), lambda: bytes(backing)
    # A strided view: every other byte of a buffer twice as long.
    strided = bytearray(len(data) * 2)
    strided[::2] = data
    yield memoryview(strided)[::2], lambda: bytes(strided)


@pytest.mark.parametrize(("codec", "name", "data"), CASES, ids=CASE_IDS)
def test_never_mutates_the_buffer(codec: str, name: str, data: bytes) -> None:
    for view, contents in views_of(data):
        before = contents()
        attempt(CODECS[codec], view)
        assert contents() == before


@given(st.binary(max_size=130), st.booleans(), st.binary(max_size=8))
def test_never_mutates_arbitrary_buffers(payload: bytes, masked: bool, tail: bytes) -> None:
    frames = [frame_of(payload[:125], masked=masked) + tail, payload]
    for data in frames:
        for codec in CODECS.values():
            for view, contents in views_of(data):
                before = contents()
                attempt(codec, view)
                assert contents() == before


# -- holds no reference after returning ----------------------------------------


class TrackedBuffer(bytearray):
    """A bytearray that can be weakly referenced."""


def assert_resizable(buffer: bytearray) -> None:
    # Resizing raises BufferError while any export (a memoryview) exists.
    size = len(buffer)
    buffer.extend(b"\x00" * 64)
    del buffer[size:]
    buffer.clear()


@pytest.mark.parametrize(("codec", "name", "data"), CASES, ids=CASE_IDS)
def test_buffer_resizable_after_the_call(codec: str, name: str, data: bytes) -> None:
    buffer = bytearray(data)
    attempt(CODECS[codec], buffer)
    assert_resizable(buffer)


@pytest.mark.parametrize(("codec", "name", "data"), CASES, ids=CASE_IDS)
def test_caller_view_releasable_after_the_call(codec: str, name: str, data: bytes) -> None:
    buffer = bytearray(data)
    view = memoryview(buffer)
    attempt(CODECS[codec], view)
    view.release()  # BufferError if the codec still exports the caller's view
    assert_resizable(buffer)


@pytest.mark.parametrize(("codec", "name", "data"), CASES, ids=CASE_IDS)
def test_buffer_freed_after_the_call(codec: str, name: str, data: bytes) -> None:
    for wrap in (lambda b: b, memoryview):
        buffer = TrackedBuffer(data)
        ref = weakref.ref(buffer)
        with suppress(CloseFrameError):  # the error and its traceback die here
            CODECS[codec](wrap(buffer))
        del buffer
        # No gc.collect(): the codec must not leave the buffer in a cycle.
        assert ref() is None


ERROR_CASES = [
    case for case in CASES if isinstance(attempt(CODECS[case[0]], case[2]), CloseFrameError)
]


@pytest.mark.parametrize(
    ("codec", "name", "data"), ERROR_CASES, ids=[f"{c}-{n}" for c, n, _ in ERROR_CASES]
)
def test_error_does_not_pin_the_buffer(codec: str, name: str, data: bytes) -> None:
    # The usual stack: on a parse error, drop the receive buffer and fail the
    # connection with exc.close_code, perhaps keeping the exception to report
    # later (websockets keeps it as parser_exc).  The live exception and its
    # traceback must not hold an export of the caller's buffer.
    buffer = bytearray(data)
    try:
        CODECS[codec](buffer)
    except CloseFrameError as exc:
        kept = exc
        assert_resizable(buffer)
    else:  # pragma: no cover
        raise AssertionError("expected an error")
    assert kept.close_code in (1002, 1007)


# -- copies nothing beyond what it may read -------------------------------------


@contextmanager
def traced() -> Iterator[Callable[[], int]]:
    """Measure the peak of traced memory, above where it stood on entry."""
    import tracemalloc  # here, not at the top: PyPy has none (tox.ini's pypy3)

    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    try:
        yield lambda: tracemalloc.get_traced_memory()[1] - base
    finally:
        if not was_tracing:
            tracemalloc.stop()


def peak_of(codec: Codec, data: Buffer) -> tuple[object, int]:
    attempt(codec, data[:8])  # warm-up: nothing lazy is counted below
    with traced() as peak:
        answer = attempt(codec, data)
        used = peak()
    return answer, used


def big_buffer(head: bytes, size: int = BIG) -> bytearray:
    buffer = bytearray(size)
    buffer[: len(head)] = head
    return buffer


def strided_bytes(head: bytes) -> memoryview:
    """A 1-D non-contiguous view of BIG bytes: every other byte of 2 x BIG."""
    backing = bytearray(2 * BIG)
    backing[: 2 * len(head) : 2] = head
    view = memoryview(backing)[::2]
    assert not view.contiguous
    assert view.nbytes == BIG
    return view


def strided_words(head: bytes) -> memoryview:
    """A non-contiguous view of 4-byte items, BIG bytes in all."""
    backing = array.array("I", bytes(2 * BIG))
    padded = head + bytes(-len(head) % 4)
    for index, item in enumerate(array.array("I", padded)):
        backing[2 * index] = item  # the view below sees every other item
    view = memoryview(backing)[::2]
    assert not view.contiguous
    assert view.itemsize == 4
    assert view.nbytes == BIG
    assert view[:8].tobytes()[: len(head)] == head
    return view


LARGE_INPUTS: dict[str, Callable[[bytes], Buffer]] = {
    "bytes": lambda head: bytes(big_buffer(head)),
    "bytearray": big_buffer,
    "memoryview": lambda head: memoryview(big_buffer(head)),
    "strided-bytes": strided_bytes,
    "strided-words": strided_words,
}


@pytest.mark.parametrize("kind", LARGE_INPUTS)
def test_huge_payload_refused_from_its_length(kind: str) -> None:
    data = LARGE_INPUTS[kind](b"\x03\xe8bye")
    answer, used = peak_of(parse_close_payload, data)
    assert type(answer) is PayloadTooLongError
    assert answer.length == BIG
    assert answer.close_code == 1002
    assert used < PEAK_LIMIT, f"parse_close_payload allocated {used} bytes for a {kind}"


@pytest.mark.parametrize("kind", LARGE_INPUTS)
def test_huge_frame_with_a_huge_tail_refused_without_a_copy(kind: str) -> None:
    # A valid 4-byte close frame, then BIG - 4 more bytes.
    data = LARGE_INPUTS[kind](b"\x88\x02\x03\xe8")
    answer, used = peak_of(decode_close_frame, data)
    assert type(answer) is TrailingBytesError
    assert answer.extra == BIG - 4
    assert used < PEAK_LIMIT, f"decode_close_frame allocated {used} bytes for a {kind}"


@pytest.mark.parametrize("kind", LARGE_INPUTS)
def test_huge_buffer_read_without_a_copy(kind: str) -> None:
    # The stack's receive buffer: a close frame, then 10 MB that are not read.
    data = LARGE_INPUTS[kind](b"\x88\x02\x03\xe8")
    answer, used = peak_of(read_frame, data)
    assert answer == (Close(1000), 4)
    assert used < PEAK_LIMIT, f"read_close_frame allocated {used} bytes for a {kind}"


@pytest.mark.parametrize("kind", LARGE_INPUTS)
@pytest.mark.parametrize("codec", ["decode_close_frame", "read_close_frame"])
def test_huge_buffer_with_a_bad_header_refused_from_the_header(kind: str, codec: str) -> None:
    # The length field says 126: refused from the two header bytes alone.
    data = LARGE_INPUTS[kind](b"\x88\x7e\x00\x7e")
    answer, used = peak_of(CODECS[codec], data)
    assert type(answer) is ControlFrameTooLongError
    assert answer.length_field == 126
    assert used < PEAK_LIMIT, f"{codec} allocated {used} bytes for a {kind}"


@pytest.mark.parametrize("kind", ["bytearray", "memoryview", "strided-bytes"])
def test_huge_buffer_left_unpinned(kind: str) -> None:
    # After refusing 10 MB, the caller can resize (here: free) its buffer.
    data = LARGE_INPUTS[kind](b"\x03\xe8")
    base = data.obj if isinstance(data, memoryview) else data
    assert isinstance(base, bytearray)
    attempt(parse_close_payload, data)
    attempt(decode_close_frame, data)
    attempt(read_frame, data)
    if isinstance(data, memoryview):
        data.release()
    base.clear()
