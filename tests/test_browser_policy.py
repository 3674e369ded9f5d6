"""closeframe.browser: the browser-compatible policy, without a browser.

tests/browser/ checks these predictions against real Chromium; here they are
pinned, each rule next to the strict one it departs from.
"""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

import closeframe
from closeframe import (
    Close,
    CloseCode,
    CloseEvent,
    CloseFrameError,
    CloseSyntaxError,
    InvalidAccessError,
    InvalidCodeError,
    InvalidReasonError,
    PayloadTooLongError,
    ProtocolOnlyCodeError,
    TruncatedPayloadError,
    browser,
    parse_close_payload,
    validate_application_close,
)
from closeframe.browser import (
    BROWSER,
    BrowserOutcome,
    BrowserPolicy,
    predict_browser_close_event,
    predict_browser_outcome,
    predict_browser_reply,
    validate_browser_close,
)

ABNORMAL = CloseEvent.abnormal()


def test_docstring_examples() -> None:
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(browser, optionflags=flags)
    assert result.failed == 0
    assert result.attempted >= 10


def test_not_reexported_from_the_root() -> None:
    assert "BROWSER" not in closeframe.__all__
    assert not hasattr(closeframe, "predict_browser_close_event")


def test_policy_object() -> None:
    assert repr(BROWSER) == "BROWSER"
    assert isinstance(BROWSER, BrowserPolicy)
    with pytest.raises(AttributeError):
        BROWSER.extra = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("payload", "close"),
    [
        (b"", Close(1005)),
        (b"\x03\xe8", Close(1000)),
        (b"\x03\xe8bye", Close(1000, "bye")),
        (b"\x0f\xa0" + "é".encode() * 61 + b"x", Close(4000, "é" * 61 + "x")),
        # Accepted by Chromium, refused by the strict rules:
        (b"\x00\x00", Close(0)),
        (b"\x03\xe7why", Close(999, "why")),
        (b"\x03\xec", Close(1004)),
        (b"\x03\xf8", Close(1016)),
        (b"\x07\xd0", Close(2000)),
        (b"\x0b\xb7", Close(2999)),
        (b"\x13\x88", Close(5000)),
        (b"\xff\xff", Close(65535)),
    ],
)
def test_parse_accepts(payload: bytes, close: Close) -> None:
    assert BROWSER.parse(payload) == close
    assert BROWSER.parse(bytearray(payload)) == close
    assert BROWSER.parse(memoryview(payload)) == close


def test_parse_returns_enum_members() -> None:
    assert BROWSER.parse(b"\x03\xe9").code is CloseCode.GOING_AWAY


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b"\x03", TruncatedPayloadError),
        (b"\x03\xed", ProtocolOnlyCodeError),
        (b"\x03\xedwhy", ProtocolOnlyCodeError),
        (b"\x03\xee", ProtocolOnlyCodeError),
        (b"\x03\xf7", ProtocolOnlyCodeError),
        (b"\x03\xe8\xff", InvalidReasonError),
        (b"\x03\xe8\xc0\xaf", InvalidReasonError),
        (b"\x03\xe8\xed\xa0\x80", InvalidReasonError),
        (b"\x03\xe8" + b"a" * 124, PayloadTooLongError),
    ],
)
def test_parse_refuses(payload: bytes, error: type[CloseFrameError]) -> None:
    with pytest.raises(error):
        BROWSER.parse(payload)
    with pytest.raises(error):  # the strict rules refuse all of these too
        parse_close_payload(payload)


def test_parse_reports_where_the_reason_breaks() -> None:
    with pytest.raises(InvalidReasonError) as failure:
        BROWSER.parse(b"\x03\xe8ok\xff")
    assert failure.value.position == 2


@given(st.binary(max_size=130))
def test_parse_is_more_lenient_than_the_strict_rules(payload: bytes) -> None:
    try:
        lenient = BROWSER.parse(payload)
    except CloseFrameError:
        with pytest.raises(CloseFrameError):  # what Chromium refuses, strict refuses
            parse_close_payload(payload)
        return
    try:
        strict = parse_close_payload(payload)
    except InvalidCodeError:
        # Only the code range differs.
        assert lenient.code == int.from_bytes(payload[:2], "big")
    else:
        assert lenient == strict


