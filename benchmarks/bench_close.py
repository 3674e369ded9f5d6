"""The close-payload benchmark suite: closeframe against the floor and its peers.

Run with ``tox -e bench`` (full) or ``tox -e bench -- --fast`` (a quick check);
see ``benchmarks/README.md``.  Every contender is timed in one pyperf run, on
the same payloads, in worker processes pyperf spawns; the parent process then
prints the tables and writes the pyperf JSON (``--json PATH``).

The contenders, for parsing a close payload:

``floor``
    The least work a correct parser must do: ``struct.Struct("!H").unpack_from``
    for the code and ``data[2:].decode()`` for the reason, in a plain function.
``closeframe``
    ``parse_close_payload(data)``.
``closeframe event``
    ``CloseEvent.from_payload(data, was_clean=True)``: parse, then the event.
``websockets``
    ``websockets.frames.Close.parse(data)``.
``wsproto close``
    wsproto's close handling on an already-framed payload:
    ``FrameProtocol._process_close(Frame(Opcode.CLOSE, data, True, True))``
    (the ``Frame`` is built once, outside the timed loop).
``wsproto frame``
    A whole close frame through a fresh ``FrameProtocol(client=True,
    extensions=[])``: ``receive_bytes(frame)`` then ``received_frames()``.
    A fresh protocol per frame is the minimum: after a close frame, wsproto's
    frame protocol yields nothing more.

and for serializing one: ``floor`` (``pack(code) + reason.encode()``),
``closeframe`` (``serialize_close_payload(code, reason)``), ``websockets``
(``Close(code, reason).serialize()``) and ``wsproto frame``
(``FrameProtocol(client=False, ...).close(code, reason)``, which builds the
whole frame, unmasked as a server sends it: wsproto has no payload-only
serializer).

Each contender has its own timing loop, so no wrapper function adds a call to
one contender and not to another.  On the error rows the loop catches the
contender's own exception on every iteration: that is part of the time.
"""

from __future__ import annotations

import os
import random
import re
import struct
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from time import perf_counter
from typing import Any

import pyperf
import websockets
import websockets.exceptions
import websockets.frames
import wsproto.frame_protocol as wsfp

import closeframe
from closeframe import CloseEvent, CloseFrameError, parse_close_payload, serialize_close_payload

# --------------------------------------------------------------------------
# The floor: the least work a correct parser (and serializer) must do.

_unpack_code = struct.Struct("!H").unpack_from
_pack_code = struct.Struct("!H").pack


def floor_parse(data: bytes) -> tuple[int, str]:
    """The code and the reason, with no check beyond what decoding does."""
    (code,) = _unpack_code(data)
    return code, data[2:].decode()


def floor_serialize(code: int, reason: str) -> bytes:
    """The 2-byte code, then the UTF-8 reason."""
    return _pack_code(code) + reason.encode()


# --------------------------------------------------------------------------
# The peers.

WsClose = websockets.frames.Close
_WSPROTO_PROTOCOL = wsfp.FrameProtocol(client=True, extensions=[])
# _process_close reads only the frame it is given: one protocol serves every call.
wsproto_process_close = _WSPROTO_PROTOCOL._process_close
# Serializing as a server: its frames are unmasked, so no mask is drawn and applied.
wsproto_close_frame = wsfp.FrameProtocol(client=False, extensions=[]).close


def wsproto_frame(frame: bytes) -> object:
    """A whole close frame through a fresh wsproto ``FrameProtocol``."""
    protocol = wsfp.FrameProtocol(client=True, extensions=[])
    protocol.receive_bytes(frame)
    for received in protocol.received_frames():
        return received
    raise AssertionError("wsproto returned no frame")  # pragma: no cover


def as_wsproto_frame(payload: bytes) -> wsfp.Frame:
    """The already-framed payload ``_process_close`` takes."""
    return wsfp.Frame(wsfp.Opcode.CLOSE, payload, True, True)


def as_wire_frame(payload: bytes) -> bytes:
    """An unmasked, final close frame, as a server sends it to a client."""
    assert len(payload) <= 125
    return bytes([0x88, len(payload)]) + payload


