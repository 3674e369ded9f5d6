"""``closeframe probe``: running it, its table and its JSON (options.py: its options)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

from ..browser import ENGINES
from ..cli import _table, _UsageError
from ..errors import CloseFrameError
from ..frame import decode_close_frame
from ._client import HandshakeError, parse_target
from .runner import Result, run_scenarios
from .scenarios import SCENARIOS, SERVER_CLOSE, Scenario

__all__ = ["RESULT_KEYS", "run"]

_EXIT_PASS, _EXIT_FAIL, _EXIT_ERROR = 0, 1, 2
_BY_NAME = {scenario.name: scenario for scenario in (*SCENARIOS, SERVER_CLOSE)}
# --json's keys for each result, every key in every case (null where none applies).
RESULT_KEYS = (
    "scenario",
    "description",
    "sent",
    "payload",
    "expected",
    "reply",
    "reply_code",
    "reply_reason",
    "frames",
    "closed_tcp",
    "tcp",
    "seconds",
    "verdict",
    "why",
    "browsers",
)


def _chosen(args: argparse.Namespace) -> list[Scenario]:
    if not args.scenario:
        return [*SCENARIOS, *([SERVER_CLOSE] if args.wait_for_server_close else [])]
    chosen = []
    for name in args.scenario:
        if name not in _BY_NAME:
            raise _UsageError(f"no scenario {name!r} (closeframe probe --list names them)")
        if name == SERVER_CLOSE.name and args.wait_for_server_close is None:
            raise _UsageError("server-close needs --wait-for-server-close SECONDS")
        if _BY_NAME[name] not in chosen:
            chosen.append(_BY_NAME[name])
    return chosen


def run(args: argparse.Namespace) -> tuple[int, dict[str, Any], list[str]]:
    """The command: (exit status, --json's object, the text lines)."""
    if args.list:
        scenarios = [*SCENARIOS, SERVER_CLOSE]
        rows = [{"scenario": s.name, "description": s.description} for s in scenarios]
        width = max(len(s.name) for s in scenarios)
        return (
            _EXIT_PASS,
            {"scenarios": rows},
            [f"{s.name:<{width}}  {s.description}" for s in scenarios],
        )
    if args.url is None:
        raise _UsageError("probe needs a ws:// or wss:// URL (or --list)")
    try:
        target = parse_target(args.url, args.header, insecure=args.insecure)
    except ValueError as exc:
        raise _UsageError(str(exc)) from None
    scenarios = _chosen(args)
    start = time.monotonic()
    try:
        results = run_scenarios(target, scenarios, args.timeout, args.wait_for_server_close or 0.0)
    except HandshakeError as exc:
        raise _UsageError(str(exc)) from None
    seconds = time.monotonic() - start
    counts = {
        verdict: sum(r.verdict == verdict for r in results)
        for verdict in ("pass", "lenient", "fail")
    }
    status = _EXIT_FAIL if counts["fail"] else _EXIT_PASS
    summary = {**counts, "scenarios": len(results), "seconds": round(seconds, 3)}
    lines = _lines(results)
    tally = ", ".join(f"{n} {verdict}" for verdict, n in counts.items() if n)
    count = f"{len(results)} scenario{'s' if len(results) != 1 else ''}"
    lines.append(f"{count}, {tally}, in {seconds:.2f} s: {args.url}")
    return (
        status,
        {"url": args.url, "results": [_json(r) for r in results], "summary": summary},
        lines,
    )


def _reply(result: Result) -> tuple[bytes | None, int | None, str | None]:
    """The server's close: its payload, code, and reason when the frame is valid."""
    if (index := result.seen.first_close()) is None:
        return None, None, None
    frame = result.seen.frames[index]
    payload = frame.payload
    code = payload[0] << 8 | payload[1] if len(payload) >= 2 else None
    try:
        reason: str | None = decode_close_frame(frame.raw, masked=False).reason
    except CloseFrameError:
        reason = None
    return payload, code, reason


def _json(result: Result) -> dict[str, Any]:
    reply, code, reason = _reply(result)
    seen = result.seen
    strict = result.strict
    expected = (
        strict.reply.payload.hex() if strict is not None and strict.reply is not None else None
    )
    return {
        "scenario": result.scenario.name,
        "description": result.scenario.description,
        "sent": result.sent.hex(),
        "payload": None if result.payload is None else result.payload.hex(),
        "expected": expected,
        "reply": None if reply is None else reply.hex(),
        "reply_code": code,
        "reply_reason": reason,
        "frames": [frame.name for frame in seen.frames],
        "closed_tcp": seen.tcp != "open",
        "tcp": seen.tcp,
        "seconds": round(seen.seconds, 4),
        "verdict": result.verdict,
        "why": result.why,
        "browsers": {
            name: {
                "error_event": outcome.error_event,
                "code": int(outcome.close_event.code),
                "reason": outcome.close_event.reason,
                "was_clean": outcome.close_event.was_clean,
            }
            for name, outcome in result.browsers.items()
        },
    }


def _short(data: bytes) -> str:
    return data.hex() if len(data) <= 8 else f"{data[:4].hex()}... ({len(data)} bytes)"


def _shown_reason(reason: str) -> str:
    return repr(reason) if len(reason) <= 16 else repr(reason[:13]) + "..."


def _answer(result: Result) -> str:
    seen = result.seen
    reply, code, reason = _reply(result)
    if reply is None:
        close = "no close"
    elif reason is None:
        close = f"invalid {_short(reply)}"
    elif code is None:
        close = "empty"
    else:
        close = f"{code} {_shown_reason(reason)}" if reason else str(code)
    return f"{close}, {'TCP ' + seen.tcp}"


def _sent(result: Result) -> str:
    if result.scenario.then == "reset":
        return "reset, then 03e8627965"
    if result.payload is None:
        return "echo" if result.sent else "nothing"
    return _short(result.payload) if result.payload else "empty"


def _page(result: Result, engine: str) -> str:
    # The code, and whether an error event came first.  Clean or not adds
    # nothing here: no mode the probe reports leaves a code unclean without
    # an error event (closeframe.browser's _TcpRule).
    outcome = result.browsers[engine]
    code = str(int(outcome.close_event.code))
    return f"{code} error" if outcome.error_event else code


_ENGINES = tuple(ENGINES)


def _lines(results: Sequence[Result]) -> list[str]:
    rows = [["scenario", "sent", "answer", "verdict", *_ENGINES, "why"]]
    for result in results:
        rows.append(
            [
                result.scenario.name,
                _sent(result),
                _answer(result),
                result.verdict,
                *(_page(result, engine) for engine in _ENGINES),
                result.why,
            ]
        )
    return _table(rows)
