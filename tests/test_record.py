"""Close and CloseEvent stay what they are: no class change, comparisons that hold."""

from __future__ import annotations

import copy
import operator
import pickle
from typing import Any
from unittest import mock

import pytest

from closeframe import (
    Close,
    CloseCode,
    CloseEvent,
    ClosingHandshake,
    Role,
    parse_close_payload,
)

VALUES: list[Any] = [
    Close(1000, "bye"),
    Close(CloseCode.GOING_AWAY),
    CloseEvent(1000, "bye", True),
    CloseEvent(),
]


class LyingClose(Close):
    """A subclass a caller could try to graft onto a shared value."""

    __slots__ = ()

    @property
    def reason(self) -> str:
        return "forged"


class LyingEvent(CloseEvent):
    __slots__ = ()


SHARED = {
    "code only": b"\x03\xe8",
    "no status": b"",
}


@pytest.mark.parametrize("payload", SHARED.values(), ids=SHARED.keys())
@pytest.mark.parametrize("target", [CloseEvent, LyingClose, LyingEvent, tuple])
def test_a_shared_value_keeps_its_class(payload: bytes, target: type) -> None:
    shared = parse_close_payload(payload)
    assert parse_close_payload(payload) is shared  # the value every parse returns
    with pytest.raises(TypeError, match="immutable"):
        shared.__class__ = target
    with pytest.raises(TypeError, match="immutable"):
        object.__setattr__(shared, "__class__", target)
    again = parse_close_payload(payload)
    assert type(again) is Close
    assert again.__class__ is Close
    # The handshake reports what arrived, not what a forged class says.
    received = ClosingHandshake(Role.SERVER).receive_close(payload)
    assert received.close is shared
    assert type(received.close) is Close


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_no_value_changes_class(value: Any) -> None:
    for target in (Close, CloseEvent, LyingClose, LyingEvent):
        with pytest.raises(TypeError, match=f"{type(value).__name__} values are immutable"):
            value.__class__ = target
    assert value.__class__ is type(value)
    assert isinstance(value, type(value))
    assert not isinstance(value, LyingClose)


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_compares_only_with_its_own_class(value: Any) -> None:
    # operator.* calls the operator itself, in the order written.
    same = copy.copy(value)
    assert operator.eq(same, value)
    assert not operator.ne(same, value)
    assert operator.le(same, value)
    assert operator.ge(same, value)
    assert not operator.lt(same, value)
    assert not operator.gt(same, value)
    plain = tuple(value)
    # Never equal to the plain tuple it is made of, from either side.
    assert operator.ne(value, plain)
    assert operator.ne(plain, value)
    assert not operator.eq(value, plain)
    assert not operator.eq(plain, value)
    other = CloseEvent(*value[:2]) if type(value) is Close else Close(*value[:2])
    assert value != other
    assert other != value


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_ordered_only_against_its_own_class(value: Any) -> None:
    for other in (tuple(value), (0,), Close(1000), CloseEvent(1000)):
        if type(other) is type(value):
            continue
        for compare in (operator.lt, operator.le, operator.gt, operator.ge):
            with pytest.raises(TypeError):
                compare(value, other)
            with pytest.raises(TypeError):
                compare(other, value)
    with pytest.raises(TypeError):
        _ = value < 5


def test_sorting_values_of_one_class() -> None:
    closes = [Close(3000, "b"), Close(1000, "z"), Close(3000, "a")]
    assert sorted(closes) == [Close(1000, "z"), Close(3000, "a"), Close(3000, "b")]
    events = [CloseEvent(1001), CloseEvent(1000, "", True), CloseEvent(1000)]
    assert sorted(events) == [CloseEvent(1000), CloseEvent(1000, "", True), CloseEvent(1001)]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_foreign_objects_answer_for_themselves(value: Any) -> None:
    # NotImplemented, not False: mock.ANY equals everything, from either side.
    assert operator.eq(value, mock.ANY)
    assert operator.eq(mock.ANY, value)
    assert not operator.ne(value, mock.ANY)
    assert not operator.ne(mock.ANY, value)
    assert value != 1000
    assert value != "bye"
    assert value.__eq__(1000) is NotImplemented
    assert value.__lt__(1000) is NotImplemented


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_hash_copy_pickle(value: Any) -> None:
    assert hash(value) == hash(tuple(value))
    assert {value: 1}[copy.copy(value)] == 1
    for clone in (
        copy.copy(value),
        copy.deepcopy(value),
        *(pickle.loads(pickle.dumps(value, protocol)) for protocol in range(2, 6)),
    ):
        assert type(clone) is type(value)
        assert clone == value
        assert type(clone.code) is type(value.code)
