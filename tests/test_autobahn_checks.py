"""The checks tox -e autobahn adds to the suite's verdicts fail when they should.

tests/autobahn/run_autobahn.py reads the suite's per-case reports; these
feed it reports shaped like the suite's (7.3.4, 7.5.1, 7.9.1, 7.3.1) with
one thing wrong at a time, without running wstest.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from loading import load_file


def _load() -> ModuleType:
    return load_file(
        "closeframe_run_autobahn", Path(__file__).parent / "autobahn" / "run_autobahn.py"
    )


autobahn = _load()


def case(
    case_id: str,
    sent: list[Any],
    local: tuple[int | None, str | None],
    remote: tuple[int | None, str | None],
    *,
    dropped_by_suite: bool = False,
) -> dict[str, Any]:
    """A report of one case as the suite writes it (the fields the checks read)."""
    return {
        "id": case_id,
        "agent": "closeframe-c",
        "wirelog": [["RO", [10, "..."]], ["TF", sent, 8, True, 0, "b64820dd", None, None, False]],
        "localCloseCode": local[0],
        "localCloseReason": local[1],
        "remoteCloseCode": remote[0],
        "remoteCloseReason": remote[1],
        "droppedByMe": dropped_by_suite,
        "wasCloseHandshakeTimeout": False,
        "wasServerConnectionDropTimeout": False,
    }


ECHO = case(
    "7.3.4", [14, "0x03e848656c6c6f20576f726c6421"], (1000, "Hello World!"), (1000, "Hello World!")
)
BAD_UTF8 = case(
    "7.5.1",
    [22, "0x03e8cebae1bdb9cf83cebcceb5eda080656469746564"],
    (1000, "cebae1bdb9cf83cebcceb5eda080656469746564"),
    (1007, None),
)
BAD_CODE = case("7.9.1", [2, "0x0000"], (0, None), (1002, None))
EMPTY = case("7.3.1", [0, ""], (None, None), (None, None))


@pytest.mark.parametrize("report", [ECHO, BAD_UTF8, BAD_CODE, EMPTY], ids=lambda r: r["id"])
def test_a_right_reply_passes(report: dict[str, Any]) -> None:
    assert autobahn.check_close_case(report, our_role="server") == []
    client_view = {**report, "droppedByMe": True}  # the suite, as the server, closed TCP
    assert autobahn.check_close_case(client_view, our_role="client") == []


def test_the_payload_is_rebuilt_with_a_reason_that_is_not_utf8() -> None:
    payload = autobahn.sent_close_payload(BAD_UTF8)
    assert payload == bytes.fromhex("03e8cebae1bdb9cf83cebcceb5eda080656469746564")


def test_a_payload_that_does_not_match_the_wire_log_is_an_error() -> None:
    with pytest.raises(autobahn.AutobahnError, match="cannot rebuild"):
        autobahn.sent_close_payload({**ECHO, "localCloseReason": "Hello World?"})


@pytest.mark.parametrize(
    ("report", "problem"),
    [
        ({**ECHO, "remoteCloseReason": None}, "replied (1000, None)"),
        ({**ECHO, "remoteCloseCode": 1001}, "replied (1001"),
        ({**BAD_UTF8, "remoteCloseCode": 1002}, "closeframe decides (1007, None)"),
        ({**BAD_CODE, "remoteCloseReason": "bad code"}, "replied (1002, 'bad code')"),
        ({**EMPTY, "remoteCloseCode": 1000}, "closeframe decides (None, None)"),
        ({**ECHO, "wasCloseHandshakeTimeout": True}, "a timeout"),
        ({**ECHO, "droppedByMe": True}, "closed TCP before our server"),
    ],
)
def test_a_wrong_reply_fails_as_the_server(report: dict[str, Any], problem: str) -> None:
    (found,) = autobahn.check_close_case(report, our_role="server")
    assert problem in found


def test_a_client_that_closes_tcp_first_fails() -> None:
    (found,) = autobahn.check_close_case(ECHO, our_role="client")
    assert "our client closed TCP before the suite" in found
    # After failing the connection the client may close first (RFC 6455 §7.1.7).
    assert autobahn.check_close_case(BAD_CODE, our_role="client") == []


def test_a_failed_verdict_or_a_missing_section_fails(tmp_path: Path) -> None:
    ok = {"behavior": "OK", "behaviorClose": "OK", "reportfile": "x.json"}
    cases = {f"{section}.1.1": ok for section in autobahn.SECTIONS if section != "7"}
    index = {"closeframe-c": {**cases, "1.1.2": {**ok, "behaviorClose": "FAILED"}}}
    index["closeframe-python"] = dict(cases)
    (tmp_path / "index.json").write_text(json.dumps(index))
    tallies, problems = autobahn.check_reports(tmp_path, "server")
    assert tallies["closeframe-c"]["1 OK/FAILED"] == 1
    assert "1.1.2 (server, closeframe-c): OK/FAILED" in problems
    assert "server: the agents ran different cases" in problems
    assert any("sections" in problem and "closeframe-python" in problem for problem in problems)
