"""closeframe.browser.ENGINES against what the real engines did.

``tools/browser_lab/observations.json`` records what Chromium, Firefox and
WebKitGTK did, over several runs each, for every scenario of the lab: the
bytes a server sends and what it then does with TCP, and the page's
``WebSocket.close()`` calls.  Every prediction must match every stable
observation, and say "uncertain" exactly where the runs disagreed.
(``tox -e browser`` runs the same scenarios in the real engines again,
``tests/browser/test_engines.py``; the mapping from scenarios to
predictions both use is ``tests/browser_scenarios.py``.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from browser_scenarios import (
    CLOSE_ARGUMENTS,
    NOT_IN_THE_API,
    OBSERVED_AS,
    RACES,
    assert_page_matches,
    assert_server_matches,
    build_is_checked,
    event,
    outcome,
    predict,
)
from closeframe import (
    Close,
    CloseEvent,
    CloseFrameError,
    parse_close_payload,
    validate_application_close,
)
from closeframe.browser import (
    BROWSER,
    ENGINES,
    SERVER_CLOSES,
    STRICT,
    BrowserOutcome,
    BrowserPolicy,
)

OBSERVATIONS = json.loads(
    (Path(__file__).parent.parent / "tools" / "browser_lab" / "observations.json").read_text()
)
SCENARIOS = {scenario["id"]: scenario for scenario in OBSERVATIONS["scenarios"]}
SERVER = [s for s in SCENARIOS.values() if s["kind"] == "server"]
PAGE = [s for s in SCENARIOS.values() if s["kind"] == "page"]
SENT_HEX = {s["id"]: s["sent_hex"] for s in SERVER}


def observed(scenario: dict[str, Any], engine: str) -> tuple[BrowserOutcome, dict[str, Any]]:
    """What the engine did, as a BrowserOutcome, and how its runs varied."""
    record = scenario["engines"][engine]
    stable, varies = record["stable"], record.get("varies", {})
    runs = [dict(stable, **{k: v[run] for k, v in varies.items()}) for run in _runs(varies)]
    first = runs[0]
    return outcome(first), {"runs": runs, "varies": set(varies)}


def _runs(varies: dict[str, dict[str, Any]]) -> list[str]:
    return sorted({run for values in varies.values() for run in values}) or ["all"]


@pytest.mark.parametrize("observed_as", sorted(OBSERVED_AS))
@pytest.mark.parametrize("scenario", SERVER, ids=[s["id"] for s in SERVER])
def test_what_the_server_sends(scenario: dict[str, Any], observed_as: str) -> None:
    predicted = predict(scenario["id"], scenario["tcp_mode"], SENT_HEX, observed_as)
    seen, how = observed(scenario, observed_as)
    varied = set()
    if "close_event" in how["varies"]:
        varied.add("close_event")
    if "page_events" in how["varies"]:
        varied.add("error_event")
    # Whatever varied is called uncertain; a race may be uncertain even in
    # a batch of runs that happened to agree, and nothing else may be.
    assert varied <= predicted.uncertain
    assert not predicted.uncertain or scenario["id"] in RACES
    assert_server_matches(predicted, seen, varied)
    # An uncertain field holds an answer some run gave.
    runs = how["runs"]
    if "close_event" in varied:
        assert predicted.close_event in [event(run["close_event"]) for run in runs]
    if "error_event" in varied:
        assert predicted.error_event in ["error" in run["page_events"] for run in runs]


def test_every_page_scenario_is_mapped() -> None:
    assert set(CLOSE_ARGUMENTS) | NOT_IN_THE_API == {s["id"] for s in PAGE}
    assert not set(CLOSE_ARGUMENTS) & NOT_IN_THE_API


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("name", sorted(CLOSE_ARGUMENTS))
def test_what_the_page_sends(name: str, engine: str) -> None:
    record = SCENARIOS[name]["engines"][engine]
    assert "varies" not in record
    assert_page_matches(name, engine, record["stable"])


def test_engines_and_builds() -> None:
    assert sorted(ENGINES) == ["chromium", "firefox", "webkit"]
    assert BROWSER is ENGINES["chromium"]
    assert set(OBSERVED_AS.values()) == set(ENGINES)
    assert set(OBSERVED_AS) == set(OBSERVATIONS["engines"])
    for name, policy in ENGINES.items():
        assert isinstance(policy, BrowserPolicy)
        assert policy.name == name
        build = OBSERVATIONS["engines"][name]["browser_version"]
        # The build a policy names is the one observed.
        assert build_is_checked(policy, build), build
    assert "libsoup" in ENGINES["webkit"].CHECKED_WITH
    assert SERVER_CLOSES == ("after-reply", "fin", "close", "rst")


def test_engines_disagree() -> None:
    # The point of three policies: on about a third of the server scenarios
    # at least two engines answer differently.
    differing = 0
    for scenario in SERVER:
        answers = {observed(scenario, engine)[0] for engine in ENGINES}
        differing += len(answers) > 1
    assert differing * 4 > len(SERVER)


def test_close_value() -> None:
    assert ENGINES["webkit"].parse(b"\x03\xe8a\0b") == Close(1000, "a")
    assert ENGINES["firefox"].parse(b"\x03") == Close(1005)


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_stream_edges(engine: str) -> None:
    policy = ENGINES[engine]
    quiet = BrowserOutcome(False, CloseEvent.abnormal(), None)
    # An incomplete frame: the browser waits for the rest, then the server closes.
    assert policy.receive(b"\x88\x05\x03\xe8") == quiet
    assert policy.receive(b"\x81\x02hi") == quiet  # a message, then TCP closes
    # Any buffer, read once; the frame's payload may arrive in a bytearray.
    frame = b"\x88\x05\x03\xe8bye"
    expected = policy.receive(frame)
    assert policy.receive(bytearray(frame)) == expected
    assert policy.receive(memoryview(frame)) == expected
    with pytest.raises(TypeError, match="close frame must be bytes-like"):
        policy.receive("8805")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="server_closes must be one of"):
        policy.receive(frame, server_closes="later")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="close reason must be a str"):
        policy.validate_application_close(1000, b"bye")  # type: ignore[arg-type]


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("server_closes", ["close", "rst"])
def test_a_failure_answer_never_reaches_a_closed_server(engine: str, server_closes: Any) -> None:
    outcome = ENGINES[engine].receive(b"\x88\x02\x03\xee", server_closes=server_closes)  # 1006
    if engine == "firefox":
        assert outcome.close_event.code == 1006  # Firefox lets 1006 through
    else:
        assert outcome == BrowserOutcome(True, CloseEvent.abnormal(), None)


@given(st.binary(max_size=130))
def test_strict_is_the_strict_parser(payload: bytes) -> None:
    # STRICT, the docs' reference column, answers as parse_close_payload.
    outcome = STRICT.outcome(payload)
    try:
        close = parse_close_payload(payload)
    except CloseFrameError as exc:
        assert outcome == BrowserOutcome(
            True, CloseEvent.abnormal(), exc.close_code.to_bytes(2, "big")
        )
    else:
        assert outcome == BrowserOutcome(
            False, CloseEvent.from_close(close, was_clean=True), payload
        )


@pytest.mark.parametrize("code", [None, 1000, 1001, 3000, 4999, 5000])
@pytest.mark.parametrize("reason", [None, "", "bye", "x" * 124])
def test_strict_close_is_the_whatwg_close(code: int | None, reason: str | None) -> None:
    try:
        expected: object = validate_application_close(code, reason)
    except ValueError as exc:
        expected = type(exc)
    try:
        got: object = STRICT.validate_application_close(code, reason)
    except ValueError as exc:
        got = type(exc)
    assert got == expected


def test_reprs() -> None:
    assert repr(STRICT) == "STRICT"
    assert repr(BROWSER) == "BROWSER"
    assert repr(ENGINES["webkit"]) == "ENGINES['webkit']"
    assert STRICT.name == "strict"
    assert "RFC 6455" in STRICT.CHECKED_WITH