# Each contender's own errors: what a caller of it must catch.
FLOOR_ERRORS = (struct.error, UnicodeDecodeError)
CLOSEFRAME_ERRORS = (CloseFrameError,)
WEBSOCKETS_ERRORS = (websockets.exceptions.ProtocolError, UnicodeDecodeError)
WSPROTO_ERRORS = (wsfp.ParseFailed,)

# --------------------------------------------------------------------------
# The payloads.


def _max_reason() -> str:
    """A reason of exactly 123 UTF-8 bytes, mostly 2-, 3- and 4-byte characters."""
    pieces = "Schließung · 終了しました · 🔒 переподключение "
    reason = ""
    index = 0
    while len((reason + pieces[index % len(pieces)]).encode()) <= 123:
        reason += pieces[index % len(pieces)]
        index += 1
    return reason + "." * (123 - len(reason.encode()))


SHORT_REASON = "server shutting down"  # 20 ASCII bytes
MAX_REASON = _max_reason()
assert len(SHORT_REASON.encode()) == 20
assert len(MAX_REASON.encode()) == 123
assert len(MAX_REASON) < 123  # multi-byte characters

CODE_ONLY = bytes.fromhex("03e8")
SHORT = CODE_ONLY + SHORT_REASON.encode()
LONGEST = CODE_ONLY + MAX_REASON.encode()
# A valid code, then a reason whose last character is cut short (1007).
BAD_UTF8 = CODE_ONLY + b"server shutting \xe2\x82"
# 1006 names a local condition: it must never appear on the wire (1002).
BAD_CODE = bytes.fromhex("03ee")

_SENDABLE = [*range(1000, 1004), *range(1007, 1015), *range(3000, 5000)]
_COMMON = [1000, 1000, 1000, 1001, 1001, 1011, 1008, 1003, 4000]
_REFUSED = [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]
_BAD_UTF8_TAILS = [
    b"\xff",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xe2\x82",
    b"\xf4\x90\x80\x80",
    b"\x80",
]
_TEXT = "abc xyz é ß € 終 🔒"


def _random_reason(rng: random.Random, max_bytes: int) -> bytes:
    reason = b""
    for _ in range(rng.randrange(1, 60)):
        char = rng.choice(_TEXT).encode()
        if len(reason) + len(char) > max_bytes:
            break
        reason += char
    return reason


def mixed_stream(seed: int = 6455, size: int = 64) -> list[bytes]:
    """A fixed list of payloads drawn like a fuzzer's input: valid and invalid mixed.

    Lengths stay within the 125 bytes a control frame carries, so every
    contender sees the same inputs (the peers check the length in their
    frame layer, not in their close-payload parser).
    """
    rng = random.Random(seed)
    stream: list[bytes] = []
    for _ in range(size):
        kind = rng.choices(
            ["common", "reason", "empty", "short", "refused", "bad-utf8", "random"],
            weights=[20, 25, 3, 3, 15, 14, 20],
        )[0]
        if kind == "common":
            payload = _pack_code(rng.choice(_COMMON))
        elif kind == "reason":
            payload = _pack_code(rng.choice(_SENDABLE)) + _random_reason(rng, 123)
        elif kind == "empty":
            payload = b""
        elif kind == "short":
            payload = bytes([rng.randrange(256)])
        elif kind == "refused":
            code = rng.choice(_REFUSED)
            payload = _pack_code(code) + (_random_reason(rng, 40) if rng.random() < 0.5 else b"")
        elif kind == "bad-utf8":
            head = _random_reason(rng, 100)
            tail = rng.choice(_BAD_UTF8_TAILS)
            payload = _pack_code(rng.choice(_SENDABLE)) + head + tail
        else:
            payload = rng.randbytes(rng.randrange(2, 126))
        stream.append(payload[:125])
    return stream


MIXED = mixed_stream()


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    payload: bytes | None  # None for the mixed stream
    valid: bool


