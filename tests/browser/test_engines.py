"""Every scenario of tools/browser_lab, live in Chromium, Firefox and WebKit: as predicted.

Once per engine, the lab's runner (``tools/browser_lab/run.py``) drives the
real browser through one full pass of the lab's scenarios against its probe
server; then each scenario's outcome must equal what
:data:`closeframe.browser.ENGINES` predicts, compared as
``tests/test_browser_engines.py`` compares the recorded runs
(``tests/browser_scenarios.py``): the page's ``error`` event and
CloseEvent and the browser's reply for a server scenario (a field the
prediction calls uncertain, in a race, may hold any value), and for a
``ws.close()`` scenario the exception thrown or the close frame sent.

Chromium runs under Playwright (Debian's ``/usr/bin/chromium``), Firefox
ESR headless with a fresh profile, WebKitGTK's MiniBrowser through
WebKitWebDriver under a private Xvfb.  A missing browser fails every test of
its engine (never a skip), and so does a browser whose version is not the
one the policy's ``CHECKED_WITH`` names: re-measure with the lab, then
update the policy.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
from typing import Any

import aggregate
import pytest
import run
import scenarios as sc

from browser_scenarios import (
    CLOSE_ARGUMENTS,
    NOT_IN_THE_API,
    OBSERVED_AS,
    RACES,
    assert_page_matches,
    assert_server_matches,
    build_is_checked,
    outcome,
    predict,
)
from closeframe.browser import ENGINES

#: The policy's name -> the lab's driver for it.
LIVE = {"chromium": "chromium", "firefox": "firefox", "webkit": "webkit-webdriver"}
#: Seconds one pass may take (they take ~30 s) before the page is given up on.
PASS_TIMEOUT = 240.0
#: Seconds beyond that for the driver to stop its processes.
STOP_TIMEOUT = 90.0
SERVER = [s for s in sc.ALL if isinstance(s, sc.ServerScenario)]
SENT_HEX = {s.id: s.data.hex() for s in SERVER}
PAGE = sorted(CLOSE_ARGUMENTS)
INSTALL = "apt-get install -y chromium firefox-esr libwebkit2gtk-4.1-0 webkit2gtk-driver xvfb"


def _missing(engine: str) -> list[str]:
    needed = {
        "chromium": [run.CHROMIUM],
        "firefox": [run.FIREFOX],
        "webkit": [run.MINIBROWSER, run.WEBKITWEBDRIVER, shutil.which("Xvfb") or "Xvfb"],
    }[engine]
    return [path for path in needed if not (os.path.isfile(path) and os.access(path, os.X_OK))]


def _one_pass(driver: str) -> dict[str, Any]:
    """The lab's pass, in a thread and event loop of its own (Playwright's sync API has one)."""
    box: dict[str, Any] = {}

    async def bounded() -> dict[str, Any]:
        # run_once gives up on the page after PASS_TIMEOUT; wait_for bounds the rest.
        coro = run.run_once(driver, 1, list(sc.ALL), PASS_TIMEOUT)
        return await asyncio.wait_for(coro, PASS_TIMEOUT + STOP_TIMEOUT)

    def target() -> None:
        try:
            box["result"] = asyncio.run(bounded())
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"browser-pass-{driver}", daemon=True)
    thread.start()
    thread.join(PASS_TIMEOUT + 2 * STOP_TIMEOUT)
    if thread.is_alive():
        pytest.fail(f"{driver}: the pass did not end in {PASS_TIMEOUT + 2 * STOP_TIMEOUT} s")
    if "error" in box:
        raise box["error"]
    result: dict[str, Any] = box["result"]
    return result


def _incomplete(result: dict[str, Any]) -> list[str]:
    return [sid for sid, r in result["scenarios"].items() if r["page"] is None]


@pytest.fixture(scope="module", params=sorted(LIVE))
def live(request: pytest.FixtureRequest) -> dict[str, Any]:
    """One full pass in one engine: the lab's run record (engine, versions, per scenario)."""
    engine: str = request.param
    if engine == "chromium":
        try:
            import playwright  # noqa: F401
        except ImportError:
            pytest.fail("the browser tests need the playwright package", pytrace=False)
    if missing := _missing(engine):
        pytest.fail(
            f"{engine}: not found: {', '.join(missing)}; install Debian's packages ({INSTALL})",
            pytrace=False,
        )
    result = _one_pass(LIVE[engine])
    if result["outcome"] != "done" or _incomplete(result):
        # A browser that did not start or finish is retried once; a wrong answer never is.
        result = _one_pass(LIVE[engine])
    missing_ids = _incomplete(result)
    assert result["outcome"] == "done", (result["outcome"], result.get("logs_tail"))
    assert not missing_ids, (missing_ids, result.get("logs_tail"))
    result["policy"] = engine
    return result


def test_the_build_is_the_one_checked(live: dict[str, Any]) -> None:
    policy = ENGINES[live["policy"]]
    build = live.get("browser_version", "")
    assert build_is_checked(policy, build), (
        f"{build!r} is not the build closeframe.browser.ENGINES[{live['policy']!r}] was checked"
        f" with ({policy.CHECKED_WITH}): re-measure with tools/browser_lab, then update the"
        " policy and its CHECKED_WITH"
    )
    if live["policy"] == "webkit":
        libsoup = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", "libsoup-3.0-0"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        ).stdout.split("-")[0]
        assert libsoup, "libsoup-3.0-0 is not installed"
        assert f"libsoup {libsoup} " in policy.CHECKED_WITH, (libsoup, policy.CHECKED_WITH)


def test_every_scenario_is_checked() -> None:
    page = {s.id for s in sc.ALL if isinstance(s, sc.PageScenario)}
    assert set(CLOSE_ARGUMENTS) | NOT_IN_THE_API == page
    assert set(LIVE) == set(ENGINES)
    assert {OBSERVED_AS[driver] for driver in LIVE.values()} == set(ENGINES)


@pytest.mark.parametrize("scenario", SERVER, ids=[s.id for s in SERVER])
def test_what_the_server_sends(scenario: sc.ServerScenario, live: dict[str, Any]) -> None:
    predicted = predict(scenario.id, scenario.mode, SENT_HEX, live["policy"])
    signature = aggregate.signature(live["scenarios"][scenario.id], scenario.mode)
    assert not predicted.uncertain or scenario.id in RACES
    # One run: a field the prediction calls uncertain (a race) may hold any answer.
    assert_server_matches(predicted, outcome(signature), predicted.uncertain)


@pytest.mark.parametrize("name", PAGE)
def test_what_the_page_sends(name: str, live: dict[str, Any]) -> None:
    scenario = sc.by_id()[name]
    signature = aggregate.signature(live["scenarios"][name], scenario.mode)
    assert_page_matches(name, live["policy"], signature)
