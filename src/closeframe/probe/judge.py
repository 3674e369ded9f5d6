"""Verdicts: what the server did, held against what a strict server does.

The strict answer to a client's close is :class:`~closeframe.ClosingHandshake`'s
in the server role: the echo of a valid close (§5.5.1), or a close with the
parse error's ``close_code`` (1002 or 1007) for an invalid one, and in both
cases the server closing TCP first (§7.1.1).  A server's answer is

- ``fail`` where it breaks a MUST of RFC 6455: no close back for a valid
  close, a close frame that is itself invalid (1005 on the wire, say), a
  valid close refused with 1002 or 1007, frames after its close, TCP left
  open after the handshake;
- ``lenient`` where it accepted what the RFC says must fail the connection,
  answering a normal close (as browsers do, each in its own way);
- ``pass`` otherwise.  The one-line why says where a passing answer still
  differs from the strict one in ways the RFC leaves open: another code than
  the echo ("typically echos", §5.5.1), 1002 for 1007, or failing the
  connection without a close frame (a SHOULD, §7.1.7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from ..browser import ENGINES, BrowserOutcome, ServerCloses
from ..codes import CloseCode, describe_code
from ..errors import CloseFrameError
from ..frame import CLOSE_OPCODE, decode_close_frame
from ..handshake import Received
from ..payload import Close
from ._client import TcpEnd
from ._wire import ServerFrame

__all__ = [
    "FAILURE_CODES",
    "Observation",
    "Verdict",
    "browser_view",
    "judge_reply",
    "judge_server_close",
]

Verdict = Literal["pass", "fail", "lenient"]

#: The codes a strict server fails a connection with: the ``close_code`` of
#: every :class:`~closeframe.CloseFrameError`.
FAILURE_CODES = frozenset({CloseCode.PROTOCOL_ERROR, CloseCode.INVALID_FRAME_PAYLOAD_DATA})


@dataclass(frozen=True)
class Observation:
    """What the server did after the probe wrote its frames."""

    frames: tuple[ServerFrame, ...]  # every whole frame it sent, in order
    tcp: TcpEnd
    seconds: float  # from the probe's write to the end of TCP, or the deadline
    timeout: float
    flooded: bool = False  # reading stopped early: the server sent 1 MiB

    def first_close(self) -> int | None:
        return next(
            (i for i, frame in enumerate(self.frames) if frame.opcode == CLOSE_OPCODE), None
        )

    def stream(self) -> bytes:
        return b"".join(frame.raw for frame in self.frames)


def _show(close: Close) -> str:
    if close.code == CloseCode.NO_STATUS_RCVD:
        return "an empty close"  # what 1005 is on the wire
    return f"{int(close.code)} {close.reason!r}" if close.reason else str(int(close.code))


def _server_close(seen: Observation) -> tuple[Close | None, str | None]:
    """The server's close, decoded as a client must read it, or why it cannot be."""
    index = seen.first_close()
    assert index is not None
    try:
        return decode_close_frame(seen.frames[index].raw, masked=False), None
    except CloseFrameError as exc:
        return None, f"its close frame is invalid: {exc}"


def _after_close(seen: Observation, close_to: str) -> tuple[Verdict, str] | None:
    """The checks that follow a valid close from the server, the first failing one."""
    index = seen.first_close()
    assert index is not None
    later = seen.frames[index + 1 :]
    if later:
        return (
            "fail",
            f"sent a {later[0].name} frame after its close frame: nothing may follow one (§5.5.1)",
        )
    if seen.tcp == "open":
        return (
            "fail",
            f"kept TCP open {seen.timeout:g} s after {close_to}:"
            " the server closes it first (§7.1.1)",
        )
    return None


def judge_reply(strict: Received, seen: Observation) -> tuple[Verdict, str]:
    """The verdict on the server's answer to a close whose strict answer is *strict*."""
    assert strict.reply is not None  # a fresh server-role handshake always answers
    due = strict.reply.close
    due_code = int(due.code)
    if seen.first_close() is None:
        if seen.flooded:
            return "fail", "no close frame back in the first MiB it sent, and TCP still open"
        if seen.tcp == "open":
            return "fail", f"no close frame back, and TCP still open after {seen.timeout:g} s"
        how = "reset TCP" if seen.tcp == "reset" else "closed TCP"
        if strict.error is None:
            return "fail", f"{how} without answering the close: a close frame is due back (§5.5.1)"
        return (
            "pass",
            f"{how} without a close frame (a strict server sends {due_code} first):"
            f" {strict.error}",
        )
    close, invalid = _server_close(seen)
    if close is None:
        return "fail", str(invalid)
    failed = _after_close(seen, "its close frame")
    if failed is not None:
        return failed
    tcp = ", then reset TCP" if seen.tcp == "reset" else ", then closed TCP"
    if strict.error is None:
        if close == due:
            return "pass", f"echoed {_show(close)}{tcp}"
        if close.code == due.code:
            return "pass", f"echoed the code, with another reason {close.reason!r}{tcp}"
        if close.code in FAILURE_CODES:
            return "fail", f"refused a valid close with {describe_code(close.code)}"
        return (
            "pass",
            f"answered {_show(close)}{tcp}; the echo ({due_code}) is usual, not required (§5.5.1)",
        )
    if close.code == due.code:
        return "pass", f"failed the connection with {due_code}{tcp}: {strict.error}"
    if close.code in FAILURE_CODES:
        return (
            "pass",
            f"failed the connection with {int(close.code)}, strictly {due_code}{tcp}:"
            f" {strict.error}",
        )
    return (
        "lenient",
        f"accepted it, answering {_show(close)}; strictly {due_code}: {strict.error}",
    )


def judge_server_close(seen: Observation, waited: float) -> tuple[Verdict, str]:
    """The verdict on a server closing first, which the probe echoed."""
    if seen.first_close() is None:
        if seen.tcp == "open":
            return "pass", f"did not close within {waited:g} s: nothing to judge"
        how = "reset" if seen.tcp == "reset" else "closed"
        return "fail", f"{how} TCP without a close frame: a page sees 1006 (abnormal closure)"
    close, invalid = _server_close(seen)
    if close is None:
        return "fail", str(invalid)
    failed = _after_close(seen, "the echo")
    if failed is not None:
        return failed
    tcp = "reset" if seen.tcp == "reset" else "closed"
    return "pass", f"closed with {_show(close)}, then {tcp} TCP after the echo"


def browser_view(seen: Observation) -> Mapping[str, BrowserOutcome]:
    """What a page in each engine would see had this server sent it these bytes.

    ``closeframe.browser`` reads the server's whole stream, and what it did
    with TCP: a reset, or else closing once the page answered its close (or
    at once, without one).
    """
    mode: ServerCloses = "after-reply"
    if seen.tcp == "reset":
        mode = "rst"
    elif seen.first_close() is None:
        mode = "close"
    stream = seen.stream()
    return {name: engine.receive(stream, server_closes=mode) for name, engine in ENGINES.items()}
