"""CloseEvent: the WHATWG CloseEvent as an immutable value."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeframe import (
    Close,
    CloseCode,
    CloseEvent,
    CloseFrameError,
    InvalidCodeError,
    InvalidReasonError,
    PayloadTooLongError,
    TruncatedPayloadError,
)

REGISTERED = sorted({int(member) for member in CloseCode})

events = st.builds(
    CloseEvent,
    st.integers(0, 65535),
    st.text(max_size=20),
    st.booleans(),
)


# --- defaults and shape ------------------------------------------------------


def test_defaults_are_close_event_init_defaults() -> None:
    event = CloseEvent()
    assert event.code == 0
    assert type(event.code) is int
    assert event.reason == ""
    assert event.was_clean is False
    assert event.wasClean is False
    assert event.type == "close"


def test_type_is_close_on_class_and_instances() -> None:
    assert CloseEvent.type == "close"
    assert CloseEvent(1000, "bye", True).type == "close"
    assert CloseEvent.abnormal().type == "close"


def test_keyword_construction() -> None:
    event = CloseEvent(code=4000, reason="done", was_clean=True)
    assert (event.code, event.reason, event.was_clean) == (4000, "done", True)


@pytest.mark.parametrize("was_clean", [True, False])
def test_was_clean_alias(was_clean: bool) -> None:
    event = CloseEvent(1000, "", was_clean)
    assert event.wasClean is was_clean
    assert event.was_clean is was_clean


# --- immutability, hashing, equality -----------------------------------------


@pytest.mark.parametrize("attribute", ["code", "reason", "was_clean", "wasClean", "type", "x"])
def test_attributes_cannot_be_assigned(attribute: str) -> None:
    event = CloseEvent(1000, "bye", True)
    with pytest.raises(AttributeError):
        setattr(event, attribute, 1)
    assert event == CloseEvent(1000, "bye", True)
    assert CloseEvent.type == "close"


def test_attributes_cannot_be_deleted() -> None:
    event = CloseEvent(1000, "bye", True)
    with pytest.raises(AttributeError):
        del event.code
    assert event.code == 1000


def test_no_instance_dict() -> None:
    assert not hasattr(CloseEvent(), "__dict__")


def test_hashable_and_usable_as_key() -> None:
    a = CloseEvent(1000, "bye", True)
    b = CloseEvent(CloseCode.NORMAL_CLOSURE, "bye", True)
    assert hash(a) == hash(b)
    assert {a: 1}[b] == 1
    assert len({a, b, CloseEvent(1000, "bye", False)}) == 2


def test_equality_between_events() -> None:
    assert CloseEvent(1000, "bye", True) == CloseEvent(1000, "bye", True)
    assert not (CloseEvent(1000, "bye", True) != CloseEvent(1000, "bye", True))  # noqa: SIM202
    assert CloseEvent(1000, "bye", True) != CloseEvent(1000, "bye", False)
    assert CloseEvent(1000, "bye", True) != CloseEvent(1000, "Bye", True)
    assert CloseEvent(1000, "bye", True) != CloseEvent(1001, "bye", True)
    assert CloseEvent(4000) == CloseEvent(4000, "", False)


@pytest.mark.parametrize(
    "other",
    [
        (1000, "bye", True),
        [1000, "bye", True],
        Close(1000, "bye"),
        (CloseCode.NORMAL_CLOSURE, "bye", True),
        "CloseEvent(code=1000, reason='bye', was_clean=True)",
        None,
    ],
)
def test_not_equal_to_other_types(other: object) -> None:
    event = CloseEvent(1000, "bye", True)
    assert event != other
    assert not event == other  # noqa: SIM201
    assert other != event
    assert not other == event  # noqa: SIM201


def test_not_equal_to_close_with_same_fields() -> None:
    close = Close(1000, "bye")
    event = CloseEvent.from_close(close, was_clean=True)
    assert (event.code, event.reason) == (close.code, close.reason)
    assert event != close
    assert close != event


def test_not_equal_to_subclass_instance() -> None:
    class Sub(CloseEvent):
        __slots__ = ()

    assert Sub(1000, "", False) != CloseEvent(1000, "", False)
    assert CloseEvent(1000, "", False) != Sub(1000, "", False)


# --- registered codes --------------------------------------------------------


@pytest.mark.parametrize("code", REGISTERED)
def test_registered_codes_become_members(code: int) -> None:
    event = CloseEvent(code)
    assert type(event.code) is CloseCode
    assert event.code is CloseCode(code)


@pytest.mark.parametrize("code", [0, 999, 1004, 1016, 2999, 3000, 4000, 4999, 5000, 65535])
def test_unregistered_codes_stay_plain_ints(code: int) -> None:
    event = CloseEvent(code)
    assert type(event.code) is int
    assert event.code == code


def test_member_argument_is_kept() -> None:
    assert CloseEvent(CloseCode.GOING_AWAY).code is CloseCode.GOING_AWAY
    assert CloseEvent(CloseCode.CLOSE_TOO_LARGE).code is CloseCode.MESSAGE_TOO_BIG


# --- validation ----------------------------------------------------------------


@pytest.mark.parametrize("code", [True, False, 1000.0, "1000", None, b"\x03\xe8"])
def test_code_of_wrong_type_is_type_error(code: Any) -> None:
    with pytest.raises(TypeError, match="code"):
        CloseEvent(code)


@pytest.mark.parametrize("code", [-1, 65536, 70000, -65535, 2**64])
def test_code_out_of_range_is_value_error(code: int) -> None:
    with pytest.raises(ValueError, match="0-65535"):
        CloseEvent(code)


@pytest.mark.parametrize("code", [0, 1, 65534, 65535])
def test_code_range_boundaries_accepted(code: int) -> None:
    assert CloseEvent(code).code == code


@pytest.mark.parametrize("reason", [None, b"bye", 1, ["bye"]])
def test_reason_of_wrong_type_is_type_error(reason: Any) -> None:
    with pytest.raises(TypeError, match="reason must be a str"):
        CloseEvent(1000, reason)


@pytest.mark.parametrize("was_clean", [1, 0, None, "yes", 1.0])
def test_was_clean_of_wrong_type_is_type_error(was_clean: Any) -> None:
    with pytest.raises(TypeError, match="was_clean must be a bool"):
        CloseEvent(1000, "", was_clean)


def test_type_errors_are_not_value_errors() -> None:
    with pytest.raises(TypeError) as info:
        CloseEvent(True)
    assert not isinstance(info.value, ValueError)


def test_long_reason_is_allowed() -> None:
    # The event reports what happened; the 123-byte wire limit is not its rule.
    reason = "x" * 500
    assert CloseEvent(4000, reason).reason == reason


# --- constructors ----------------------------------------------------------------


@pytest.mark.parametrize("was_clean", [True, False])
def test_from_payload_empty_is_1005(was_clean: bool) -> None:
    event = CloseEvent.from_payload(b"", was_clean=was_clean)
    assert event.code == 1005
    assert event.code is CloseCode.NO_STATUS_RCVD
    assert event.reason == ""
    assert event.was_clean is was_clean


@pytest.mark.parametrize(
    ("payload", "code", "reason"),
    [
        (b"\x03\xe8", 1000, ""),
        (b"\x03\xe8bye", 1000, "bye"),
        (b"\x03\xe9", 1001, ""),
        (b"\x0f\xa0\xe2\x82\xac", 4000, "€"),
        (b"\x0b\xb8" + b"a" * 123, 3000, "a" * 123),
        (b"\x13\x87\xf0\x9f\x98\x80", 4999, "😀"),
    ],
)
def test_from_payload_valid(payload: bytes, code: int, reason: str) -> None:
    event = CloseEvent.from_payload(payload, was_clean=True)
    assert event == CloseEvent(code, reason, True)
    assert event.code == code
    assert event.reason == reason
    assert event.was_clean is True


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_from_payload_accepts_buffers(kind: Any) -> None:
    event = CloseEvent.from_payload(kind(b"\x03\xe8bye"), was_clean=False)
    assert event == CloseEvent(1000, "bye", False)


@pytest.mark.parametrize(
    ("payload", "error", "close_code"),
    [
        (b"\x03", TruncatedPayloadError, 1002),
        (b"\x03\xe8" + b"a" * 124, PayloadTooLongError, 1002),
        (b"\x03\xed", InvalidCodeError, 1002),  # 1005
        (b"\x03\xee", InvalidCodeError, 1002),  # 1006
        (b"\x03\xf7", InvalidCodeError, 1002),  # 1015
        (b"\x03\xec", InvalidCodeError, 1002),  # 1004
        (b"\x00\x00", InvalidCodeError, 1002),
        (b"\x03\xe7", InvalidCodeError, 1002),  # 999
        (b"\x13\x88", InvalidCodeError, 1002),  # 5000
        (b"\x03\xe8\xff", InvalidReasonError, 1007),
        (b"\x03\xe8\xed\xa0\x80", InvalidReasonError, 1007),  # a surrogate
        (b"\x03\xe8\xc0\xaf", InvalidReasonError, 1007),  # overlong
    ],
)
def test_from_payload_invalid_raises(
    payload: bytes, error: type[CloseFrameError], close_code: int
) -> None:
    with pytest.raises(CloseFrameError) as info:
        CloseEvent.from_payload(payload, was_clean=True)
    assert isinstance(info.value, error)
    assert info.value.close_code == close_code


def test_from_payload_was_clean_must_be_bool() -> None:
    with pytest.raises(TypeError, match="was_clean"):
        CloseEvent.from_payload(b"\x03\xe8", was_clean=1)  # type: ignore[arg-type]


def test_from_payload_rejects_str() -> None:
    with pytest.raises(TypeError):
        CloseEvent.from_payload("03e8", was_clean=True)  # type: ignore[arg-type]


def test_abnormal() -> None:
    event = CloseEvent.abnormal()
    assert event.code == 1006
    assert event.code is CloseCode.ABNORMAL_CLOSURE
    assert event.reason == ""
    assert event.was_clean is False
    assert event.wasClean is False
    assert event == CloseEvent(1006, "", False)
    assert CloseEvent.abnormal() == event


@pytest.mark.parametrize(
    "close",
    [Close(1000), Close(1000, "bye"), Close(1005), Close(4321, "€" * 41), Close(0, "x")],
)
@pytest.mark.parametrize("was_clean", [True, False])
def test_from_close(close: Close, was_clean: bool) -> None:
    event = CloseEvent.from_close(close, was_clean=was_clean)
    assert type(event) is CloseEvent
    assert event.code == close.code
    assert type(event.code) is type(close.code)
    assert event.reason == close.reason
    assert event.was_clean is was_clean
    assert event == CloseEvent(close.code, close.reason, was_clean)


@pytest.mark.parametrize("close", [(1000, "bye"), [1000, "bye"], CloseEvent(1000, "bye")])
def test_from_close_requires_a_close(close: Any) -> None:
    with pytest.raises(TypeError, match="expected a Close"):
        CloseEvent.from_close(close, was_clean=True)


@pytest.mark.parametrize("was_clean", [1, None, "True"])
def test_from_close_was_clean_must_be_bool(was_clean: Any) -> None:
    with pytest.raises(TypeError, match="was_clean must be a bool"):
        CloseEvent.from_close(Close(1000), was_clean=was_clean)


# --- pickle, copy ----------------------------------------------------------------


@pytest.mark.parametrize(
    "event",
    [
        CloseEvent(),
        CloseEvent(1000, "bye", True),
        CloseEvent(4000, "€😀", False),
        CloseEvent.abnormal(),
        CloseEvent(65535, "x", True),
    ],
)
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trip(event: CloseEvent, protocol: int) -> None:
    clone = pickle.loads(pickle.dumps(event, protocol))
    assert type(clone) is CloseEvent
    assert clone == event
    assert type(clone.code) is type(event.code)
    assert clone.was_clean is event.was_clean


@given(events)
def test_copy_round_trip(event: CloseEvent) -> None:
    for clone in (copy.copy(event), copy.deepcopy(event)):
        assert type(clone) is CloseEvent
        assert clone == event
        assert hash(clone) == hash(event)


@given(events)
def test_pickle_round_trip_any(event: CloseEvent) -> None:
    assert pickle.loads(pickle.dumps(event)) == event


# --- repr and str ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "text"),
    [
        (CloseEvent(), "CloseEvent(code=0, reason='', was_clean=False)"),
        (
            CloseEvent(1000, "bye", True),
            "CloseEvent(code=<CloseCode.NORMAL_CLOSURE: 1000>, reason='bye', was_clean=True)",
        ),
        (
            CloseEvent.abnormal(),
            "CloseEvent(code=<CloseCode.ABNORMAL_CLOSURE: 1006>, reason='', was_clean=False)",
        ),
        (
            CloseEvent(4000, "it's", False),
            'CloseEvent(code=4000, reason="it\'s", was_clean=False)',
        ),
    ],
)
def test_repr(event: CloseEvent, text: str) -> None:
    assert repr(event) == text


@given(st.integers(3000, 65535), st.text(max_size=20), st.booleans())
def test_repr_of_unregistered_code_evaluates_back(code: int, reason: str, clean: bool) -> None:
    # (A registered code's repr is the enum's <CloseCode.X: n>, not an expression.)
    event = CloseEvent(code, reason, clean)
    assert eval(repr(event), {"CloseEvent": CloseEvent}) == event


@pytest.mark.parametrize(
    ("event", "text"),
    [
        (CloseEvent(1000, "bye", True), "1000 NORMAL_CLOSURE (normal closure): bye (clean)"),
        (CloseEvent(1001, "", False), "1001 GOING_AWAY (going away) (not clean)"),
        (CloseEvent.abnormal(), "1006 ABNORMAL_CLOSURE (abnormal closure) (not clean)"),
        (CloseEvent(), "0 (not used) (not clean)"),
        (CloseEvent(4001, "done", True), "4001 (private use): done (clean)"),
    ],
)
def test_str(event: CloseEvent, text: str) -> None:
    assert str(event) == text