@pytest.mark.parametrize(
    ("payload", "outcome"),
    [
        (None, BrowserOutcome(False, ABNORMAL, None)),
        (b"", BrowserOutcome(False, CloseEvent(1005, "", True), b"")),
        (b"\x03\xe8bye", BrowserOutcome(False, CloseEvent(1000, "bye", True), b"\x03\xe8bye")),
        (b"\x13\x88no", BrowserOutcome(False, CloseEvent(5000, "no", True), b"\x13\x88no")),
        (b"\x03", BrowserOutcome(True, ABNORMAL, b"\x03\xea")),
        (b"\x03\xee", BrowserOutcome(True, ABNORMAL, b"\x03\xea")),
        (b"\x03\xe8\xff", BrowserOutcome(True, ABNORMAL, b"\x03\xeaInvalid UTF-8 in Close frame")),
        (
            b"\x03\xe8" + b"a" * 124,
            BrowserOutcome(True, ABNORMAL, b"\x03\xeaWebSocket Protocol Error"),
        ),
    ],
)
def test_outcome(payload: bytes | None, outcome: BrowserOutcome) -> None:
    assert BROWSER.outcome(payload) == outcome
    assert predict_browser_outcome(payload) == outcome
    assert predict_browser_close_event(payload) == outcome.close_event
    assert predict_browser_reply(payload) == outcome.reply


def test_outcome_echo_is_bytes_for_any_buffer() -> None:
    assert predict_browser_reply(bytearray(b"\x03\xe8")) == b"\x03\xe8"
    assert type(predict_browser_reply(memoryview(b"\x03\xe8"))) is bytes


class TwoFacedBytes(bytes):
    """bytes whose __bytes__ disagrees with its buffer."""

    def __bytes__(self) -> bytes:
        return b"\x0f\xa0other"


def test_outcome_reads_the_payload_once() -> None:
    # The echo and the event describe the same bytes: the buffer's.
    error_event, event, reply, _ = BROWSER.outcome(TwoFacedBytes(b"\x03\xe8bye"))
    assert not error_event
    assert event == CloseEvent(1000, "bye", was_clean=True)
    assert reply == b"\x03\xe8bye"
    assert type(reply) is bytes


@given(st.binary(max_size=130))
def test_every_failure_answers_1002(payload: bytes) -> None:
    error_event, close_event, reply, uncertain = predict_browser_outcome(payload)
    assert not uncertain
    assert reply is not None
    if error_event:
        assert close_event == ABNORMAL
        assert reply[:2] == b"\x03\xea"
    else:
        assert close_event.was_clean
        assert reply == payload


@pytest.mark.parametrize(
    ("code", "reason", "close"),
    [
        (None, None, Close(1005)),
        (1000, None, Close(1000)),
        (1000, "", Close(1000)),
        (3000, "bye", Close(3000, "bye")),
        (4999, "x" * 123, Close(4999, "x" * 123)),
        (CloseCode.NORMAL_CLOSURE, "bye", Close(1000, "bye")),
        (4000, "\ud800x", Close(4000, "\ufffdx")),  # USVString: U+FFFD, as Chromium sent
    ],
)
def test_application_close_allowed(code: int | None, reason: str | None, close: Close) -> None:
    assert validate_browser_close(code, reason) == close
    assert BROWSER.validate_application_close(code, reason) == close
    assert validate_application_close(code, reason) == close  # the WHATWG rules agree


@pytest.mark.parametrize(
    ("code", "reason", "error", "named"),
    [
        (999, None, InvalidAccessError, 999),
        (1001, None, InvalidAccessError, 1001),
        (2999, None, InvalidAccessError, 2999),
        (5000, None, InvalidAccessError, 5000),
        (-1, None, InvalidAccessError, 0),  # [Clamp]: Chromium's message says 0
        (70000, None, InvalidAccessError, 65535),
        (999, "x" * 124, InvalidAccessError, 999),  # the code is checked first
        (1000, "x" * 124, CloseSyntaxError, None),
        (1000, "é" * 62, CloseSyntaxError, None),
    ],
)
def test_application_close_refused(
    code: int, reason: str | None, error: type[Exception], named: int | None
) -> None:
    with pytest.raises(error) as failure:
        validate_browser_close(code, reason)
    if named is not None:
        assert isinstance(failure.value, InvalidAccessError)
        assert failure.value.code == named
    with pytest.raises(error):
        validate_application_close(code, reason)


@pytest.mark.parametrize("reason", ["bye", ""])
def test_reason_without_code_throws_in_chromium(reason: str) -> None:
    # WHATWG sends a frame with no body; Chromium reads undefined as 0.
    with pytest.raises(InvalidAccessError) as failure:
        validate_browser_close(None, reason)
    assert failure.value.code == 0
    assert failure.value.dom_exception == "InvalidAccessError"
    assert validate_application_close(None, reason) == Close(1005)


@pytest.mark.parametrize("code", ["1000", True, b"\x03\xe8"])
def test_application_close_wrong_type(code: object) -> None:
    with pytest.raises(TypeError):
        validate_browser_close(code, None)  # type: ignore[arg-type]


def test_application_close_takes_javascript_numbers() -> None:
    # A float is a JavaScript number: Chromium cuts the fraction off.
    assert validate_browser_close(1000.0) == Close(1000)
    assert validate_browser_close(3000.9) == Close(3000)


def test_checked_with_names_the_browser() -> None:
    assert browser.CHECKED_WITH.startswith("Chromium 156")
