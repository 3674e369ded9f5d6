"""Eight threads on shared objects: each must get the answer one thread alone gets.

The accelerator declares that it needs no GIL (``Py_mod_gil``): on a
free-threaded CPython (``python3.13t``, ``python3.14t``), importing it leaves the GIL off,
and its functions then run truly at once on the same codec objects, the
same prebuilt results and the same input buffers.  That is safe because
nothing a call touches is written after construction (the tables are
tuples, the fields read-only), every result is either shared and immutable
or new, and memory the caller owns is read once, into the call's own stack
buffer (see the top of ``_speedups.c``).

These tests are the evidence: they run on every interpreter, and on a
free-threaded one they also check that the GIL stayed off.  On a build with
a GIL they still interleave the threads (a tiny switch interval), which
checks the pure-Python codec and the fallbacks the same way.
``CLOSEFRAME_HAMMER_ROUNDS`` makes the hammer longer (the default keeps it
to a few seconds).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import closeframe
from closeframe import (
    Close,
    CloseCodec,
    CloseEvent,
    CloseFrameError,
    CloseValueError,
    decode_close_frame,
    encode_close_frame,
    parse_close_payload,
    read_close_frame,
    serialize_close_payload,
)
from closeframe.browser import BROWSER

THREADS = 8
ROUNDS = int(os.environ.get("CLOSEFRAME_HAMMER_ROUNDS", "1000"))
FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def gil_enabled() -> bool:
    """Whether the GIL is on now (always, before 3.13)."""
    is_enabled: Callable[[], bool] = getattr(sys, "_is_gil_enabled", lambda: True)
    return is_enabled()


# Shared by every thread: the codecs, the reasons, the bytes, and whatever
# the codec shares itself (its tables, its prebuilt results).  A bytearray
# or memoryview is each thread's own: on free-threaded 3.13, taking buffers
# of one bytearray from several threads at once corrupts its export count
# (CPython's own race, seen with memoryview() alone, no closeframe in it),
# so no code may share one that way there.
LONG_REASON = "é" * 61 + "a"  # 123 bytes of UTF-8
PAYLOADS = [
    b"\x03\xe8",
    b"\x03\xe8" + LONG_REASON.encode(),
    b"\x0f\xa0" + "bye 👋".encode(),
    b"",
    b"\x03",
    b"\x03\xe8\xff",  # invalid UTF-8
    b"\x03\xe8\xed\xa0\x80",  # an encoded surrogate
    b"\x03\xed",  # 1005: never on the wire
    b"\x07\xd1",  # 2001: an extension's code
    b"\x03\xe8" + b"x" * 124,  # 126 bytes
]
KEY = b"\x37\xfa\x21\x3d"
FRAMES = [
    encode_close_frame(1000),
    encode_close_frame(1001, LONG_REASON, mask_key=KEY),
    encode_close_frame(4000, "ok", mask_key=KEY) + b"\x89\x00",  # and a ping after it
    b"\x88\x02\x03",  # incomplete
    b"\x08\x02\x03\xe8",  # fragmented
    b"\x89\x00",  # a ping
]
CODEC = CloseCodec(extension_codes={2001})


def with_buffers(inputs: list[bytes]) -> list[Any]:
    """The inputs as bytes, and the first three again as a bytearray and a memoryview."""
    return [
        *inputs,
        *map(bytearray, inputs[:3]),
        *(memoryview(bytearray(data)) for data in inputs[:3]),
    ]


def calls() -> list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]:
    """Every operation a thread repeats: parse, serialize, frames, events."""
    ops: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
    for data in with_buffers(PAYLOADS):
        ops += [
            (parse_close_payload, (data,), {}),
            (CODEC.parse, (data,), {}),
            (CloseEvent.from_payload, (data,), {"was_clean": True}),
            (BROWSER.parse, (data,), {}),
        ]
    for frame in with_buffers(FRAMES):
        ops += [
            (decode_close_frame, (frame,), {}),
            (read_close_frame, (frame,), {}),
            (read_close_frame, (frame,), {"masked": True}),
        ]
    for code, reason in [(1000, ""), (1000, LONG_REASON), (4999, "👋"), (2001, "x"), (1005, "")]:
        ops += [
            (serialize_close_payload, (code, reason), {}),
            (CODEC.serialize, (code, reason), {}),
            (encode_close_frame, (code, reason), {"mask_key": KEY}),
        ]
    ops.append((serialize_close_payload, (1000, LONG_REASON + "é"), {"truncate": True}))
    ops.append((serialize_close_payload, (1000, LONG_REASON + "é"), {}))
    return ops


def outcome(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """What one call did, comparable: its value, or its error and fields."""
    try:
        return ("value", func(*args, **kwargs))
    except (CloseFrameError, CloseValueError) as exc:
        return ("error", type(exc), exc.args)


@contextmanager
def switching_often() -> Iterator[None]:
    """With a GIL, hand it over as often as CPython allows, to interleave the threads."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def run_threads(work: Callable[[int], int]) -> int:
    """Run work(index) in THREADS threads started together; the operations they did."""
    start = threading.Barrier(THREADS)
    counts = [0] * THREADS
    failures: list[BaseException] = []

    def main(index: int) -> None:
        try:
            start.wait()
            counts[index] = work(index)
        except BaseException as exc:  # reported by the test's own thread
            failures.append(exc)

    threads = [threading.Thread(target=main, args=(index,)) for index in range(THREADS)]
    with switching_often():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    return sum(counts)


