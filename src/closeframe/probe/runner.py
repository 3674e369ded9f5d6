"""Running the scenarios against a server, one connection each."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..browser import BrowserOutcome
from ..frame import CLOSE_OPCODE
from ..handshake import ClosingHandshake, Received, Role
from ._client import MAX_STREAM_BYTES, Connection, Target
from ._wire import build_frame, split_frames
from .judge import Observation, Verdict, browser_view, judge_reply, judge_server_close
from .scenarios import FrameSpec, Scenario

__all__ = ["Result", "run_scenario", "run_scenarios"]

# What "drop" sends on the connection after the reset: close 1000 'bye'.
_CHECK = FrameSpec((1000).to_bytes(2, "big") + b"bye")


@dataclass(frozen=True)
class Result:
    """One scenario's outcome: what was sent, what came back, and the verdict."""

    scenario: Scenario
    sent: bytes  # every byte the probe wrote after the opening handshake
    payload: bytes | None  # the first close frame's payload, unmasked
    strict: Received | None  # ClosingHandshake(Role.SERVER)'s answer to it
    seen: Observation
    verdict: Verdict
    why: str
    browsers: Mapping[str, BrowserOutcome]


def _build(spec: FrameSpec) -> bytes:
    key = os.urandom(4) if spec.masked else None
    return build_frame(spec.opcode, spec.payload, mask_key=key, fin=spec.fin, rsv=spec.rsv)


def _observe(connection: Connection, start: float, timeout: float) -> Observation:
    connection.read_until(start + timeout)
    frames, _ = split_frames(bytes(connection.received))
    tcp = connection.end or "open"
    flooded = len(connection.received) >= MAX_STREAM_BYTES
    return Observation(tuple(frames), tcp, time.monotonic() - start, timeout, flooded)


def _close_scenario(
    target: Target, scenario: Scenario, frames: tuple[FrameSpec, ...], timeout: float
) -> tuple[bytes, bytes, Received, Observation]:
    written = [_build(spec) for spec in frames]
    # The strict answer, to the first frame exactly as it went out.
    strict = ClosingHandshake(Role.SERVER).receive_close_frame(written[0])
    connection = Connection.open(target, timeout)
    try:
        begin = time.monotonic()
        connection.send(b"".join(written))
        if scenario.then == "half-close":
            connection.half_close()
        seen = _observe(connection, begin, timeout)
    finally:
        connection.close()
    return b"".join(written), frames[0].payload, strict, seen


def _server_close(
    target: Target, wait: float, timeout: float
) -> tuple[bytes, Observation, tuple[Verdict, str]]:
    connection = Connection.open(target, timeout)
    try:
        begin = time.monotonic()

        def has_close(stream: bytes) -> bool:
            return any(f.opcode == CLOSE_OPCODE for f in split_frames(stream)[0])

        connection.read_until(begin + wait, done=has_close)
        closes = [
            f for f in split_frames(bytes(connection.received))[0] if f.opcode == CLOSE_OPCODE
        ]
        sent = b""
        if closes:
            # The echo a client sends back, or its 1002 to an invalid close.
            # Reading stopped at the close frame, so TCP was still open then
            # (a server that closed it at once resets on this, or shows EOF).
            received = ClosingHandshake(Role.CLIENT).receive_close_frame(closes[0].raw)
            assert received.reply is not None
            sent = received.reply.frame
            connection.send(sent)
        # Without a close, what came within *wait* is all there is to see.
        seen = _observe(connection, time.monotonic(), timeout if closes else 0.0)
    finally:
        connection.close()
    seen = Observation(seen.frames, seen.tcp, time.monotonic() - begin, timeout, seen.flooded)
    return sent, seen, judge_server_close(seen, wait)


def run_scenario(target: Target, scenario: Scenario, timeout: float, wait: float = 0.0) -> Result:
    """Run one scenario; :class:`HandshakeError` when no connection could be opened."""
    if scenario.then == "wait-for-server":
        sent, seen, (verdict, why) = _server_close(target, wait, timeout)
        return Result(scenario, sent, None, None, seen, verdict, why, browser_view(seen))
    frames = scenario.frames
    note = ""
    if scenario.then == "reset":
        Connection.open(target, timeout).reset()
        frames, note = (_CHECK,), "after a reset, the next connection: "
    sent, payload, strict, seen = _close_scenario(target, scenario, frames, timeout)
    verdict, why = judge_reply(strict, seen)
    return Result(scenario, sent, payload, strict, seen, verdict, note + why, browser_view(seen))


def run_scenarios(
    target: Target, scenarios: Iterable[Scenario], timeout: float, wait: float = 0.0
) -> list[Result]:
    """Run each scenario in turn on a connection of its own.

    :class:`HandshakeError` as soon as one cannot open its connection: a
    server that no longer takes connections leaves nothing to judge.
    """
    return [run_scenario(target, scenario, timeout, wait) for scenario in scenarios]
