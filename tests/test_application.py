"""validate_application_close: the WHATWG ``WebSocket.close(code, reason)`` steps."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeframe import (
    ApplicationCloseError,
    Close,
    CloseCode,
    CloseFrameError,
    CloseSyntaxError,
    CloseValueError,
    InvalidAccessError,
    is_script_allowed,
    serialize_close_payload,
    validate_application_close,
)


def script_allowed(code: int) -> bool:
    """WHATWG: "an integer equal to 1000 or an integer in the range 3000 to 4999"."""
    return code == 1000 or 3000 <= code <= 4999


# --- the code check ------------------------------------------------------------


@pytest.mark.parametrize("code", [1000, 3000, 3001, 3999, 4000, 4001, 4998, 4999])
def test_allowed_codes(code: int) -> None:
    close = validate_application_close(code)
    assert close == Close(code, "")
    assert close.code == code
    assert close.reason == ""


@pytest.mark.parametrize(
    "code",
    [
        *(0, 1, 999, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1011, 1014, 1015, 1016, 2999),
        *(5000, 5001, 65535, 65536, 70000, -1),
    ],
)
def test_refused_codes_raise_invalid_access_error(code: int) -> None:
    with pytest.raises(InvalidAccessError) as info:
        validate_application_close(code)
    assert info.value.code == code
    assert info.value.dom_exception == "InvalidAccessError"
    assert str(info.value).startswith("InvalidAccessError")
    assert str(code) in str(info.value)


@pytest.mark.parametrize(
    ("code", "allowed"),
    [
        (999, False),
        (1000, True),
        (1001, False),
        (2999, False),
        (3000, True),
        (4999, True),
        (5000, False),
        (0, False),
        (65535, False),
        (1005, False),
        (1006, False),
        (1015, False),
    ],
)
def test_code_boundaries(code: int, allowed: bool) -> None:
    if allowed:
        assert validate_application_close(code, "x") == Close(code, "x")
    else:
        with pytest.raises(InvalidAccessError):
            validate_application_close(code, "x")


def test_enum_codes() -> None:
    close = validate_application_close(CloseCode.NORMAL_CLOSURE, "bye")
    assert close.code is CloseCode.NORMAL_CLOSURE
    assert close == Close(1000, "bye")
    with pytest.raises(InvalidAccessError):
        validate_application_close(CloseCode.GOING_AWAY)
    with pytest.raises(InvalidAccessError):
        validate_application_close(CloseCode.NO_STATUS_RCVD)


def test_allowed_code_1000_comes_back_as_member() -> None:
    assert validate_application_close(1000).code is CloseCode.NORMAL_CLOSURE
    assert type(validate_application_close(4000).code) is int


def test_is_script_allowed_everywhere() -> None:
    wrong = [code for code in range(65536) if is_script_allowed(code) is not script_allowed(code)]
    assert wrong == []
    assert sum(map(is_script_allowed, range(65536))) == 2001


def test_is_script_allowed_rejects_bool() -> None:
    with pytest.raises(TypeError):
        is_script_allowed(True)


@given(st.integers(-(2**20), 2**20))
def test_validator_agrees_with_the_standard(code: int) -> None:
    if script_allowed(code):
        assert validate_application_close(code).code == code
    else:
        with pytest.raises(InvalidAccessError):
            validate_application_close(code)


# --- the reason check ------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "length"),
    [
        ("a" * 123, 123),
        ("€" * 41, 123),  # 3 bytes each
        ("é" * 61 + "a", 123),  # 2 bytes each
        ("😀" * 30 + "abc", 123),  # 4 bytes each
        ("", 0),
    ],
)
def test_reason_of_123_bytes_or_fewer_is_allowed(reason: str, length: int) -> None:
    assert len(reason.encode()) == length
    close = validate_application_close(1000, reason)
    assert close == Close(1000, reason)
    assert serialize_close_payload(*close) == b"\x03\xe8" + reason.encode()


@pytest.mark.parametrize(
    ("reason", "length"),
    [
        ("a" * 124, 124),
        ("€" * 41 + "a", 124),
        ("€" * 42, 126),
        ("a" * 122 + "é", 124),
        ("a" * 120 + "😀", 124),
        ("é" * 62, 124),
        ("x" * 1000, 1000),
    ],
)
def test_reason_over_123_bytes_raises_syntax_error(reason: str, length: int) -> None:
    with pytest.raises(CloseSyntaxError) as info:
        validate_application_close(1000, reason)
    assert info.value.length == length
    assert info.value.dom_exception == "SyntaxError"
    assert str(info.value).startswith("SyntaxError")
    assert str(length) in str(info.value)


def test_reason_limit_counts_bytes_not_characters() -> None:
    reason = "€" * 42  # 42 characters, 126 bytes
    assert len(reason) < 123
    with pytest.raises(CloseSyntaxError):
        validate_application_close(4000, reason)


def test_reason_too_long_without_code_raises_syntax_error() -> None:
    with pytest.raises(CloseSyntaxError):
        validate_application_close(reason="a" * 124)


def test_code_is_checked_before_reason() -> None:
    with pytest.raises(InvalidAccessError):
        validate_application_close(1001, "a" * 500)
    with pytest.raises(InvalidAccessError):
        validate_application_close(5000, "€" * 100)


def test_error_families() -> None:
    for error in (InvalidAccessError(999), CloseSyntaxError(124)):
        assert isinstance(error, ApplicationCloseError)
        assert isinstance(error, ValueError)
        assert not isinstance(error, CloseFrameError)
        assert not isinstance(error, CloseValueError)
    # The browser's SyntaxError is a DOMException, not Python's SyntaxError.
    assert not issubclass(CloseSyntaxError, SyntaxError)


# --- missing code, missing reason ----------------------------------------------


def test_no_code_no_reason_is_1005_without_body() -> None:
    close = validate_application_close()
    assert close == Close(1005, "")
    assert close.code is CloseCode.NO_STATUS_RCVD
    assert serialize_close_payload(*close) == b""


@pytest.mark.parametrize("reason", [None, ""])
def test_empty_or_missing_reason_without_code_is_1005(reason: str | None) -> None:
    close = validate_application_close(None, reason)
    assert close == Close(1005, "")
    assert serialize_close_payload(*close) == b""


@pytest.mark.parametrize("reason", ["bye", " ", "\x00", "€" * 41])
def test_reason_without_code_sends_no_body(reason: str) -> None:
    # WHATWG: the reason goes "after the status code"; without one, the
    # frame has no body (as Firefox and WebKitGTK send it).
    close = validate_application_close(reason=reason)
    assert close == Close(1005, "")
    assert close.code is CloseCode.NO_STATUS_RCVD
    assert serialize_close_payload(*close) == b""


def test_reason_without_code_is_still_checked() -> None:
    with pytest.raises(CloseSyntaxError):
        validate_application_close(reason="x" * 124)


@pytest.mark.parametrize("code", [1000, 3000, 4999])
def test_code_without_reason(code: int) -> None:
    for close in (validate_application_close(code), validate_application_close(code, None)):
        assert close == Close(code, "")
        assert serialize_close_payload(*close) == code.to_bytes(2, "big")


# --- USVString conversion --------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("\ud800", "\ufffd"),
        (chr(0xDC00), "\ufffd"),  # a lone low surrogate
        ("a\ud83db", "a\ufffdb"),
        ("\ude00\ud83d", "\ufffd\ufffd"),  # reversed pair: two lone surrogates
        ("\ud83d\ude00", "😀"),
        ("x\ud83d\ude00y", "x😀y"),
        ("\ud800\ud800\udc00", "\ufffd\U00010000"),
        ("😀\udfff", "😀\ufffd"),
        ("\udbff\udfff", "\U0010ffff"),
    ],
)
def test_reason_is_converted_to_usv_string(reason: str, expected: str) -> None:
    close = validate_application_close(4000, reason)
    assert close.reason == expected
    assert serialize_close_payload(*close) == b"\x0f\xa0" + expected.encode()


def test_surrogate_pair_counts_as_four_bytes() -> None:
    # 30 pairs: 120 bytes as UTF-8 code points (180 if each half were counted).
    reason = "\ud83d\ude00" * 30 + "abc"
    close = validate_application_close(1000, reason)
    assert close.reason == "😀" * 30 + "abc"
    assert len(close.reason.encode()) == 123


def test_surrogate_pairs_over_the_limit() -> None:
    with pytest.raises(CloseSyntaxError) as info:
        validate_application_close(1000, "\ud83d\ude00" * 30 + "abcd")
    assert info.value.length == 124


def test_lone_surrogates_count_as_replacement_characters() -> None:
    close = validate_application_close(1000, "\ud800" * 41)
    assert close.reason == "\ufffd" * 41
    with pytest.raises(CloseSyntaxError) as info:
        validate_application_close(1000, "\ud800" * 41 + "a")
    assert info.value.length == 124


def test_reason_without_code_is_converted_too() -> None:
    # Converted (lone surrogates take 3 bytes as U+FFFD) before it is measured.
    assert validate_application_close(reason="\ud800" * 41) == Close(1005)
    with pytest.raises(CloseSyntaxError) as info:
        validate_application_close(reason="\ud800" * 42)
    assert info.value.length == 126


@given(st.lists(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=40))
def test_any_surrogates_give_an_encodable_reason(chars: list[str]) -> None:
    reason = "".join(chars)
    close = validate_application_close(3000, reason)
    encoded = close.reason.encode()  # must not raise
    assert len(encoded) <= 123
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in close.reason)


@given(st.text(max_size=60))
def test_valid_text_is_kept_or_refused_by_byte_length(reason: str) -> None:
    if len(reason.encode()) <= 123:
        assert validate_application_close(3000, reason) == Close(3000, reason)
    else:
        with pytest.raises(CloseSyntaxError):
            validate_application_close(3000, reason)


# --- types -------------------------------------------------------------------------


@pytest.mark.parametrize("code", [True, False, 1000.0, "1000", b"\x03\xe8", 3000.5])
def test_code_of_wrong_type_is_type_error(code: Any) -> None:
    with pytest.raises(TypeError, match="close code must be an int"):
        validate_application_close(code)


@pytest.mark.parametrize("reason", [b"bye", 1, ["bye"], 1.5])
def test_reason_of_wrong_type_is_type_error(reason: Any) -> None:
    with pytest.raises(TypeError, match="close reason must be a str"):
        validate_application_close(1000, reason)


@pytest.mark.parametrize("reason", [b"bye", 0])
def test_reason_of_wrong_type_without_code_is_type_error(reason: Any) -> None:
    with pytest.raises(TypeError):
        validate_application_close(None, reason)
