"""closeframe's own benchmarks stay within their instruction ceilings.

A regression guard, not a timing test: callgrind counts the instructions of
each benchmark loop (``benchmarks/instructions.py``), which do not depend on
the machine's load, and ``benchmarks/instruction_budget.json`` holds a
ceiling per row, per interpreter and implementation.  A row over its ceiling
has slowed down; a row far under it has sped up, and its ceiling must come
down in the same commit (``tox -e instructions -- --write-budget``).

Runs the implementation this environment runs (``closeframe.IMPLEMENTATION``:
``tox -e py311`` the accelerator, ``tox -e pure`` pure Python).  Needs
valgrind, and fails when it is missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

import closeframe
from loading import load_file

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name: str) -> ModuleType:
    return load_file(name, BENCHMARKS / f"{name}.py")


instructions = load("instructions")
bench = load("bench_close")

#: Enough calls for a count steady to a few instructions (see instructions.py).
CALLS = 400


def test_valgrind_is_installed() -> None:
    # Fails, never skips: without valgrind the budget would go unchecked.
    assert instructions.valgrind()


def test_every_closeframe_row_is_within_its_ceiling() -> None:
    ceilings = instructions.read_budget()[closeframe.IMPLEMENTATION]
    assert sorted(ceilings) == sorted(bench.closeframe_rows())
    counts = instructions.measure(
        ceilings, pure=closeframe.IMPLEMENTATION == "python", calls=CALLS
    )
    problems = instructions.over_budget(counts, ceilings)
    assert not problems, "\n".join(problems)


def test_the_budget_covers_both_implementations() -> None:
    ceilings = instructions.read_budget()
    assert set(ceilings) == {"c", "python"}
    assert ceilings["c"].keys() == ceilings["python"].keys()


def test_a_slower_row_fails_and_a_faster_one_asks_for_a_lower_ceiling() -> None:
    ceilings = {"parse code-only: closeframe": 500}
    assert instructions.over_budget({"parse code-only: closeframe": 500.0}, ceilings) == []
    assert instructions.over_budget({"parse code-only: closeframe": 480.0}, ceilings) == []
    (slower,) = instructions.over_budget({"parse code-only: closeframe": 501.0}, ceilings)
    assert "over its 500" in slower
    (faster,) = instructions.over_budget({"parse code-only: closeframe": 400.0}, ceilings)
    assert "lower it to 420" in faster


def test_the_ceiling_is_the_count_plus_the_tolerance_rounded_up() -> None:
    assert instructions.ceiling(465.3, 0.03) == 480
    assert instructions.ceiling(1000, 0.03) == 1030
    assert instructions.ceiling(1000, 0.0) == 1000


def test_a_missing_interpreter_fails_with_the_command_to_run(tmp_path: Path) -> None:
    budget = tmp_path / "budget.json"
    budget.write_text(json.dumps({"ceilings": {"cpython-2.7": {}}}))
    with pytest.raises(instructions.CallgrindError, match="--write-budget"):
        instructions.read_budget(budget)
