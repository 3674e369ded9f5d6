"""The closing-handshake tracker: scenarios, then every order of events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeframe import (
    Close,
    CloseEvent,
    ClosingHandshake,
    ClosingHandshakeError,
    ConnectionState,
    InvalidMaskKeyError,
    InvalidReasonError,
    Outgoing,
    Received,
    Role,
    UnsendableCodeError,
    decode_close_frame,
    encode_close_frame,
    parse_close_payload,
)

KEY = b"\x01\x02\x03\x04"


def state(hs: ClosingHandshake) -> ConnectionState:
    # A call, so that mypy does not narrow the property between steps.
    return hs.state


def client() -> ClosingHandshake:
    return ClosingHandshake(Role.CLIENT, mask_key=lambda: KEY)


def server() -> ClosingHandshake:
    return ClosingHandshake(Role.SERVER)


def never() -> bytes:
    pytest.fail("a server does not mask, so it never needs a key")


def test_server_closes_first() -> None:
    hs = server()
    assert state(hs) is ConnectionState.OPEN
    assert hs.can_send_data
    out = hs.send_close(1001, "restart")
    assert out.payload == b"\x03\xe9restart"
    assert out.frame == encode_close_frame(1001, "restart")  # servers do not mask
    assert out.close == Close(1001, "restart")
    assert state(hs) is ConnectionState.CLOSING
    assert not hs.can_send_data
    assert not hs.should_close_transport  # waiting for the client's reply
    received = hs.receive_close(b"\x03\xe9")
    assert received.reply is None
    assert received.close == Close(1001)
    assert hs.should_close_transport
    assert hs.discard_incoming
    event = hs.transport_closed()
    assert event == CloseEvent(1001, "", True)
    assert state(hs) is ConnectionState.CLOSED
    assert not hs.should_close_transport
    assert hs.transport_closed() is event


def test_client_echoes_and_waits_for_the_server() -> None:
    hs = client()
    received = hs.receive_close(b"\x0f\xa0bye")
    assert received.reply is not None
    assert received.reply.payload == b"\x0f\xa0bye"
    assert received.reply.frame == encode_close_frame(4000, "bye", mask_key=KEY)
    # §7.1.1: the client waits for the server to close the TCP connection.
    assert not hs.should_close_transport
    assert hs.transport_closed() == CloseEvent(4000, "bye", True)


def test_empty_close_is_echoed_empty() -> None:
    hs = server()
    received = hs.receive_close(b"")
    assert received.close == Close(1005)
    assert received.reply is not None
    assert received.reply.payload == b""
    assert received.reply.frame == b"\x88\x00"
    assert hs.transport_closed() == CloseEvent(1005, "", True)


def test_invalid_close_fails_the_connection() -> None:
    hs = server()
    received = hs.receive_close(b"\x03\xe8\xff")
    assert isinstance(received.error, InvalidReasonError)
    assert received.close is None
    assert received.reply is not None
    assert received.reply.payload == b"\x03\xef"  # 1007
    assert hs.failed
    assert hs.error is received.error
    assert hs.should_close_transport
    assert hs.discard_incoming
    # The application sees 1006, as a browser's page does.
    assert hs.transport_closed() == CloseEvent.abnormal()


def test_invalid_close_after_sending_one() -> None:
    hs = client()
    hs.send_close(1000)
    received = hs.receive_close(b"\x03")
    assert received.reply is None  # only one close frame per connection
    assert received.error is not None
    assert received.error.close_code == 1002
    assert hs.should_close_transport
    assert hs.transport_closed() == CloseEvent.abnormal()


def test_transport_drops_without_a_close() -> None:
    hs = client()
    hs.send_close(1000)
    assert hs.transport_closed() == CloseEvent(1006, "", False)


def test_second_close_is_refused() -> None:
    hs = server()
    hs.send_close(1000)
    with pytest.raises(ClosingHandshakeError, match="already sent"):
        hs.send_close(1001)
    hs2 = server()
    hs2.receive_close(b"\x03\xe8")  # the echo counts as our close
    with pytest.raises(ClosingHandshakeError):
        hs2.send_close(1000)


def test_bad_close_request_leaves_the_state_alone() -> None:
    hs = server()
    with pytest.raises(UnsendableCodeError):
        hs.send_close(1006)
    assert state(hs) is ConnectionState.OPEN
    assert hs.close_sent is None
    assert hs.send_close(1000, "x" * 200, truncate=True).payload == b"\x03\xe8" + b"x" * 123


def test_frames_after_a_close_are_discarded() -> None:
    hs = server()
    hs.receive_close(b"\x03\xe8")
    later = hs.receive_close(b"\x03\xe9other")
    assert later.discarded
    assert later.close is None
    assert later.reply is None
    assert hs.close_received == Close(1000)
    assert hs.receive_close_frame(b"\x88\x00").discarded


def test_nothing_after_the_transport_closed() -> None:
    hs = server()
    hs.transport_closed()
    for step in (
        lambda: hs.send_close(1000),
        lambda: hs.receive_close(b""),
        lambda: hs.receive_close_frame(b"\x88\x00"),
        lambda: hs.fail(1002),
    ):
        with pytest.raises(ClosingHandshakeError, match="transport is closed"):
            step()


def test_receive_whole_frames_checks_the_mask() -> None:
    hs = server()
    received = hs.receive_close_frame(encode_close_frame(1000, "x", mask_key=KEY))
    assert received.close == Close(1000, "x")
    hs2 = server()
    bad = hs2.receive_close_frame(encode_close_frame(1000, "x"))  # unmasked from a client
    assert bad.error is not None
    assert bad.reply is not None
    assert bad.reply.payload == b"\x03\xea"
    hs3 = client()
    assert hs3.receive_close_frame(encode_close_frame(1000)).close == Close(1000)


def test_fail_for_other_reasons() -> None:
    hs = client()
    out = hs.fail(1007, "text message is not UTF-8")
    assert out is not None
    assert decode_close_frame(out.frame, masked=True) == Close(1007, "text message is not UTF-8")
    assert hs.failed
    assert hs.error is None
    assert hs.fail(1002) is None  # a close was already sent
    assert hs.transport_closed() == CloseEvent.abnormal()


def test_role_type() -> None:
    with pytest.raises(TypeError, match="Role"):
        ClosingHandshake("server")  # type: ignore[arg-type]


def test_repr() -> None:
    hs = server()
    hs.send_close(1000)
    assert "server CLOSING" in repr(hs)


def test_default_mask_keys_are_random() -> None:
    hs = ClosingHandshake(Role.CLIENT)
    frame = hs.send_close(1000, "x").frame
    assert frame[1] & 0x80
    assert decode_close_frame(frame, masked=True) == Close(1000, "x")


# ---- every order of events, against a model written from the rules --------

valid_payloads = st.sampled_from(
    [b"", b"\x03\xe8", b"\x03\xe9bye", b"\x0f\xa0" + "€".encode() * 41]
)
invalid_payloads = st.sampled_from(
    [b"\x03", b"\x03\xee", b"\x03\xe8\xff", b"\x03\xe8" + b"a" * 124]
)
event = st.one_of(
    st.tuples(st.just("send"), st.sampled_from([None, 1000, 1001, 4000])),
    st.tuples(st.just("receive"), valid_payloads),
    st.tuples(st.just("receive"), invalid_payloads),
    st.tuples(st.just("fail"), st.sampled_from([1002, 1007, 1011])),
    st.tuples(st.just("transport_closed"), st.none()),
)
events = st.lists(event, max_size=8)


@dataclass
class Model:
    sent: bool = False
    received: Close | None = None
    failed: bool = False
    closed: bool = False
    sent_payloads: list[bytes] = field(default_factory=list)


@given(st.sampled_from(Role), events)
def test_every_order_of_events(  # noqa: PLR0915 - one model, one loop, read top to bottom
    role: Role, steps: list[tuple[str, object]]
) -> None:
    hs = ClosingHandshake(role, mask_key=(lambda: KEY) if role is Role.CLIENT else never)
    model = Model()
    for kind, arg in [*steps, ("transport_closed", None)]:
        if model.closed:
            if kind == "transport_closed":
                continue
            step = {"send": hs.send_close, "receive": hs.receive_close, "fail": hs.fail}[kind]
            with pytest.raises(ClosingHandshakeError):
                step(arg)  # type: ignore[operator]
            continue
        if kind == "send":
            if model.sent:
                with pytest.raises(ClosingHandshakeError):
                    hs.send_close(arg)  # type: ignore[arg-type]
                continue
            out = hs.send_close(arg)  # type: ignore[arg-type]
            model.sent = True
            model.sent_payloads.append(out.payload)
        elif kind == "receive":
            assert isinstance(arg, bytes)
            result = hs.receive_close(arg)
            if model.received is not None or model.failed:
                assert result.discarded
                continue
            try:
                close = parse_close_payload(arg)
            except ValueError:
                model.failed = True
                assert result.error is not None
                expected_reply = None if model.sent else result.error.close_code
                if expected_reply is None:
                    assert result.reply is None
                else:
                    assert result.reply is not None
                    assert result.reply.close == Close(expected_reply)
            else:
                model.received = close
                if model.sent:
                    assert result.reply is None
                else:
                    # The echo: same code and reason; an empty close echoed empty.
                    assert result.reply is not None
                    assert result.reply.payload == arg
            if result.reply is not None:
                model.sent = True
                model.sent_payloads.append(result.reply.payload)
        elif kind == "fail":
            assert isinstance(arg, int)
            out_or_none = hs.fail(arg)
            # After a completed exchange there is nothing left to fail.
            if not (model.sent and model.received is not None):
                model.failed = True
            assert (out_or_none is None) is model.sent
            if out_or_none is not None:
                model.sent = True
                model.sent_payloads.append(out_or_none.payload)
        else:
            event = hs.transport_closed()
            model.closed = True
            if model.received is None or model.failed:
                assert event == CloseEvent(1006, "", False)
            else:
                assert event.code == model.received.code
                assert event.reason == model.received.reason
                assert event.was_clean is model.sent
            assert state(hs) is ConnectionState.CLOSED
            continue
        # Invariants after every step of an open transport.
        assert state(hs) is (
            ConnectionState.CLOSING
            if model.sent or model.received or model.failed
            else ConnectionState.OPEN
        )
        assert hs.discard_incoming is (model.received is not None or model.failed)
        assert hs.should_close_transport is (
            model.failed or (role is Role.SERVER and model.sent and model.received is not None)
        )
    # At most one close went out, and it never carried a protocol-only code.
    assert len(model.sent_payloads) <= 1
    for payload in model.sent_payloads:
        assert payload[:2] not in (b"\x03\xed", b"\x03\xee", b"\x03\xf7")


def test_the_first_failure_is_the_one_remembered() -> None:
    hs = server()
    first = hs.receive_close(b"\x03")
    assert first.error is not None
    assert hs.fail(1011) is None  # a close already went out
    assert hs.error is first.error


# ---- the masking key: checked before anything is recorded ------------------


class NoEntropyError(Exception):
    pass


class KeySource:
    """A mask_key callable that a test can break, then mend."""

    def __init__(self) -> None:
        self.key: object = KEY
        self.calls = 0

    def __call__(self) -> bytes:
        self.calls += 1
        if isinstance(self.key, BaseException):
            raise self.key
        return self.key  # type: ignore[return-value]  # bad keys are the point


# What mask_key() returns (or raises), and the error the handshake raises.
BAD_KEYS: dict[str, tuple[object, type[BaseException]]] = {
    "None": (None, TypeError),  # encode_close_frame would send an unmasked frame
    "3 bytes": (b"\x01\x02\x03", InvalidMaskKeyError),
    "5 bytes": (b"\x01\x02\x03\x04\x05", InvalidMaskKeyError),
    "str": ("abcd", TypeError),
    "raises": (NoEntropyError("no entropy"), NoEntropyError),
}


def snapshot(hs: ClosingHandshake) -> dict[str, object]:
    """Every public attribute and property, and the repr.

    Errors as (type, args), so that two handshakes that saw the same bytes
    compare equal.
    """
    values = {
        name: getattr(hs, name)
        for name in dir(hs)
        if not name.startswith("_") and not callable(getattr(hs, name))
    }
    values["repr"] = repr(hs)
    return {
        name: (type(value), value.args) if isinstance(value, BaseException) else value
        for name, value in values.items()
    }


# For a fresh client, every path that sends: the call and the close it sends.
REPLY_DUE: dict[str, tuple[Callable[[ClosingHandshake], Outgoing | None], Close]] = {
    "send_close": (lambda hs: hs.send_close(1001, "bye"), Close(1001, "bye")),
    "receive_close echo": (lambda hs: hs.receive_close(b"\x03\xe8bye").reply, Close(1000, "bye")),
    "receive_close invalid": (lambda hs: hs.receive_close(b"\x03").reply, Close(1002)),
    "receive_close_frame echo": (
        lambda hs: hs.receive_close_frame(encode_close_frame(4000)).reply,
        Close(4000),
    ),
    "receive_close_frame invalid": (
        # Masked, from a server: a protocol error.
        lambda hs: hs.receive_close_frame(encode_close_frame(4000, mask_key=KEY)).reply,
        Close(1002),
    ),
    "fail": (lambda hs: hs.fail(1007, "not UTF-8"), Close(1007, "not UTF-8")),
}


@pytest.mark.parametrize(("step", "expected"), REPLY_DUE.values(), ids=REPLY_DUE.keys())
@pytest.mark.parametrize(("bad_key", "error"), BAD_KEYS.values(), ids=BAD_KEYS.keys())
def test_a_bad_key_changes_nothing_and_a_retry_works(
    step: Callable[[ClosingHandshake], Outgoing | None],
    expected: Close,
    bad_key: object,
    error: type[BaseException],
) -> None:
    keys = KeySource()
    hs = ClosingHandshake(Role.CLIENT, mask_key=keys)
    keys.key = bad_key
    before = snapshot(hs)
    with pytest.raises(error) as raised:
        step(hs)
    if isinstance(bad_key, BaseException):
        assert raised.value is bad_key
    assert snapshot(hs) == before
    keys.key = KEY
    out = step(hs)
    assert out is not None
    assert out.frame[2:6] == KEY
    assert decode_close_frame(out.frame, masked=True) == expected
    reference = client()
    step(reference)
    assert snapshot(hs) == snapshot(reference)


def test_bad_key_messages() -> None:
    hs = ClosingHandshake(Role.CLIENT, mask_key=lambda: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="must return 4 bytes, not NoneType"):
        hs.send_close(1000)
    hs = ClosingHandshake(Role.CLIENT, mask_key=lambda: b"abc")
    with pytest.raises(InvalidMaskKeyError, match="4 bytes, got 3"):
        hs.send_close(1000)


def test_a_bytearray_key_is_a_key() -> None:
    hs = ClosingHandshake(Role.CLIENT, mask_key=lambda: bytearray(KEY))
    assert hs.send_close(1000).frame == encode_close_frame(1000, mask_key=KEY)


@pytest.mark.parametrize("role", Role)
@pytest.mark.parametrize("mask_key", [KEY, bytearray(KEY), None, 1234], ids=repr)
def test_mask_key_must_be_callable(role: Role, mask_key: object) -> None:
    with pytest.raises(TypeError, match=r"callable returning 4 bytes.*lambda: key"):
        ClosingHandshake(role, mask_key=mask_key)  # type: ignore[arg-type]


@pytest.mark.parametrize("step", [step for step, _ in REPLY_DUE.values()], ids=REPLY_DUE.keys())
def test_a_server_never_asks_for_a_key(
    step: Callable[[ClosingHandshake], Outgoing | None],
) -> None:
    out = step(ClosingHandshake(Role.SERVER, mask_key=never))
    assert out is not None
    assert not out.frame[1] & 0x80


def take(hs: ClosingHandshake, kind: str, arg: object) -> object:
    """Do one step; what it returned, or the type of the error it raised, comparable."""
    steps: dict[str, Callable[[], object]] = {
        "send": lambda: hs.send_close(arg),  # type: ignore[arg-type]
        "receive": lambda: hs.receive_close(arg),  # type: ignore[arg-type]
        "receive_frame": lambda: hs.receive_close_frame(arg),  # type: ignore[arg-type]
        "fail": lambda: hs.fail(arg),  # type: ignore[arg-type]
        "transport_closed": hs.transport_closed,
    }
    try:
        result = steps[kind]()
    except ClosingHandshakeError:
        return ClosingHandshakeError
    if isinstance(result, Received) and result.error is not None:
        return (result.close, result.reply, type(result.error), result.error.args)
    return result


# Whole frames too; a client expects them unmasked, so the masked one fails.
event_or_frame = st.one_of(
    event,
    st.tuples(
        st.just("receive_frame"),
        st.sampled_from([encode_close_frame(1000, "x"), encode_close_frame(1000, mask_key=KEY)]),
    ),
)


@given(
    st.lists(event_or_frame, max_size=6), event_or_frame, st.sampled_from(list(BAD_KEYS.values()))
)
def test_a_bad_key_at_any_point_changes_nothing(
    prefix: list[tuple[str, object]],
    last: tuple[str, object],
    bad: tuple[object, type[BaseException]],
) -> None:
    keys = KeySource()
    hs = ClosingHandshake(Role.CLIENT, mask_key=keys)
    reference = client()
    for kind, arg in prefix:
        assert take(hs, kind, arg) == take(reference, kind, arg)
    before = snapshot(hs)
    keys.key, error = bad
    keys.calls = 0
    try:
        outcome = take(hs, *last)
    except error:
        assert keys.calls == 1
        assert snapshot(hs) == before
        keys.key = KEY
        outcome = take(hs, *last)
    else:
        assert keys.calls == 0  # a bad key that was asked for must raise
    # Retried or untouched, it ends where a handshake with good keys does.
    assert outcome == take(reference, *last)
    assert snapshot(hs) == snapshot(reference)


def test_fail_after_a_completed_exchange_changes_nothing() -> None:
    # Both closes went over the wire: the exchange was clean, whatever the
    # stack then finds wrong; fail() has nothing left to send or to undo.
    client = ClosingHandshake(Role.CLIENT, mask_key=lambda: b"abcd")
    client.send_close(1000, "bye")
    client.receive_close_frame(encode_close_frame(1000, "bye"))
    assert client.fail(1002) is None
    assert not client.failed
    assert client.transport_closed() == CloseEvent(1000, "bye", True)
