"""Fold the runs in results/ into observations.json (and a readable observations.md).

::

    python tools/browser_lab/aggregate.py            # results/*.json
    python tools/browser_lab/aggregate.py --results DIR

For each engine and scenario, every run is reduced to a *signature*: the
page's events in order, its CloseEvent, readyStates, messages and any
exception; the frames the browser sent (opcode, FIN, RSV, mask bit,
unmasked payload: never the random mask key); and the order of the TCP
events (who closed first).  Fields equal in every run are the ``stable``
result; a field that differs is listed under ``varies`` with its value
per run.  Timings are never part of the signature: ``timing_ms`` gives the
min and max per TCP event over the runs.  ``vs_strict`` lists every field
where the stable result departs from strict RFC 6455 (+ WHATWG), as
``[observed, strict]``.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import scenarios as sc

HERE = Path(__file__).resolve().parent
JSON = dict[str, Any]
UNOBSERVABLE = "unobservable (the server closed at once)"


def close_frames(server: JSON) -> list[JSON]:
    return [e for e in server["events"] if e["kind"] == "frame" and e["opcode"] == sc.CLOSE]


def reply_code(payload: str | None) -> int | str | None:
    """A close payload's code: None (no frame), "empty", "1 byte", or the code."""
    if payload is None:
        return None
    if not payload:
        return "empty"
    if len(payload) == 2:  # one byte, in hex
        return "1 byte"
    return int(payload[:4], 16)


def signature(result: JSON, mode: str) -> JSON:
    """What one run of one scenario showed, without timings and mask keys."""
    page = result["page"] or {}
    records = result["server"]
    server = records[0] if records else {"events": []}
    events = page.get("events", [])
    close = next((e for e in events if e["type"] == "close"), None)
    frames = [
        {
            "opcode": e["opcode"],
            "fin": e["fin"],
            "rsv": e["rsv"],
            "masked": e["masked"],
            "payload": e["payload"],
            **({"length_form": e["length_form"]} if e["length_form"] != 7 else {}),
        }
        for e in server["events"]
        if e["kind"] == "frame"
    ]
    replies = close_frames(server)
    sig: JSON = {
        "page_events": [e["type"] for e in events],
        "close_event": None
        if close is None
        else {"code": close["code"], "reason": close["reason"], "wasClean": close["wasClean"]},
        "ready_states": [e["readyState"] for e in events],
        "messages": [e["data"] for e in events if e["type"] == "message"],
        "reply": replies[0]["payload"] if replies else None,
        "reply_code": reply_code(replies[0]["payload"]) if replies else None,
        "browser_frames": frames,
        "tcp": [e["kind"] for e in server["events"]],
        "connections": len(records),
    }
    if mode in {"close", "rst"}:
        # The server closed at once: whatever the browser answered is not seen.
        sig["reply"] = sig["reply_code"] = UNOBSERVABLE
    if page.get("kind") == "page":
        sig["thrown"] = page.get("thrown")
        sig["ready_state_after_call"] = page.get("readyStateAfterCall")
    if page.get("timedOut") or not page:
        sig["page_timed_out"] = True
    if server.get("unparsed"):
        sig["unparsed"] = server["unparsed"]
    return sig


def timings(results: list[JSON]) -> dict[str, list[float]]:
    """Min and max time (ms after the server's send) of each kind of server-side event."""
    seen: dict[str, list[float]] = defaultdict(list)
    for result in results:
        for record in result["server"][:1]:
            firsts: dict[str, float] = {}
            for e in record["events"]:
                key = e["kind"] if e["kind"] != "frame" else f"frame_op{e['opcode']}"
                firsts.setdefault(key, e["t"])
            for key, t in firsts.items():
                seen[key].append(t)
        page = result["page"] or {}
        for e in page.get("events", []):
            if e["type"] == "close":
                seen["page_close_event_after_construct"].append(e["t"])
    return {k: [min(v), max(v)] for k, v in seen.items()}


def strict_view(scenario: sc.ServerScenario | sc.PageScenario) -> JSON:
    s = scenario.strict
    view: JSON = {
        "page_events": list(s.events),
        "close_event": {"code": s.code, "reason": s.reason, "wasClean": s.was_clean},
        "reply": s.reply,
        "reply_code": reply_code(s.reply),
    }
    if scenario.kind == "page":
        view["thrown"] = s.thrown
    if s.note:
        view["note"] = s.note
    return view


def vs_strict(stable: JSON, strict: JSON) -> JSON:
    diff: JSON = {}
    # The reply is compared by its code: strict RFC 6455 sets no reason text.
    for key in ("page_events", "close_event", "reply_code"):
        if key in stable and stable[key] != strict[key] and stable[key] != UNOBSERVABLE:
            diff[key] = [stable[key], strict[key]]
    if "thrown" in strict and "thrown" in stable:
        thrown = stable["thrown"]["name"] if stable["thrown"] else None
        if thrown != strict["thrown"]:
            diff["thrown"] = [thrown, strict["thrown"]]
    return diff


