"""closeframe.browser.ENGINES against what the real engines did.

``tools/browser_lab/observations.json`` records what Chromium, Firefox and
WebKitGTK did, over several runs each, for every scenario of the lab: the
bytes a server sends and what it then does with TCP, and the page's
``WebSocket.close()`` calls.  Every prediction must match every stable
observation, and say "uncertain" exactly where the runs disagreed.
(``tox -e browser`` runs the same scenarios in the real engines again.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeframe import (
    Close,
    CloseEvent,
    CloseFrameError,
    CloseSyntaxError,
    InvalidAccessError,
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
UNOBSERVABLE = "unobservable (the server closed at once)"

# The lab sends the second frame of these 50 ms after the close: in a byte
# stream it simply follows it.
DELAYED = {
    "text-after-delayed": "text-after",
    "close-after-delayed": "close-after",
    "ping-after-delayed": "ping-after",
}
# "wait": the server never closes TCP; the browser closes it after its own
# timeout, having answered as it would before "after-reply".
MODES = {"wait": "after-reply"}


def stream(scenario: dict[str, Any]) -> bytes | None:
    if scenario["id"] in DELAYED:
        return bytes.fromhex(SCENARIOS[DELAYED[scenario["id"]]]["sent_hex"])
    return bytes.fromhex(scenario["sent_hex"]) or None


def event(seen: dict[str, Any]) -> CloseEvent:
    return CloseEvent(seen["code"], seen["reason"], seen["wasClean"])


def reply(seen: str | None) -> bytes | None:
    if seen is None or seen == UNOBSERVABLE:
        return None  # the browser sent none, or none could reach the server
    return bytes.fromhex(seen)


def observed(scenario: dict[str, Any], engine: str) -> tuple[BrowserOutcome, dict[str, Any]]:
    """What the engine did, as a BrowserOutcome, and how its runs varied."""
    record = scenario["engines"][engine]
    stable, varies = record["stable"], record.get("varies", {})
    runs = [dict(stable, **{k: v[run] for k, v in varies.items()}) for run in _runs(varies)]
    first = runs[0]
    outcome = BrowserOutcome(
        "error" in first["page_events"], event(first["close_event"]), reply(first["reply"])
    )
    return outcome, {"runs": runs, "varies": set(varies)}


def _runs(varies: dict[str, dict[str, Any]]) -> list[str]:
    return sorted({run for values in varies.values() for run in values}) or ["all"]


# Each engine's observations, and the policy that predicts them: WebKit was
# also driven through WebKitWebDriver, with the same results but for races.
OBSERVED_AS = {"chromium": "chromium", "firefox": "firefox", "webkit": "webkit",
               "webkit-webdriver": "webkit"}  # fmt: skip
# A server that closes or resets TCP right after its close frame races the
# browser's read of that frame: the only scenarios whose answers may vary.
RACES = {"tcp-close", "tcp-rst"}


@pytest.mark.parametrize("observed_as", sorted(OBSERVED_AS))
@pytest.mark.parametrize("scenario", SERVER, ids=[s["id"] for s in SERVER])
def test_what_the_server_sends(scenario: dict[str, Any], observed_as: str) -> None:
    mode = MODES.get(scenario["tcp_mode"], scenario["tcp_mode"])
    predicted = ENGINES[OBSERVED_AS[observed_as]].receive(stream(scenario), server_closes=mode)
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
    for field in ("error_event", "close_event", "reply"):
        if field not in varied:
            assert getattr(predicted, field) == getattr(seen, field), field
    # An uncertain field holds an answer some run gave.
    runs = how["runs"]
    if "close_event" in varied:
        assert predicted.close_event in [event(run["close_event"]) for run in runs]
    if "error_event" in varied:
        assert predicted.error_event in ["error" in run["page_events"] for run in runs]


# ws.close() arguments as validate_application_close takes them: None is
# undefined, a float is a JavaScript number.
CLOSE_ARGUMENTS: dict[str, tuple[Any, Any]] = {
    "page-noargs": (None, None),
    "page-undefined": (None, None),
    "page-1000": (1000, None),
    "page-1000-bye": (1000, "bye"),
    "page-1000-empty": (1000, ""),
    "page-undefined-bye": (None, "bye"),
    "page-undefined-empty": (None, ""),
    "page-3000": (3000, None),
    "page-4999": (4999, None),
    "page-4000-bye": (4000, "bye"),
    "page-3000.5": (3000.5, None),
    "page-999.9": (999.9, None),
    "page-1000.4": (1000.4, None),
    "page-4999.5": (4999.5, None),
    "page--1": (-1, None),
    "page-65536": (65536, None),
    "page-infinity": (float("inf"), None),
    "page-nan": (float("nan"), None),
    "page-0": (0, None),
    "page-1001": (1001, None),
    "page-1005": (1005, None),
    "page-1015": (1015, None),
    "page-2000": (2000, None),
    "page-2999": (2999, None),
    "page-5000": (5000, None),
    "page-1000-r123": (1000, "x" * 123),
    "page-1000-r123-multibyte": (1000, "é" * 61 + "x"),
    "page-1000-r124": (1000, "x" * 124),
    "page-1000-r124-multibyte": (1000, "é" * 62),
    "page-1000-surrogate": (1000, "\ud800"),
    "page-1000-nul": (1000, "a\0b"),
    "page-1001-r124": (1001, "x" * 124),
}
# JavaScript conversions of other types are the caller's: a string or null
# code, a number reason.  Only the first close() of two is answered.
NOT_IN_THE_API = {
    "page-string-1000",
    "page-string-abc",
    "page-null",
    "page-1000-number-reason",
    "page-twice",
}
THROWN = {"InvalidAccessError": InvalidAccessError, "SyntaxError": CloseSyntaxError}


def test_every_page_scenario_is_mapped() -> None:
    assert set(CLOSE_ARGUMENTS) | NOT_IN_THE_API == {s["id"] for s in PAGE}
    assert not set(CLOSE_ARGUMENTS) & NOT_IN_THE_API


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("name", sorted(CLOSE_ARGUMENTS))
def test_what_the_page_sends(name: str, engine: str) -> None:
    code, reason = CLOSE_ARGUMENTS[name]
    record = SCENARIOS[name]["engines"][engine]
    assert "varies" not in record
    seen = record["stable"]
    policy = ENGINES[engine]
    if seen["thrown"] is not None:
        with pytest.raises(THROWN[seen["thrown"]["name"]]):
            policy.validate_application_close(code, reason)
        return
    sent = bytes.fromhex(seen["browser_frames"][0]["payload"])
    close = policy.validate_application_close(code, reason)
    assert close == BROWSER.parse(sent)  # the frame it sent, read back


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
        assert build.split()[-1].removesuffix("esr") in policy.CHECKED_WITH, build
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
