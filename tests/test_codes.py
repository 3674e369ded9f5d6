"""The registry: every code 0-65535 against a table written here, by hand."""

from __future__ import annotations

import itertools

import pytest

from closeframe import (
    PROTOCOL_ONLY_CODES,
    CloseCode,
    CloseFrameError,
    CodeRange,
    Sender,
    code_info,
    code_range,
    describe_code,
    is_normal_closure,
    is_protocol_only,
    is_script_allowed,
    is_sendable,
)

# (first, last, range, sendable) — from RFC 6455 §7.4 and the IANA registry,
# written out independently of the code under test.
RANGES = [
    (0, 999, CodeRange.UNUSED, False),
    (1000, 1003, CodeRange.REGISTERED, True),
    (1004, 1004, CodeRange.RESERVED, False),
    (1005, 1006, CodeRange.REGISTERED, False),
    (1007, 1014, CodeRange.REGISTERED, True),
    (1015, 1015, CodeRange.REGISTERED, False),
    (1016, 2999, CodeRange.RESERVED, False),
    (3000, 3999, CodeRange.LIBRARY, True),
    (4000, 4999, CodeRange.PRIVATE, True),
    (5000, 65535, CodeRange.OUT_OF_RANGE, False),
]

# code: (canonical name, IANA name, MDN constant, sender, normal)
REGISTERED = {
    1000: ("NORMAL_CLOSURE", "Normal Closure", "CLOSE_NORMAL", Sender.EITHER, True),
    1001: ("GOING_AWAY", "Going Away", "CLOSE_GOING_AWAY", Sender.EITHER, True),
    1002: ("PROTOCOL_ERROR", "Protocol error", "CLOSE_PROTOCOL_ERROR", Sender.EITHER, False),
    1003: ("UNSUPPORTED_DATA", "Unsupported Data", "CLOSE_UNSUPPORTED", Sender.EITHER, False),
    1005: ("NO_STATUS_RCVD", "No Status Rcvd", "CLOSE_NO_STATUS", Sender.NOBODY, True),
    1006: ("ABNORMAL_CLOSURE", "Abnormal Closure", "CLOSE_ABNORMAL", Sender.NOBODY, False),
    1007: ("INVALID_FRAME_PAYLOAD_DATA", "Invalid frame payload data", None, Sender.EITHER, False),
    1008: ("POLICY_VIOLATION", "Policy Violation", None, Sender.EITHER, False),
    1009: ("MESSAGE_TOO_BIG", "Message Too Big", "CLOSE_TOO_LARGE", Sender.EITHER, False),
    1010: ("MANDATORY_EXTENSION", "Mandatory Ext.", None, Sender.CLIENT, False),
    1011: ("INTERNAL_ERROR", "Internal Error", None, Sender.EITHER, False),
    1012: ("SERVICE_RESTART", "Service Restart", None, Sender.EITHER, False),
    1013: ("TRY_AGAIN_LATER", "Try Again Later", None, Sender.EITHER, False),
    1014: ("BAD_GATEWAY", "Bad Gateway", None, Sender.EITHER, False),
    1015: ("TLS_HANDSHAKE", "TLS handshake", None, Sender.NOBODY, False),
}


def expected(code: int) -> tuple[CodeRange, bool]:
    for first, last, kind, sendable in RANGES:
        if first <= code <= last:
            return kind, sendable
    raise AssertionError(code)  # pragma: no cover - the table covers 0-65535


def test_ranges_cover_the_code_space_once() -> None:
    assert RANGES[0][0] == 0
    assert RANGES[-1][1] == 65535
    for (_, last, _, _), (first, _, _, _) in itertools.pairwise(RANGES):
        assert first == last + 1


def test_every_code_is_classified() -> None:
    for code in range(65536):
        kind, sendable = expected(code)
        assert code_range(code) is kind, code
        assert is_sendable(code) is sendable, code
        assert is_protocol_only(code) is (code in (1005, 1006, 1015)), code
        assert is_script_allowed(code) is (code == 1000 or 3000 <= code <= 4999), code
        assert is_normal_closure(code) is (code in (1000, 1001, 1005)), code
        info = code_info(code)
        assert (info is not None) is (code in REGISTERED), code


@pytest.mark.parametrize("code", sorted(REGISTERED))
def test_registered_code(code: int) -> None:
    name, iana, mdn, sender, normal = REGISTERED[code]
    info = code_info(code)
    assert info is not None
    assert info.code is CloseCode(code)
    assert info.code.name == name
    assert info.iana_name == iana
    assert info.mdn_name == mdn
    assert info.sender is sender
    assert info.is_normal is normal
    assert info.description
    expected_ref = "IANA" if code in (1012, 1013, 1014) else "RFC 6455 §7.4.1"
    assert expected_ref in info.reference
    if mdn is not None:
        assert CloseCode[mdn] is info.code


