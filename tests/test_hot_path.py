"""Regression guard for what makes the hot path fast (no timings here).

The speed itself is measured by benchmarks/ (``tox -e bench``); these tests
pin the structure that the measurements rely on, so a refactoring that loses
it fails at once rather than in the next benchmark run.
"""

from __future__ import annotations

import contextlib
import inspect
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import closeframe
from closeframe import CloseCodec, is_sendable, parse_close_payload

SENDABLE = [code for code in range(65536) if is_sendable(code)]


def parser_tables(parse: Callable[..., object]) -> Mapping[str, Any]:
    # The compiled parser wraps the Python one and shares its tables.
    python_parse = getattr(parse, "__wrapped__", parse)
    return inspect.getclosurevars(python_parse).nonlocals


def test_code_only_payloads_are_shared_instances() -> None:
    for code in SENDABLE:
        payload = code.to_bytes(2, "big")
        assert parse_close_payload(payload) is parse_close_payload(bytes(payload))
    assert parse_close_payload(b"") is parse_close_payload(b"")


def test_tables_are_bounded_and_built_at_import() -> None:
    tables = parser_tables(parse_close_payload)
    code_only = tables["code_only"]
    rows = tables["rows"]
    assert isinstance(code_only, dict)
    assert isinstance(rows, tuple)
    # One entry per sendable code: 1000-1003, 1007-1014, 3000-4999.
    assert len(code_only) == len(SENDABLE) == 2012
    # The code for every high and low byte, None where it is refused; the
    # rows without a code shared.
    assert [len(row) for row in rows] == [256] * 256
    expected = [code if is_sendable(code) else None for code in range(65536)]
    assert [row[low] for row in rows for low in range(256)] == expected
    distinct = {id(row): row for row in rows}.values()
    assert len(distinct) == 11  # 0x03, 0x0b-0x13, and one row of None


@given(st.binary(max_size=130))
def test_tables_never_grow_from_input(data: bytes) -> None:
    code_only = parser_tables(parse_close_payload)["code_only"]
    assert isinstance(code_only, dict)
    with contextlib.suppress(closeframe.CloseFrameError):
        parse_close_payload(data)
    assert len(code_only) == 2012


def test_extension_codecs_have_their_own_bounded_tables() -> None:
    codec = CloseCodec(extension_codes={2001, 2002})
    assert len(parser_tables(codec.parse)["code_only"]) == 2014
    assert len(parser_tables(parse_close_payload)["code_only"]) == 2012


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
    # No bigger than the plain tuple of its fields (no __dict__, no slots):
    # 64 bytes for three fields, 72 from CPython 3.14 (tuples cache their hash).
    assert sys.getsizeof(parse_close_payload(b"\x03\xe8hi")) <= sys.getsizeof((1000, "hi"))
    plain = sys.getsizeof((1000, "hi", True))
    assert sys.getsizeof(closeframe.CloseEvent(1000, "hi", True)) <= plain <= 72


def test_import_pulls_in_nothing_heavy() -> None:
    # typing alone costs ~4 ms to import: the package must not need it.
    heavy = "{'typing', 'argparse', 'json', 'inspect', 'dataclasses'}"
    code = f"import sys, closeframe; print(sorted({heavy} & set(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