PARSE_ROWS = [
    Row("code-only", "code only (03e8)", CODE_ONLY, valid=True),
    Row("short-reason", "short reason (20 B ASCII)", SHORT, valid=True),
    Row("max-reason", "123 B multi-byte reason", LONGEST, valid=True),
    Row("bad-utf8", "invalid UTF-8 reason (error)", BAD_UTF8, valid=False),
    Row("bad-code", "invalid code 1006 (error)", BAD_CODE, valid=False),
    Row("mixed", f"mixed stream ({len(MIXED)}, per payload)", None, valid=False),
]

SERIALIZE_ROWS: list[tuple[str, str, int, str]] = [
    ("code-only", "code only (1000)", 1000, ""),
    ("short-reason", "short reason (20 B ASCII)", 1000, SHORT_REASON),
    ("max-reason", "123 B multi-byte reason", 1000, MAX_REASON),
]

PARSE_CONTENDERS = [
    "floor",
    "closeframe",
    "closeframe (python)",
    "closeframe bytearray",
    "closeframe memoryview",
    "closeframe event",
    "websockets",
    "wsproto close",
    "wsproto frame",
]
SERIALIZE_CONTENDERS = [
    "floor",
    "closeframe",
    "closeframe (python)",
    "websockets",
    "wsproto frame",
]

# The pure-Python codec, side by side with the compiled one when that runs:
# the compiled functions keep their Python twin as __wrapped__.
PYTHON_PARSE: Callable[[Any], object] = getattr(
    parse_close_payload, "__wrapped__", parse_close_payload
)
PYTHON_SERIALIZE: Callable[[int, str], object] = getattr(
    serialize_close_payload, "__wrapped__", serialize_close_payload
)

# The floor of both error rows is the floor's own failing decode.
ERROR_FLOOR = "parse bad-utf8: floor"

# --------------------------------------------------------------------------
# Timing loops: one per shape of call, so each contender is called directly.


def loop_call(loops: int, func: Callable[[Any], object], arg: object) -> float:
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        func(arg)
    return perf_counter() - start


def loop_call_error(
    loops: int, func: Callable[[Any], object], arg: object, errors: tuple[type[Exception], ...]
) -> float:
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        try:  # noqa: SIM105  (contextlib.suppress would time a context manager)
            func(arg)
        except errors:
            pass
    return perf_counter() - start


def loop_call_stream(
    loops: int,
    func: Callable[[Any], object],
    args: Sequence[object],
    errors: tuple[type[Exception], ...],
) -> float:
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        for arg in args:
            try:  # noqa: SIM105  (contextlib.suppress would time a context manager)
                func(arg)
            except errors:
                pass
    return perf_counter() - start


def loop_event(loops: int, data: bytes) -> float:
    from_payload = CloseEvent.from_payload
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        from_payload(data, was_clean=True)
    return perf_counter() - start


def loop_event_error(loops: int, data: bytes) -> float:
    from_payload = CloseEvent.from_payload
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        try:  # noqa: SIM105  (contextlib.suppress would time a context manager)
            from_payload(data, was_clean=True)
        except CloseFrameError:
            pass
    return perf_counter() - start


def loop_event_stream(loops: int, stream: Sequence[bytes]) -> float:
    from_payload = CloseEvent.from_payload
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        for data in stream:
            try:  # noqa: SIM105  (contextlib.suppress would time a context manager)
                from_payload(data, was_clean=True)
            except CloseFrameError:
                pass
    return perf_counter() - start


def loop_serialize(
    loops: int, func: Callable[[int, str], object], code: int, reason: str
) -> float:
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        func(code, reason)
    return perf_counter() - start


def loop_websockets_serialize(loops: int, code: int, reason: str) -> float:
    close = WsClose
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        close(code, reason).serialize()
    return perf_counter() - start


# --------------------------------------------------------------------------
# What each benchmark times: (time function, its arguments, inner loops).

Task = tuple[Callable[..., float], tuple[object, ...], int | None]


