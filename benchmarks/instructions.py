"""Instructions per call under callgrind, for every benchmark of ``bench_close.py``.

Timings on a shared machine wander; callgrind counts the instructions the
process executes, which are the same for the same interpreter, code and
input whatever else the machine does.  The interpreter's start-up and the
imports are cancelled out: one process under ``valgrind --tool=callgrind``
runs each benchmark's own timing loop (the very loop pyperf times) three
times, for N, N and 2N calls, and calls ``os.getppid()`` between the runs.
``--dump-before=getppid`` makes callgrind write its counters at each of
those calls, so each run's instructions land in a file of their own; the
first run warms the loop up (CPython 3.11 specializes a loop's bytecode
after a few iterations, and first calls fill caches), and the count per
call is (instructions of the 2N run - those of the second N run) / N.
Everything a run does once (``range``, ``perf_counter``, the marker call)
cancels; what is left is the loop's iteration plus the call.

The compiled and the pure-Python closeframe run in separate processes
(``CLOSEFRAME_NO_EXTENSIONS=1`` for the second), so the pure-Python frame
functions use the pure-Python payload codec, as an install without the
accelerator does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH_SCRIPT = HERE / "bench_close.py"
BUDGET_FILE = HERE / "instruction_budget.json"

#: Calls per measured run.  The count per call is deterministic to within a
#: few instructions from about 200 calls; 1,000 is cheap (the whole suite
#: runs in about a minute under callgrind) and leaves allocator and GC
#: events, which come every few hundred allocations, amortised.
DEFAULT_CALLS = 1000
MARKER = "getppid"
# Hash randomisation changes dict and set layouts, so it can shift a count
# by a few instructions: every measurement uses the same seed.
HASH_SEED = "0"


class CallgrindError(RuntimeError):
    """valgrind is missing, or the measured process failed."""


def valgrind() -> str:
    """The valgrind executable; raises (never skips) when it is not installed."""
    found = shutil.which("valgrind")
    if found is None:
        raise CallgrindError(
            "valgrind is not installed: the instruction counts need it"
            " (Debian: apt-get install valgrind; .ci/run installs it when missing)"
        )
    return found


def _worker(names: list[str], calls: int) -> None:
    """Run under callgrind: each named benchmark's loop for N, N and 2N calls."""
    sys.path.insert(0, str(HERE))
    import bench_close  # noqa: PLC0415  (the worker imports the suite it measures)

    tasks = bench_close.measured_tasks()
    marker = os.getppid
    for name in names:
        time_func, args, inner = tasks[name]
        loops = max(1, calls // (inner or 1))
        marker()
        time_func(loops, *args)  # warm-up
        marker()
        time_func(loops, *args)
        marker()
        time_func(2 * loops, *args)
        marker()


def _totals(out_dir: Path) -> list[int]:
    """The instruction totals of callgrind's dumps, in order (``cg.out.1``, ``.2``, ...)."""
    dumps = sorted(
        (path for path in out_dir.glob("cg.out.*") if path.suffix[1:].isdigit()),
        key=lambda path: int(path.suffix[1:]),
    )
    totals: list[int] = []
    for path in dumps:
        for line in path.read_text().splitlines():
            if line.startswith("totals:"):
                totals.append(int(line.split()[1]))
                break
        else:
            raise CallgrindError(f"no totals line in {path}")
    return totals


def measure(
    names: Iterable[str], *, pure: bool = False, calls: int = DEFAULT_CALLS
) -> dict[str, float]:
    """Instructions per call of each named benchmark, from one process under callgrind.

    *pure* runs closeframe without its accelerator.  The stream row's count is
    per payload, as its time is.
    """
    wanted = list(names)
    sys.path.insert(0, str(HERE))
    import bench_close  # noqa: PLC0415

    tasks = bench_close.measured_tasks()
    env = dict(os.environ, PYTHONHASHSEED=HASH_SEED)
    if pure:
        env["CLOSEFRAME_NO_EXTENSIONS"] = "1"
    else:
        env.pop("CLOSEFRAME_NO_EXTENSIONS", None)
    with tempfile.TemporaryDirectory(prefix="closeframe-callgrind-") as tmp:
        out_dir = Path(tmp)
        command = [
            valgrind(),
            "--tool=callgrind",
            f"--dump-before={MARKER}",
            "--dump-instr=no",
            "--dump-line=no",
            f"--callgrind-out-file={out_dir / 'cg.out'}",
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            str(calls),
            json.dumps(wanted),
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise CallgrindError(
                f"callgrind run failed ({done.returncode}):\n{done.stderr[-3000:]}"
            )
        totals = _totals(out_dir)
    # Four markers per benchmark, so four dumps: what came before it (start-up
    # for the first), then its warm-up, its N run and its 2N run.
    expected = 4 * len(wanted)
    if len(totals) != expected:
        raise CallgrindError(f"expected {expected} callgrind dumps, found {len(totals)}")
    per_call: dict[str, float] = {}
    for index, name in enumerate(wanted):
        _before, _warm, single, double = totals[4 * index : 4 * index + 4]
        inner = tasks[name][2] or 1
        loops = max(1, calls // inner)
        per_call[name] = (double - single) / (loops * inner)
    return per_call


# --------------------------------------------------------------------------
# The budget: instruction ceilings for closeframe's own rows.

#: How far a row may move before the budget test fails, either way.  See
#: benchmarks/README.md ("The instruction budget") for how it was chosen.
TOLERANCE = 0.03


def python_key() -> str:
    """The budget's section for this interpreter: ``cpython-3.11``."""
    return f"{sys.implementation.name}-{sys.version_info.major}.{sys.version_info.minor}"


def ceiling(count: float, tolerance: float = TOLERANCE) -> int:
    """The ceiling a row measured at *count* gets: *tolerance* above, rounded up to 10."""
    return -(-int(count * (1 + tolerance)) // 10) * 10


def read_budget(path: Path = BUDGET_FILE) -> dict[str, dict[str, int]]:
    """This interpreter's ceilings: ``{"c": {benchmark: ceiling}, "python": {...}}``."""
    sections = json.loads(path.read_text())["ceilings"]
    key = python_key()
    if key not in sections:
        raise CallgrindError(
            f"{path.name} has no ceilings for {key} (it has {', '.join(sorted(sections))}):"
            " run `tox -e instructions -- --write-budget` on it and commit the file"
        )
    budget: dict[str, dict[str, int]] = sections[key]
    return budget


def write_budget(
    compiled: dict[str, float], pure: dict[str, float], path: Path = BUDGET_FILE
) -> Path:
    """Set this interpreter's ceilings from fresh counts, keeping the other interpreters'."""
    data = json.loads(path.read_text()) if path.exists() else {}
    data.setdefault(
        "about",
        "Instruction ceilings per call of closeframe's own benchmarks, per interpreter and"
        " implementation (c: the accelerator; python: CLOSEFRAME_NO_EXTENSIONS=1), checked by"
        " tests/test_instruction_budget.py; written by tox -e instructions -- --write-budget."
        " Each ceiling is the measured count plus TOLERANCE (benchmarks/instructions.py),"
        " rounded up to 10.",
    )
    ceilings = data.setdefault("ceilings", {})
    ceilings[python_key()] = {
        "c": {name: ceiling(value) for name, value in compiled.items()},
        "python": {name: ceiling(value) for name, value in pure.items()},
    }
    data["ceilings"] = dict(sorted(ceilings.items()))
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def over_budget(
    counts: dict[str, float], ceilings: dict[str, int], tolerance: float = TOLERANCE
) -> list[str]:
    """What is wrong with *counts* against *ceilings*: rows too slow, and ceilings too high.

    A row over its ceiling is a slowdown.  A row more than *tolerance* under
    the count its ceiling was written from has sped up, and its ceiling must
    come down with it, or the next slowdown would pass unseen.
    """
    problems: list[str] = []
    for name, limit in ceilings.items():
        count = counts[name]
        if count > limit:
            problems.append(f"{name}: {count:,.0f} instructions per call, over its {limit:,}")
        elif count * (1 + tolerance) ** 2 < limit:
            problems.append(
                f"{name}: {count:,.0f} instructions per call, far under its ceiling {limit:,}:"
                f" lower it to {ceiling(count, tolerance):,} (tox -e instructions --"
                " --write-budget)"
            )
    return problems


if __name__ == "__main__":
    if sys.argv[1:2] != ["--worker"]:
        raise SystemExit("run through bench_close.py --instructions; see benchmarks/README.md")
    _worker(json.loads(sys.argv[3]), int(sys.argv[2]))
