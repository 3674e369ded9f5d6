"""A caller's buffer rewritten while the codec reads it.

A stack may hand the codec memory that someone else writes at the same
time: a ``MAP_SHARED`` mmap another process fills, a buffer a C library
fills without the GIL.  Whatever the bytes are at each instant, every
answer must be sound: a valid ``str`` built from one consistent read (a
torn read may give either state, a mix of them, or an error, never a
``str`` whose storage disagrees with its characters, never a write past a
buffer).  The compiled codec once scanned the reason in place, then decoded
it trusting the scan: a rewrite in between overflowed the ``str`` it had
sized (a heap-buffer overflow under ASan).  ``tox -e sanitize`` runs this
module on an ASan build.

A second process flips the shared bytes between two states as fast as it
can, for a bounded time, while this one parses the same memory.
"""

from __future__ import annotations

import mmap
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from closeframe import (
    Close,
    CloseEvent,
    CloseFrameError,
    decode_close_frame,
    parse_close_payload,
    read_close_frame,
)

# Two reasons of 123 bytes whose bytes, mixed in any way, decode only to
# their own characters or fail: E2 82 AC never forms another character
# with "a" (0x61) or with a shifted copy of itself.
WIDE = ("€" * 41).encode()
NARROW = b"a" * 123
CHARACTERS = {"€", "a"}
# Where each shared layout lives in the mapping.
PAYLOAD_AT = 0  # 03 e8 + reason: a 125-byte payload
FRAME_AT = 256  # 88 7d 03 e8 + reason: an unmasked 127-byte frame
HEADER_AT = 512  # 88 05|7d 03 e8 + reason: the length field itself flips
SIZE = 1024
CALLS = 150_000
RACE_SECONDS = 60  # at most, to see the writer's changes
WRITER_SECONDS = 180  # the writer stops by itself, should this process die

WRITER = """
import mmap, sys, time
path, wide, narrow = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
with open(path, "r+b") as f, mmap.mmap(f.fileno(), 0) as m:
    m[1023] = 1  # ready
    deadline = time.monotonic() + float(sys.argv[4])
    while time.monotonic() < deadline:
        m[4:127] = wide; m[260:383] = wide; m[513] = 0x05; m[516:639] = wide
        m[4:127] = narrow; m[260:383] = narrow; m[513] = 0x7D; m[516:639] = narrow
"""


def layout() -> bytearray:
    data = bytearray(SIZE)
    data[PAYLOAD_AT : PAYLOAD_AT + 2] = b"\x03\xe8"
    data[FRAME_AT : FRAME_AT + 4] = b"\x88\x7d\x03\xe8"
    data[HEADER_AT : HEADER_AT + 4] = b"\x88\x7d\x03\xe8"
    for start in (PAYLOAD_AT + 2, FRAME_AT + 4, HEADER_AT + 4):
        data[start : start + 123] = NARROW
    return data


@contextmanager
def shared_memory(tmp_path: Path) -> Iterator[mmap.mmap]:
    """The layout above, mapped shared, with a writer process rewriting it."""
    path = tmp_path / "shared"
    path.write_bytes(layout())
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}  # no ASan there
    args = [path, WIDE.hex(), NARROW.hex(), str(WRITER_SECONDS)]
    writer = subprocess.Popen([sys.executable, "-c", WRITER, *map(str, args)], env=env)
    try:
        with path.open("r+b") as file, mmap.mmap(file.fileno(), 0) as memory:
            deadline = time.monotonic() + 30
            while memory[SIZE - 1] != 1:
                assert writer.poll() is None, "the writer process died"
                assert time.monotonic() < deadline, "the writer process never started"
                time.sleep(0.01)
            yield memory
    finally:
        writer.kill()
        writer.wait()


def check_sound(close: Close | CloseEvent) -> str:
    """The reason is a str CPython itself would build from its characters."""
    reason = close.reason
    # str equality compares the storage kind first: a str built too narrow
    # or too wide is unequal to its own round trip.
    assert reason == reason.encode().decode()
    assert set(reason) <= CHARACTERS
    assert len(reason.encode()) <= 123
    return reason


def hammer(call: Callable[[], Close | CloseEvent | None]) -> set[str]:
    """The distinct reasons seen (errors as their class names) in CALLS calls or more.

    On a loaded machine the writer may get little time: the calls go on
    (up to RACE_SECONDS) until they have seen the memory change.
    """
    seen: set[str] = set()
    calls = 0
    deadline = time.monotonic() + RACE_SECONDS
    while calls < CALLS or (not raced(seen) and time.monotonic() < deadline):
        calls += 1
        try:
            close = call()
        except CloseFrameError as exc:
            seen.add(type(exc).__name__)
        else:
            assert close is not None
            seen.add(check_sound(close))
    assert raced(seen), f"the writer changed nothing in {RACE_SECONDS} s"
    return seen


def raced(seen: set[str]) -> bool:
    # The memory started all "a": the calls read it changing.
    return any("€" in outcome for outcome in seen) and len(seen) > 2


def test_payload_rewritten_while_parsed(tmp_path: Path) -> None:
    with shared_memory(tmp_path) as memory:
        view = memoryview(memory)[PAYLOAD_AT : PAYLOAD_AT + 125]
        try:
            hammer(lambda: parse_close_payload(view))
            hammer(lambda: CloseEvent.from_payload(view, was_clean=True))
        finally:
            view.release()


def test_frame_rewritten_while_decoded(tmp_path: Path) -> None:
    with shared_memory(tmp_path) as memory:
        view = memoryview(memory)[FRAME_AT : FRAME_AT + 127]
        try:
            hammer(lambda: decode_close_frame(view, masked=False))
            hammer(lambda: read_close_frame(view)[0])
        finally:
            view.release()


def test_length_field_rewritten_while_read(tmp_path: Path) -> None:
    # The header says 5 or 125 payload bytes: what is read must be the
    # payload that header announced, from the same instant.
    lengths: set[int] = set()
    with shared_memory(tmp_path) as memory:
        view = memoryview(memory)[HEADER_AT : HEADER_AT + 127]
        try:
            calls = 0
            deadline = time.monotonic() + RACE_SECONDS
            while calls < CALLS or (len(lengths) < 2 and time.monotonic() < deadline):
                calls += 1
                try:
                    close, consumed = read_close_frame(view)
                except CloseFrameError:
                    continue
                assert close is not None
                reason = check_sound(close)
                assert consumed == 4 + len(reason.encode())
                lengths.add(consumed)
        finally:
            view.release()
    assert lengths == {7, 127}