def _parse_target(contender: str) -> tuple[Callable[[Any], object], Callable[[bytes], object]]:
    """The function a contender calls, and how a payload becomes its argument."""
    targets: dict[str, tuple[Callable[[Any], object], Callable[[bytes], object]]] = {
        "floor": (floor_parse, bytes),
        "closeframe": (parse_close_payload, bytes),
        "closeframe (python)": (PYTHON_PARSE, bytes),
        "closeframe bytearray": (parse_close_payload, bytearray),
        "closeframe memoryview": (parse_close_payload, memoryview),
        "websockets": (WsClose.parse, bytes),
        "wsproto close": (wsproto_process_close, as_wsproto_frame),
        "wsproto frame": (wsproto_frame, as_wire_frame),
    }
    return targets[contender]


_PARSE_ERRORS: dict[str, tuple[type[Exception], ...]] = {
    "floor": FLOOR_ERRORS,
    "closeframe": CLOSEFRAME_ERRORS,
    "closeframe (python)": CLOSEFRAME_ERRORS,
    "closeframe bytearray": CLOSEFRAME_ERRORS,
    "closeframe memoryview": CLOSEFRAME_ERRORS,
    "closeframe event": CLOSEFRAME_ERRORS,
    "websockets": WEBSOCKETS_ERRORS,
    "wsproto close": WSPROTO_ERRORS,
    "wsproto frame": WSPROTO_ERRORS,
}


def parse_task(row: Row, contender: str) -> Task:
    if contender == "closeframe event":
        if row.payload is None:
            return loop_event_stream, (MIXED,), len(MIXED)
        if row.valid:
            return loop_event, (row.payload,), None
        return loop_event_error, (row.payload,), None
    func, convert = _parse_target(contender)
    errors = _PARSE_ERRORS[contender]
    if row.payload is None:
        return loop_call_stream, (func, [convert(p) for p in MIXED], errors), len(MIXED)
    if row.valid:
        return loop_call, (func, convert(row.payload)), None
    return loop_call_error, (func, convert(row.payload), errors), None


def serialize_task(contender: str, code: int, reason: str) -> Task:
    if contender == "websockets":
        return loop_websockets_serialize, (code, reason), None
    func: Callable[[int, str], object] = {
        "floor": floor_serialize,
        "closeframe": serialize_close_payload,
        "closeframe (python)": PYTHON_SERIALIZE,
        "wsproto frame": wsproto_close_frame,
    }[contender]
    return loop_serialize, (func, code, reason), None


def all_tasks() -> dict[str, Task]:
    """Every benchmark, by its pyperf name, in the order they run."""
    tasks: dict[str, Task] = {}
    for row in PARSE_ROWS:
        for contender in PARSE_CONTENDERS:
            if row.key == "bad-code" and contender == "floor":
                continue  # its floor is ERROR_FLOOR
            tasks[f"parse {row.key}: {contender}"] = parse_task(row, contender)
    for key, _, code, reason in SERIALIZE_ROWS:
        for contender in SERIALIZE_CONTENDERS:
            tasks[f"serialize {key}: {contender}"] = serialize_task(contender, code, reason)
    return tasks


# --------------------------------------------------------------------------
# Sanity checks, before timing: no row may time a contender doing the wrong thing.


def parse_outcome(contender: str, payload: bytes) -> tuple[int, str] | Exception:
    """What a contender makes of a payload: ``(code, reason)``, or the error it raised."""
    try:
        if contender == "closeframe event":
            event = CloseEvent.from_payload(payload, was_clean=True)
            return int(event.code), event.reason
        func, convert = _parse_target(contender)
        result: Any = func(convert(payload))
    except _PARSE_ERRORS[contender] as exc:
        return exc
    if contender == "websockets":
        return int(result.code), result.reason
    if contender.startswith("wsproto"):
        code, reason = result.payload
        return int(code), reason
    code, reason = result
    return int(code), reason


