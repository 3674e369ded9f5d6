"""Hypothesis properties over the whole input space."""

from __future__ import annotations

from hypothesis import assume, example, given
from hypothesis import strategies as st

from closeframe import (
    MAX_REASON_BYTES,
    Close,
    CloseFrameError,
    is_sendable,
    parse_close_payload,
    serialize_close_payload,
)

sendable_codes = st.one_of(
    st.sampled_from([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014]),
    st.integers(3000, 4999),
)
# Text biased towards multi-byte characters, up to the length where
# 123 bytes is sure to be exceeded by 4-byte characters.
any_text = st.text(st.characters(codec="utf-8"), max_size=130)


def utf8_len(text: str) -> int:
    return len(text.encode())


encodable_reasons = any_text.filter(lambda text: utf8_len(text) <= MAX_REASON_BYTES)


@given(st.binary(max_size=200))
@example(b"")
@example(b"\x03")
@example(b"\x03\xe8\xc0\x80")
@example(b"\x03\xe8" + b"a" * 124)
def test_parse_returns_a_close_or_raises_close_frame_error(data: bytes) -> None:
    try:
        close = parse_close_payload(data)
    except CloseFrameError as exc:
        assert exc.close_code in (1002, 1007)
        if len(data) > 125:
            assert exc.close_code == 1002
        return
    assert type(close) is Close
    assert len(data) <= 125
    # Whatever is accepted serializes back to exactly the same bytes.
    assert serialize_close_payload(*close) == data


@given(st.binary(min_size=2, max_size=125))
def test_parse_agrees_with_a_plain_reading(data: bytes) -> None:
    code = int.from_bytes(data[:2], "big")
    try:
        reason = data[2:].decode("utf-8")
    except UnicodeDecodeError:
        reason = None
    if not is_sendable(code):
        verdict: object = 1002
    elif reason is None:
        verdict = 1007
    else:
        verdict = Close(code, reason)
    try:
        result: object = parse_close_payload(data)
    except CloseFrameError as exc:
        result = exc.close_code
    assert result == verdict


@given(sendable_codes, encodable_reasons)
def test_serialize_then_parse_is_identity(code: int, reason: str) -> None:
    payload = serialize_close_payload(code, reason)
    assert payload[:2] == code.to_bytes(2, "big")
    assert parse_close_payload(payload) == Close(code, reason)
    assert parse_close_payload(memoryview(bytearray(payload))) == Close(code, reason)


@given(sendable_codes, any_text)
def test_truncation_keeps_whole_code_points(code: int, reason: str) -> None:
    payload = serialize_close_payload(code, reason, truncate=True)
    kept = parse_close_payload(payload).reason  # decodes: no code point was split
    assert len(payload) - 2 <= MAX_REASON_BYTES
    assert reason.startswith(kept)
    if utf8_len(reason) <= MAX_REASON_BYTES:
        assert kept == reason
    else:
        # As much as fits: the next character would not have.
        assert utf8_len(kept) + utf8_len(reason[len(kept)]) > MAX_REASON_BYTES


@given(st.integers(0, 65535), any_text)
def test_serialize_refuses_exactly_the_unsendable_codes(code: int, reason: str) -> None:
    assume(utf8_len(reason) <= MAX_REASON_BYTES)
    try:
        payload = serialize_close_payload(code, reason)
    except ValueError:
        assert not is_sendable(code)
        assert not (code == 1005 and reason == "")
    else:
        assert is_sendable(code) or (code == 1005 and reason == "" and payload == b"")
