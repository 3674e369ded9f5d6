"""Regression guard for what makes the hot path fast (no timings here).

The speed itself is measured by benchmarks/ (``tox -e bench``); these tests
pin the structure that the measurements rely on, so a refactoring that loses
it fails at once rather than in the next benchmark run.
"""

from __future__ import annotations

import contextlib
import gc
import subprocess
import sys
from collections.abc import Callable

import pytest

import closeframe
from closeframe import Close, CloseCodec, is_sendable, parse_close_payload, serialize_close_payload
from closeframe import payload as payload_module
from closeframe._impl import load_speedups

SENDABLE = [code for code in range(65536) if is_sendable(code)]


def retained_by(build: Callable[[], object]) -> int:
    """The bytes still allocated after *build* returns (its result kept alive)."""
    import tracemalloc  # here, not at the top: PyPy has none (tox.ini's pypy3)

    tracemalloc.start()
    try:
        # Collected once while traced: the free-threaded GC keeps 8 KiB of its
        # own from each collection to the next, which would count as retained.
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        kept = build()
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del kept
    return int(retained)


def test_code_only_payloads_are_shared_instances() -> None:
    for code in SENDABLE:
        payload = code.to_bytes(2, "big")
        assert parse_close_payload(payload) is parse_close_payload(bytes(payload))
    assert parse_close_payload(b"") is parse_close_payload(b"")


def test_a_codecs_tables_are_bounded() -> None:
    """A codec's lookup tables stay small: the rows that accept no code are shared.

    Every one of the 65,536 codes has an answer in the tables, but only about
    2,000 may be sent: the Python parser's 256 rows of 256 answers share one
    row for the 245 that accept none (each a 2 kB tuple, some 490 kB if not
    shared), and the prebuilt values exist once per sendable code.  The C
    parser and serializer add three tables indexed by code (512 kB each).
    """
    # The implementation this environment runs (py311: C, pure and nocompiler: Python).
    speedups = load_speedups()
    accepted = sorted(closeframe.SENDABLE_CODES | {2001})
    retained = retained_by(
        lambda: (
            payload_module.make_parser(accepted, speedups),
            payload_module.make_serializer(accepted, speedups),
        )
    )
    # Measured: 467 kB (Python), 2,003 kB (with C), on 3.11.
    assert retained < (600_000 if speedups is None else 2_300_000)


def test_the_tables_are_built_at_import_and_never_grow() -> None:
    """Parsing builds nothing that stays: no lazy table, no cache of answers.

    Thousands of payloads of every shape, the results dropped: what the codec
    keeps afterwards is what it had before.
    """
    payloads = [code.to_bytes(2, "big") + b"r" * (code % 5) for code in range(0, 65536, 7)]
    payloads += [b"", b"\x03", b"\x03\xe8\xff", b"x" * 126]

    def parse_all() -> None:
        for data in payloads:
            with contextlib.suppress(closeframe.CloseFrameError):
                parse_close_payload(data)
            with contextlib.suppress(closeframe.CloseValueError):
                serialize_close_payload(int.from_bytes(data[:2] or b"\x03\xe8", "big"), "r")

    parse_all()  # anything that is built once, on first use, is built now
    assert retained_by(parse_all) < 2_000


def test_extension_codecs_have_their_own_tables() -> None:
    codec = CloseCodec(extension_codes={2001, 2002})
    assert codec.parse(b"\x07\xd1") == Close(2001)
    assert codec.serialize(2002) == b"\x07\xd2"
    # Building it changed nothing for the default rules.
    with pytest.raises(closeframe.InvalidCodeError):
        parse_close_payload(b"\x07\xd1")
    with pytest.raises(closeframe.UnsendableCodeError):
        serialize_close_payload(2001)
    # The default codec is the module's own functions: no second set of tables.
    assert CloseCodec().parse is parse_close_payload
    assert CloseCodec().serialize is serialize_close_payload


def test_no_allocation_per_code_only_parse() -> None:
    payloads = [code.to_bytes(2, "big") for code in (1000, 1001, 3000, 4999)] * 2500
    results: list[object] = [None] * len(payloads)
    import tracemalloc  # here, not at the top: PyPy has none (tox.ini's pypy3)

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for index, payload in enumerate(payloads):
            results[index] = parse_close_payload(payload)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # 10,000 new values would take over 500 kB; shared ones take nothing.
    assert grown < 2_000
    assert len({id(result) for result in results}) == 4


def test_a_parsed_value_is_small() -> None:
    # No bigger than the plain tuple of its fields: no __dict__, no slots
    # (a 3-tuple is 64 bytes, 72 from CPython 3.14, whose tuples cache their hash).
    assert sys.getsizeof(parse_close_payload(b"\x03\xe8hi")) <= sys.getsizeof((1000, "hi"))
    assert sys.getsizeof(closeframe.CloseEvent(1000, "hi", True)) <= sys.getsizeof((1, "", True))
    assert sys.getsizeof((1000, "hi", True)) <= 72


def test_import_pulls_in_nothing_heavy() -> None:
    # typing alone costs ~4 ms to import: the package must not need it.
    heavy = "{'typing', 'argparse', 'json', 'inspect', 'dataclasses'}"
    code = f"import sys, closeframe; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