def check_contenders() -> list[str]:
    """Fail unless every contender gets every fixed row right; note stream disagreements."""
    for row in PARSE_ROWS:
        if row.payload is None:
            continue
        for contender in PARSE_CONTENDERS:
            if contender == "floor" and row.key == "bad-code":
                continue  # the floor does not check codes; its reference is ERROR_FLOOR
            outcome = parse_outcome(contender, row.payload)
            expected = (1000, row.payload[2:].decode()) if row.valid else "an error of its own"
            if outcome != expected and (row.valid or not isinstance(outcome, Exception)):
                raise SystemExit(f"{contender} on {row.key}: expected {expected}, got {outcome!r}")
    for _, _, code, reason in SERIALIZE_ROWS:
        payload = floor_serialize(code, reason)
        assert serialize_close_payload(code, reason) == payload
        assert WsClose(code, reason).serialize() == payload
        assert bytes(wsproto_close_frame(code, reason))[-len(payload) :] == payload

    accepted = {
        contender: [not isinstance(parse_outcome(contender, p), Exception) for p in MIXED]
        for contender in PARSE_CONTENDERS
    }
    ours = accepted["closeframe"]
    notes = [f"mixed stream: closeframe accepts {sum(ours)} of {len(MIXED)} payloads"]
    for contender, verdicts in accepted.items():
        if contender == "closeframe":
            continue
        more = sum(a and not b for a, b in zip(verdicts, ours, strict=True))
        fewer = sum(b and not a for a, b in zip(verdicts, ours, strict=True))
        if more or fewer:
            notes.append(
                f"  {contender}: accepts {more} that closeframe refuses,"
                f" refuses {fewer} that closeframe accepts"
            )
    return notes


# --------------------------------------------------------------------------
# The report, in the parent process.


def fmt_ns(seconds: float) -> str:
    ns = seconds * 1e9
    return f"{ns:.1f} ns" if ns < 100 else f"{ns:.0f} ns"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def report(times: dict[str, float], structure: dict[str, object]) -> str:
    out: list[str] = []
    # Parse: ns per call and the ratio to the floor.
    rows: list[list[str]] = []
    for row in PARSE_ROWS:
        floor_name = ERROR_FLOOR if row.key == "bad-code" else f"parse {row.key}: floor"
        floor = times[floor_name]
        cells = [row.label]
        for contender in PARSE_CONTENDERS:
            if contender == "floor":
                mark = " *" if row.key in ("bad-utf8", "bad-code") else ""
                cells.append(fmt_ns(floor) + mark)
                continue
            value = times[f"parse {row.key}: {contender}"]
            cells.append(f"{fmt_ns(value)} ({value / floor:.2f}x)")
        rows.append(cells)
    out.append("Parse a close payload: time per call (ratio to floor)\n")
    out.append(markdown_table(["payload", *PARSE_CONTENDERS], rows))
    out.append(
        "\n* error rows: the floor is its own failing decode (data[2:].decode() raising"
        " UnicodeDecodeError on the invalid-UTF-8 payload), the reference for both."
        "\n  mixed stream: time per payload, averaged over the whole list."
    )

    rows = []
    for key, label, _, _ in SERIALIZE_ROWS:
        floor = times[f"serialize {key}: floor"]
        cells = [label, fmt_ns(floor)]
        for contender in SERIALIZE_CONTENDERS[1:]:
            value = times[f"serialize {key}: {contender}"]
            cells.append(f"{fmt_ns(value)} ({value / floor:.2f}x)")
        rows.append(cells)
    out.append("\nSerialize a close payload: time per call (ratio to floor)\n")
    out.append(markdown_table(["payload", *SERIALIZE_CONTENDERS], rows))
    out.append(
        "\n  wsproto frame: FrameProtocol(client=False).close() builds the whole (unmasked) frame."
    )

    # Each implementation against the peers: how many times faster.
    for ours_name in ("closeframe", "closeframe (python)"):
        rows = []
        for row in PARSE_ROWS:
            ours = times[f"parse {row.key}: {ours_name}"]
            cells = [f"parse {row.label}"]
            for peer in ("websockets", "wsproto close", "wsproto frame"):
                cells.append(f"{times[f'parse {row.key}: {peer}'] / ours:.2f}x")
            rows.append(cells)
        for key, label, _, _ in SERIALIZE_ROWS:
            ours = times[f"serialize {key}: {ours_name}"]
            cells = [f"serialize {label}"]
            cells.append(f"{times[f'serialize {key}: websockets'] / ours:.2f}x")
            cells.append("-")
            cells.append(f"{times[f'serialize {key}: wsproto frame'] / ours:.2f}x")
            rows.append(cells)
        out.append(
            f"\n{ours_name} vs the peers: how many times faster (peer time / {ours_name} time)\n"
        )
        out.append(
            markdown_table(["row", "vs websockets", "vs wsproto close", "vs wsproto frame"], rows)
        )

    out.append("\nStructure\n")
    for name, fact in structure.items():
        out.append(f"  {name}: {fact}")
    return "\n".join(out)


