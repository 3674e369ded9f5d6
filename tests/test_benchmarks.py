"""The benchmark suite still runs: its checks pass and every timing loop works.

Nothing here is timed (``tox -e bench`` measures speed); these tests keep
``benchmarks/bench_close.py`` from breaking unnoticed between benchmark runs.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH_SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_close.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_close", BENCH_SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


bench = load_bench()


def test_every_contender_gets_the_fixed_payloads_right() -> None:
    # check_contenders raises SystemExit when a contender gets a row wrong.
    notes = bench.check_contenders()
    assert notes[0] == f"mixed stream: closeframe accepts 29 of {len(bench.MIXED)} payloads"


def test_every_timing_loop_runs() -> None:
    tasks = bench.all_tasks()
    assert len(tasks) == 68
    for name, (time_func, args, _) in tasks.items():
        elapsed = time_func(3, *args)
        assert isinstance(elapsed, float), name
        assert elapsed > 0, name


def test_the_report_has_every_table() -> None:
    times = dict.fromkeys(bench.all_tasks(), 100e-9)
    text = bench.report(times, {"implementation": "c"})
    for heading in (
        "Parse a close payload: time per call (ratio to floor)",
        "Serialize a close payload: time per call (ratio to floor)",
        "closeframe vs the peers",
        "closeframe (python) vs the peers",
        "Structure",
    ):
        assert heading in text
    assert "| 100 ns (1.00x) " in text
    assert "  implementation: c" in text


def test_import_time_is_read_from_python() -> None:
    first, best = bench.import_time_ms(runs=2)
    assert 0 < best <= first < 10_000  # milliseconds
