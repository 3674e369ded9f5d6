"""The lab's scenarios as closeframe.browser sees them, and how an observation is compared.

One mapping, used by both checks of :data:`closeframe.browser.ENGINES`:
``tests/test_browser_engines.py`` (against the runs recorded in
``tools/browser_lab/observations.json``) and ``tests/browser/test_engines.py``
(against a pass run live in each real engine by ``tox -e browser``).  A
scenario's observation is the lab's *signature* of it
(``tools/browser_lab/aggregate.py``): ``page_events``, ``close_event``,
``reply`` (hex, None, or :data:`UNOBSERVABLE`), ``thrown`` and
``browser_frames``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from closeframe import CloseEvent, CloseSyntaxError, InvalidAccessError
from closeframe.browser import BROWSER, ENGINES, BrowserOutcome, BrowserPolicy

#: The lab's reply in modes "close" and "rst": the server closed at once.
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

# Each engine's observations, and the policy that predicts them: WebKit was
# also driven through WebKitWebDriver, with the same results but for races.
OBSERVED_AS = {"chromium": "chromium", "firefox": "firefox", "webkit": "webkit",
               "webkit-webdriver": "webkit"}  # fmt: skip
# A server that closes or resets TCP right after its close frame races the
# browser's read of that frame: the only scenarios whose answers may vary.
RACES = {"tcp-close", "tcp-rst"}

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
#: The fields of a server scenario's outcome that are compared.
FIELDS = ("error_event", "close_event", "reply")


def stream(scenario_id: str, sent_hex: Mapping[str, str]) -> bytes | None:
    """The bytes a server scenario writes, as one stream; *sent_hex*: id -> first write (hex)."""
    return bytes.fromhex(sent_hex[DELAYED.get(scenario_id, scenario_id)]) or None


def predict(
    scenario_id: str, tcp_mode: str, sent_hex: Mapping[str, str], observed_as: str
) -> BrowserOutcome:
    """What the engine's policy predicts for a server scenario."""
    mode: Any = MODES.get(tcp_mode, tcp_mode)  # the policy checks it
    policy = ENGINES[OBSERVED_AS[observed_as]]
    return policy.receive(stream(scenario_id, sent_hex), server_closes=mode)


def event(seen: dict[str, Any]) -> CloseEvent:
    return CloseEvent(seen["code"], seen["reason"], seen["wasClean"])


def reply(seen: str | None) -> bytes | None:
    if seen is None or seen == UNOBSERVABLE:
        return None  # the browser sent none, or none could reach the server
    return bytes.fromhex(seen)


def outcome(signature: dict[str, Any]) -> BrowserOutcome:
    """One observation of a server scenario, as a BrowserOutcome."""
    return BrowserOutcome(
        "error" in signature["page_events"],
        event(signature["close_event"]),
        reply(signature["reply"]),
    )


def assert_server_matches(
    predicted: BrowserOutcome, seen: BrowserOutcome, any_value: set[str] | frozenset[str]
) -> None:
    """Every field but those in *any_value* is what the engine did."""
    for field in FIELDS:
        if field not in any_value:
            assert getattr(predicted, field) == getattr(seen, field), field


def assert_page_matches(name: str, engine: str, seen: dict[str, Any]) -> None:
    """The engine's close() threw what its policy raises, or sent the close it returns."""
    code, reason = CLOSE_ARGUMENTS[name]
    policy = ENGINES[engine]
    if seen["thrown"] is not None:
        with pytest.raises(THROWN[seen["thrown"]["name"]]):
            policy.validate_application_close(code, reason)
        return
    assert seen["browser_frames"], "the browser sent no frame"
    sent = bytes.fromhex(seen["browser_frames"][0]["payload"])
    close = policy.validate_application_close(code, reason)
    assert close == BROWSER.parse(sent)  # the frame it sent, read back


def build_is_checked(policy: BrowserPolicy, build: str) -> bool:
    """Does the policy's CHECKED_WITH name this browser version string?"""
    return bool(build) and build.rsplit(maxsplit=1)[-1].removesuffix("esr") in policy.CHECKED_WITH