def import_time_ms(runs: int = 5) -> tuple[float, float]:
    """``import closeframe``'s cumulative time from ``-X importtime``: (first, best) in ms."""
    pattern = re.compile(r"import time:\s*\d+\s*\|\s*(\d+)\s*\|\s*closeframe\s*$")
    found: list[float] = []
    # An installed package has its bytecode compiled; a source checkout run
    # under PYTHONDONTWRITEBYTECODE would compile closeframe on every import.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import closeframe"],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        for line in done.stderr.splitlines():
            match = pattern.match(line)
            if match:
                found.append(int(match.group(1)) / 1000)
    if len(found) != runs:
        raise SystemExit("no closeframe line in the -X importtime output")
    return found[0], min(found)


def structure_report() -> dict[str, object]:
    value = parse_close_payload(b"\x03\xe8hi")
    shared = all(
        parse_close_payload(_pack_code(code)) is parse_close_payload(bytes.fromhex(f"{code:04x}"))
        for code in (1000, 1001, 1011, 3000, 4999)
    )
    first, best = import_time_ms()
    return {
        "implementation (closeframe.IMPLEMENTATION)": closeframe.IMPLEMENTATION,
        'sys.getsizeof(parse_close_payload(b"\\x03\\xe8hi"))': f"{sys.getsizeof(value)} bytes",
        "code-only payloads parse to one shared object (no per-call allocation)": shared,
        "import closeframe (python -X importtime, cumulative)": (
            f"{best:.2f} ms best of 5 (first run {first:.2f} ms)"
        ),
    }


# --------------------------------------------------------------------------


def main() -> None:
    # Full mode: 68 benchmarks x 8 processes x (1 warmup + 3 values) of >= 0.1 s
    # keeps `tox -e bench` under ~10 minutes on two cores.  pyperf's --fast
    # halves the processes (4) and takes 2 values; it also gets --min-time 0.05
    # below unless one is given, for a run of about 2-3 minutes.
    runner = pyperf.Runner(
        processes=8,
        values=3,
        warmups=1,
        metadata={
            "closeframe_version": closeframe.__version__,
            "websockets_version": version("websockets"),
            "wsproto_version": version("wsproto"),
        },
    )
    default_json = Path(__file__).resolve().parent / "results.json"
    runner.argparser.add_argument(
        "--json",
        type=Path,
        default=default_json,
        help=f"write the pyperf JSON here, replacing it (default: {default_json})",
    )
    args = runner.parse_args()
    if args.fast and not any(arg.startswith("--min-time") for arg in sys.argv):
        args.min_time = 0.05

    parent = not args.worker
    notes: list[str] = []
    if parent:
        notes = check_contenders()

    benchmarks: dict[str, pyperf.Benchmark] = {}
    for name, (time_func, func_args, inner_loops) in all_tasks().items():
        bench = runner.bench_time_func(name, time_func, *func_args, inner_loops=inner_loops)
        if bench is not None:
            benchmarks[name] = bench

    if not parent or len(benchmarks) != len(all_tasks()):
        return  # a worker: the parent tabulates

    suite = pyperf.BenchmarkSuite(list(benchmarks.values()))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    suite.dump(str(args.json), replace=True)

    times = {name: bench.median() for name, bench in benchmarks.items()}
    print()
    print(report(times, structure_report()))
    print()
    print("\n".join(notes))
    print(f"\nMedians of {len(benchmarks)} benchmarks; pyperf JSON written to {args.json}")
    print(f"Compare two runs: python -m pyperf compare_to OLD.json {args.json} --table")


if __name__ == "__main__":
    main()