def test_eight_threads_get_what_one_thread_gets() -> None:
    ops_of = [calls() for _ in range(THREADS)]  # the same calls, each with its own buffers
    expected = [outcome(*op) for op in ops_of[0]]
    ops = ops_of[0]
    # The cases cover every kind of answer: shared results, new ones, errors.
    assert {answer[0] for answer in expected} == {"value", "error"}
    wrong: list[tuple[int, Any, Any]] = []

    def work(index: int) -> int:
        done = 0
        for _ in range(ROUNDS):
            # Each thread starts at its own place, so different calls overlap.
            for position in range(index, index + len(ops)):
                number = position % len(ops)
                got = outcome(*ops_of[index][number])
                if got != expected[number]:
                    wrong.append((number, got, expected[number]))
                done += 1
        return done

    done = run_threads(work)
    assert done == THREADS * ROUNDS * len(ops)
    assert wrong == []
    # Nothing the threads ran turned the GIL on.
    assert gil_enabled() is not FREE_THREADED
    print(f"{done} operations in {THREADS} threads, GIL enabled: {gil_enabled()}")


def test_a_buffer_rewritten_by_another_thread_gives_one_sound_answer() -> None:
    """Readers race a writer flipping a bytearray between two payloads.

    Without a GIL a reader may copy a mix of the two; whatever it copied, its
    answer must be a sound parse of those bytes: code 1000 and, character by
    character, a reason made of the two payloads' characters.
    """
    first, second = b"\x03\xe8" + b"a" * 123, b"\x03\xe8" + b"b" * 123
    shared = bytearray(first)
    frame_shared = bytearray(encode_close_frame(1000, "a" * 123, mask_key=KEY))
    frames = (frame_shared[:], bytearray(encode_close_frame(1000, "b" * 123, mask_key=KEY)))
    # The two arrays are shared; each reader reads them through views of its
    # own, made here, one thread at a time (see PAYLOADS on why).
    views = [(memoryview(shared), memoryview(frame_shared)) for _ in range(THREADS)]
    stop = threading.Event()
    bad: list[Any] = []

    def sound(close: Close) -> bool:
        return close.code == 1000 and len(close.reason) == 123 and set(close.reason) <= {"a", "b"}

    def work(index: int) -> int:
        if index == 0:  # the writer
            flips = 0
            while not stop.is_set():
                shared[:] = second if flips % 2 else first
                frame_shared[:] = frames[flips % 2]
                flips += 1
            return flips
        done = 0
        try:
            for _ in range(ROUNDS * 20):
                payload_view, frame_view = views[index]
                close = parse_close_payload(payload_view)
                found, _ = read_close_frame(frame_view)
                if not (sound(close) and found is not None and sound(found)):
                    bad.append((close, found))
                done += 2
        finally:
            if index == 1:
                stop.set()
        return done

    assert run_threads(work) > 0
    for pair in views:
        for view in pair:
            view.release()
    assert bad == []
    assert gil_enabled() is not FREE_THREADED


def test_importing_it_leaves_the_gil_off() -> None:
    """On a free-threaded build, importing closeframe keeps the GIL off.

    An extension without the Py_mod_gil slot would turn it on, with a
    RuntimeWarning that -W error makes fatal.  On a build with a GIL, the
    import must be just as silent, and the GIL is on as always.
    """
    env = {name: value for name, value in os.environ.items() if name != "PYTHON_GIL"}
    script = (
        "import sys, closeframe; "
        "print(closeframe.IMPLEMENTATION, getattr(sys, '_is_gil_enabled', lambda: True)())"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == f"{closeframe.IMPLEMENTATION} {not FREE_THREADED}\n"