def fold(runs: list[JSON], scenario: sc.ServerScenario | sc.PageScenario) -> JSON:
    present = [r for r in runs if scenario.id in r["scenarios"]]
    sigs = [signature(r["scenarios"][scenario.id], scenario.mode) for r in present]
    keys = sorted({k for s in sigs for k in s})
    stable: JSON = {}
    varies: JSON = {}
    for key in keys:
        values = [s.get(key) for s in sigs]
        if all(v == values[0] for v in values):
            stable[key] = values[0]
        else:
            varies[key] = {f"run{r['run']}": v for r, v in zip(present, values, strict=True)}
    folded: JSON = {"runs": len(present), "stable": stable}
    if varies:
        folded["varies"] = varies
    folded["timing_ms"] = timings([r["scenarios"][scenario.id] for r in present])
    folded["vs_strict"] = vs_strict(stable, strict_view(scenario))
    return folded


def describe_reply(payload: str | None) -> str:
    if payload is None:
        return "none"
    if payload == UNOBSERVABLE:
        return "n/a"
    raw = bytes.fromhex(payload)
    if not raw:
        return "empty"
    if len(raw) == 1:
        return payload
    reason = raw[2:].decode("utf-8", "replace")
    code = int.from_bytes(raw[:2], "big")
    return f"{code}" + (f" {shorten(reason)!r}" if reason else "")


