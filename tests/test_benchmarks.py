"""The benchmark suite still runs: its checks pass and every timing loop works.

Nothing here is timed (``tox -e bench`` measures speed); these tests keep
``benchmarks/bench_close.py`` from breaking unnoticed between benchmark runs.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

import closeframe
from loading import load_file

BENCH_SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_close.py"


def load_bench() -> ModuleType:
    return load_file("bench_close", BENCH_SCRIPT)


bench = load_bench()


def test_every_contender_gets_the_fixed_payloads_right() -> None:
    # check_contenders raises SystemExit when a contender gets a row wrong.
    notes = bench.check_contenders()
    assert notes[0] == f"mixed stream: closeframe accepts 29 of {len(bench.MIXED)} payloads"


def test_every_timing_loop_runs() -> None:
    tasks = bench.all_tasks()
    # 6 parse rows x 11 contenders (no floor of its own on bad-code),
    # 3 serialize x 5, 2 frame reads x 5, 1 masked encode x 4.
    assert len(tasks) == 6 * 11 - 1 + 3 * 5 + 2 * 5 + 4
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
        "Read a whole close frame: time per call (ratio to floor)",
        "Encode a masked close frame (a fresh key per call): time per call (ratio to floor)",
        "What each peer checks and skips",
        "Structure",
    ):
        assert heading in text
    assert "| 100 ns (1.00x) " in text
    assert "  implementation: c" in text


def test_import_time_is_read_from_python() -> None:
    first, best = bench.import_time_ms(runs=2)
    assert 0 < best <= first < 10_000  # milliseconds


def test_the_peers_skip_what_the_report_says_they_skip() -> None:
    # 1006 must never be on the wire: both peers take it as a close code.
    assert bench.parse_outcome("aiohttp", bytes.fromhex("03ee")) == (1006, "")
    assert bench.parse_outcome("picows", bytes.fromhex("03ee")) == (1006, "")
    # aiohttp refuses unregistered codes under 3000 (1004) and takes any code from 3000 up.
    assert isinstance(bench.parse_outcome("aiohttp", bytes.fromhex("03ec")), Exception)
    assert bench.parse_outcome("aiohttp", bytes.fromhex("ffff")) == (65535, "")
    # picows checks no code at all: 1005, 1015, 0 and 65535 pass; a lone byte is "no code".
    for code in (0, 999, 1005, 1015, 2000, 65535):
        assert bench.parse_outcome("picows", code.to_bytes(2, "big")) == (code, "")
    assert bench.parse_outcome("picows", b"\x03") == (0, "")
    # Both check the reason's UTF-8.
    for peer in ("aiohttp", "picows"):
        assert isinstance(bench.parse_outcome(peer, bench.BAD_UTF8), Exception)


def test_every_frame_contender_reads_the_frame_closeframe_reads() -> None:
    for row in bench.READ_ROWS:
        expected = bench.read_outcome(row, "closeframe")
        assert expected[0] == 1000
        for contender in bench.READ_CONTENDERS:
            assert bench.read_outcome(row, contender) == expected, (row.key, contender)


def test_the_instruction_report_puts_the_counts_beside_the_times() -> None:
    names = [*bench.measured_tasks(), *(bench.as_pure(n) for n in bench.closeframe_rows())]
    counts = dict.fromkeys(names, 1000.0)
    counts["parse code-only: closeframe"] = 500.0
    times = dict.fromkeys(bench.all_tasks(), 100e-9)
    text = bench.instructions_report(counts, times)
    assert "Parse a close payload: instructions per call (ratio to floor)" in text
    assert "| 500 (0.50x) " in text
    line = next(row for row in text.splitlines() if row.startswith("| parse code-only: floor "))
    assert [cell.strip() for cell in line.strip("|").split("|")] == [
        "parse code-only: floor",
        "1,000",
        "1.00x",
        "2.00x",
        "100 ns",
        "1.00x",
    ]
    # The pure-Python frame rows have counts but no pyperf time.
    pure_read = "| read code-only: closeframe (python) "
    line = next(row for row in text.splitlines() if row.startswith(pure_read))
    assert line.rstrip().endswith("| -             | -            |")


def test_the_least_rows_return_what_closeframe_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # benchmarks/least.c stands beside closeframe's rows as the least a
    # built-in can do for each: it must return what closeframe returns
    # (the same class, the same value), or the comparison means nothing.
    least = load_file("least", BENCH_SCRIPT.parent / "least.py")
    path = least.build(tmp_path)
    monkeypatch.setenv(bench.LEAST_VARIABLE, str(path))
    tasks = bench.least_tasks()
    rows = {name.removeprefix(bench.LEAST_PREFIX) + ": closeframe" for name in tasks}
    assert len(tasks) == 6
    assert rows <= set(bench.all_tasks())
    for loop, args, _inner in tasks.values():
        assert loop(3, *args) >= 0
    module = least.load(path)
    code = closeframe.CloseCode.NORMAL_CLOSURE
    expected = closeframe.parse_close_payload(bench.SHORT)
    got = module.pair(closeframe.Close, code)(bench.SHORT)
    assert (type(got), got, hash(got)) == (type(expected), expected, hash(expected))
    shared = closeframe.parse_close_payload(bench.CODE_ONLY)
    assert module.shared(shared)(bench.CODE_ONLY) is shared
    with pytest.raises(closeframe.InvalidReasonError) as ours:
        closeframe.parse_close_payload(bench.BAD_UTF8)
    with pytest.raises(closeframe.InvalidReasonError) as theirs:
        module.raising(closeframe.InvalidReasonError, ours.value.args)(bench.BAD_UTF8)
    assert (type(theirs.value), str(theirs.value)) == (type(ours.value), str(ours.value))
    for reason in ("", bench.SHORT_REASON, bench.MAX_REASON):
        serialized = closeframe.serialize_close_payload(1000, reason)
        assert module.concat(b"\x03\xe8")(1000, reason) == serialized
    with pytest.raises(TypeError, match="2 bytes"):
        module.concat(b"\x03")