def test_close_code_members_are_exactly_the_registry() -> None:
    assert {int(member) for member in CloseCode} == set(REGISTERED)
    assert 1004 not in {int(member) for member in CloseCode}


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("CLOSE_NORMAL", "NORMAL_CLOSURE"),
        ("CLOSE_GOING_AWAY", "GOING_AWAY"),
        ("CLOSE_PROTOCOL_ERROR", "PROTOCOL_ERROR"),
        ("CLOSE_UNSUPPORTED", "UNSUPPORTED_DATA"),
        ("CLOSE_NO_STATUS", "NO_STATUS_RCVD"),
        ("CLOSE_ABNORMAL", "ABNORMAL_CLOSURE"),
        ("CLOSE_TOO_LARGE", "MESSAGE_TOO_BIG"),
        ("INVALID_DATA", "INVALID_FRAME_PAYLOAD_DATA"),
        ("MANDATORY_EXT", "MANDATORY_EXTENSION"),
        ("TLS_HANDSHAKE_FAILED", "TLS_HANDSHAKE"),
    ],
)
def test_aliases(alias: str, canonical: str) -> None:
    assert CloseCode[alias] is CloseCode[canonical]
    # The canonical name is what a member reports.
    assert CloseCode[alias].name == canonical


def test_peer_spellings_resolve() -> None:
    # Every member name websockets and wsproto use exists here, same value.
    import websockets.frames
    import wsproto.frame_protocol

    for member in websockets.frames.CloseCode:
        assert CloseCode[member.name] == member.value
    for reason in wsproto.frame_protocol.CloseReason:
        assert CloseCode[reason.name] == reason.value


def test_protocol_only_codes() -> None:
    assert frozenset({1005, 1006, 1015}) == PROTOCOL_ONLY_CODES


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (1000, "1000 NORMAL_CLOSURE (normal closure)"),
        (1001, "1001 GOING_AWAY (going away)"),
        (1015, "1015 TLS_HANDSHAKE (TLS handshake failure)"),
        (4001, "4001 (private use)"),
        (3000, "3000 (library/framework code)"),
        (1004, "1004 (reserved, unassigned)"),
        (2500, "2500 (reserved, unassigned)"),
        (999, "999 (not used)"),
        (5000, "5000 (out of range)"),
    ],
)
def test_describe_code(code: int, text: str) -> None:
    assert describe_code(code) == text


@pytest.mark.parametrize(
    "func",
    [code_range, is_sendable, is_protocol_only, is_script_allowed, code_info, describe_code],
)
@pytest.mark.parametrize("bad", [True, 1000.0, "1000", None])
def test_wrong_types_are_type_errors(func: object, bad: object) -> None:
    with pytest.raises(TypeError, match="close code must be an int"):
        func(bad)  # type: ignore[operator]


@pytest.mark.parametrize("code", [-1, 65536, 10**9])
def test_code_range_outside_two_bytes(code: int) -> None:
    with pytest.raises(ValueError, match="0-65535"):
        code_range(code)
    assert not is_sendable(code)


def test_every_code_through_the_codec() -> None:
    """All 65536 codes on the wire, each with an empty, a valid and a bad reason."""
    from closeframe import (
        Close,
        InvalidCodeError,
        InvalidReasonError,
        ProtocolOnlyCodeError,
        UnsendableCodeError,
        parse_close_payload,
        serialize_close_payload,
    )

    accepted = 0
    for code in range(65536):
        _, sendable = expected(code)
        head = code.to_bytes(2, "big")
        for reason_bytes, reason in ((b"", ""), ("ok €".encode(), "ok €"), (b"\xc3(", None)):
            payload = head + reason_bytes
            if sendable and reason is not None:
                assert parse_close_payload(payload) == Close(code, reason), payload
                assert serialize_close_payload(code, reason) == payload
                accepted += 1
                continue
            expected_error = (
                InvalidReasonError
                if sendable
                else ProtocolOnlyCodeError
                if code in (1005, 1006, 1015)
                else InvalidCodeError
            )
            with pytest.raises(CloseFrameError) as info:
                parse_close_payload(payload)
            assert type(info.value) is expected_error, payload
            assert info.value.close_code == (1007 if sendable else 1002), payload
            if not sendable and reason is not None:
                if code == 1005 and not reason:
                    assert serialize_close_payload(code, reason) == b""
                else:
                    with pytest.raises(UnsendableCodeError):
                        serialize_close_payload(code, reason)
    # 1000-1003, 1007-1014 and 3000-4999, twice each.
    assert accepted == 2 * (4 + 8 + 2000)