def shorten(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…({len(text.encode())}B)"


FIELDS = {
    "page_events": "the page's WebSocket events, in order",
    "close_event": "the page's CloseEvent",
    "ready_states": "readyState seen in each event handler, in order",
    "messages": "data of each message event",
    "reply": "payload (hex, unmasked) of the browser's first close frame; null: none",
    "reply_code": "its code: null (no frame), 'empty', '1 byte' or the code",
    "browser_frames": "every frame the browser sent (mask key left out)",
    "tcp": "server-side events in order: server_sent, frame, browser_fin, browser_rst,"
    " server_close, server_rst, server_shut_wr, server_echo, server_sent_later, timeout",
    "connections": "WebSocket connections the scenario opened",
    "thrown": "page scenarios: the exception close() threw (name, message)",
    "ready_state_after_call": "page scenarios: readyState right after the close() call",
    "timing_ms": "min and max over the runs of each server-side event, ms after the"
    " server's send (page scenarios: after the server was ready, 50 ms after the 101);"
    " page_close_event_after_construct: ms from new WebSocket() to the close event",
    "vs_strict": "fields where the stable result departs from strict: [observed, strict]",
}

LETTERS = {"open": "o", "message": "m", "error": "E", "close": "c"}


def describe_tcp(tcp: list[str], timing: dict[str, list[float]]) -> str:
    """Who closed TCP first, and when (ms after the server's send)."""
    for kind in tcp:
        if kind in {"browser_fin", "browser_rst", "timeout", "recv_error"}:
            lo, hi = timing.get(kind, [0.0, 0.0])
            when = f"{lo:g}" if lo == hi else f"{lo:g}-{hi:g}"
            label = {"browser_fin": "browser FIN", "browser_rst": "browser RST"}.get(kind, kind)
            return f"{label} @{when}ms"
        if kind in {"server_close", "server_rst"}:
            lo, hi = timing.get(kind, [0.0, 0.0])
            when = f"{lo:g}" if lo == hi else f"{lo:g}-{hi:g}"
            return "server " + ("RST" if kind == "server_rst" else "close") + f" @{when}ms"
    return "?"


def describe_value(key: str, value: Any) -> str:
    if key == "page_events":
        return "".join(LETTERS.get(t, t) for t in value)
    if key == "close_event" and value:
        reason = f" {shorten(value['reason'])!r}" if value["reason"] else ""
        return f"{value['code']}{reason} {'clean' if value['wasClean'] else 'UNCLEAN'}"
    if key in {"reply", "reply_code"}:
        return describe_reply(value) if key == "reply" else str(value)
    if key == "tcp":
        return ">".join(value)
    return json.dumps(value, ensure_ascii=False)


def describe(obs: JSON) -> str:
    st = obs["stable"]
    parts = []
    if "page_events" in st:
        parts.append("".join(LETTERS.get(t, t) for t in st["page_events"]))
    if st.get("close_event"):
        ce = st["close_event"]
        reason = f" {shorten(ce['reason'])!r}" if ce["reason"] else ""
        parts.append(f"{ce['code']}{reason} {'clean' if ce['wasClean'] else 'UNCLEAN'}")
    if st.get("thrown"):
        message = st["thrown"]["message"]
        message = message if len(message) <= 40 else "…" + message[-39:]
        parts.append(f"throws {st['thrown']['name']} ({message})")
    if "reply" in st:
        parts.append(f"↩ {describe_reply(st['reply'])}")
    if "tcp" in st:
        parts.append(describe_tcp(st["tcp"], obs["timing_ms"]))
    for key, per_run in sorted(obs.get("varies", {}).items()):
        if key in {"ready_states"}:
            continue  # follows page_events
        counts: dict[str, int] = defaultdict(int)
        for value in per_run.values():
            counts[describe_value(key, value)] += 1
        spread = ", ".join(f"{text} ×{n}" for text, n in counts.items())
        parts.append(f"VARIES {key}: {spread}")
    if obs["vs_strict"]:
        parts.append("≠strict")
    return "; ".join(parts)


def describe_strict(view: JSON) -> str:
    ce = view["close_event"]
    reason = f" {shorten(ce['reason'])!r}" if ce["reason"] else ""
    text = "".join(LETTERS[t] for t in view["page_events"])
    text += f"; {ce['code']}{reason} {'clean' if ce['wasClean'] else 'UNCLEAN'}"
    if view.get("thrown"):
        text += f"; throws {view['thrown']}"
    return text + f"; ↩ {describe_reply(view['reply'])}"


def markdown(observations: JSON) -> str:
    engines = list(observations["engines"])
    lines = [
        "# Browser close-frame observations",
        "",
        "Generated by `aggregate.py` from `results/*.json` (the same data as",
        "`observations.json`).  Each cell: the page's events (o open, m message,",
        "E error, c close); its CloseEvent (code, reason, clean/UNCLEAN); `throws` and",
        "the end of the exception's message for a page close(); `↩` the close frame the",
        "browser sent back (code and reason; `empty`: no payload; `none`: no close",
        "frame; `n/a`: the server had closed at once, so nothing could be seen); then",
        "who closed TCP first and when, in ms after the server's send (min-max over",
        "the runs).  The server lingers 25 ms after the browser's close frame before",
        "closing, so `server close @25ms` means the browser waited for the server.",
        "`VARIES` names the fields that differed between runs; `≠strict` marks a",
        "departure from strict RFC 6455 + WHATWG (the reply compared by code only).",
        "",
    ]
    for engine, meta in observations["engines"].items():
        seconds = ", ".join(f"{r['pass_seconds']:g}" for r in meta["runs"])
        lines.append(f"- **{engine}**: {meta['browser_version']}; passes (s): {seconds}")
    group = None
    for item in observations["scenarios"]:
        if item["group"] != group:
            group = item["group"]
            header = ["scenario", "strict RFC 6455 / WHATWG", *engines]
            lines += ["", f"## {group}", "", "| " + " | ".join(header) + " |"]
            lines.append("|" + "---|" * len(header))
        label = f"`{item['id']}` {item['description']}".replace("|", "\\|")
        cells = [label, describe_strict(item["strict"])]
        for engine in engines:
            obs = item["engines"].get(engine)
            cells.append("—" if obs is None else describe(obs))
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--out", type=Path, default=HERE / "observations.json")
    args = parser.parse_args()
    by_engine: dict[str, list[JSON]] = defaultdict(list)
    for path in sorted(args.results.glob("*.json")):
        run = json.loads(path.read_text())
        run["file"] = path.name
        by_engine[run["engine"]].append(run)
    engines: JSON = {}
    for engine, runs in by_engine.items():
        runs.sort(key=lambda r: r["run"])
        last = runs[-1]
        engines[engine] = {
            "browser_version": last.get("browser_version"),
            "user_agent": last.get("user_agent"),
            "packages": last.get("packages"),
            "websocket_request_headers": {
                k: v
                for k, v in (last.get("websocket_request_headers") or {}).items()
                if k not in {"host", "origin"}
            },
            "runs": [
                {
                    "file": r["file"],
                    "date": r["date"],
                    "outcome": r["outcome"],
                    "pass_seconds": r["pass_seconds"],
                    "scenario_fingerprint": r["scenario_fingerprint"],
                }
                for r in runs
            ],
        }
    items = []
    for scenario in sc.ALL:
        item: JSON = {
            "id": scenario.id,
            "group": scenario.group,
            "description": scenario.description,
            "kind": scenario.kind,
            "tcp_mode": scenario.mode,
        }
        if scenario.kind == "page":
            item["js"] = getattr(scenario, "js", "")
        else:
            item["sent_hex"] = scenario.data.hex()
        item["strict"] = strict_view(scenario)
        item["engines"] = {engine: fold(runs, scenario) for engine, runs in by_engine.items()}
        items.append(item)
    observations: JSON = {
        "about": (
            "What real browsers do with WebSocket close frames: per engine and"
            " scenario, the result stable over every run and any variation."
            " Built by tools/browser_lab/aggregate.py from results/*.json."
        ),
        "fields": FIELDS,
        "strict": sc.__doc__.split("\n\n")[2].strip() if sc.__doc__ else "",
        "engines": engines,
        "scenarios": items,
    }
    args.out.write_text(json.dumps(observations, indent=1, ensure_ascii=False) + "\n")
    args.out.with_suffix(".md").write_text(markdown(observations))


if __name__ == "__main__":
    main()
