"""Byte-level interoperability with the real wsproto and websockets packages.

No mocks: every connection below completes a real opening handshake
between two peers of the library under test, then exchanges close frames
with closeframe.  The peers' quirks that matter to a stack are pinned by
tests of their own, so an upgrade that changes them shows up here.
"""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys
from types import ModuleType
from typing import cast

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Opcode
from websockets.http11 import Request as WsRequest
from websockets.http11 import Response as WsResponse
from websockets.protocol import SEND_EOF, Protocol
from websockets.protocol import State as WsState
from websockets.server import ServerProtocol
from websockets.uri import parse_uri
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState as WsprotoState
from wsproto.events import AcceptConnection, CloseConnection, Event, Request
from wsproto.frame_protocol import CloseReason

import closeframe
import closeframe.wsproto_compat as compat
from closeframe import (
    Close,
    CloseCode,
    CloseEvent,
    ClosingHandshake,
    ConnectionState,
    Role,
    UnsendableCodeError,
    decode_close_frame,
    encode_close_frame,
)

MASK_KEY = b"\x37\xfa\x21\x3d"
LONG_REASON = "€" * 41  # 123 UTF-8 bytes: the longest reason a close frame holds
assert len(LONG_REASON.encode()) == closeframe.MAX_REASON_BYTES

# (code, reason): code None is a close frame without a status code.
CLOSES: list[tuple[int | None, str]] = [
    (code, reason)
    for code in (1000, 1001, 1011, 3000, 4999)
    for reason in ("", "bye", LONG_REASON)
] + [(None, "")]
CLOSE_IDS = [f"{code}-{len(reason.encode())}B" for code, reason in CLOSES]

# Who sends the frame: a client masks it (RFC 6455 §5.3), a server does not.
SENDERS = ["client", "server"]


def expected_close(code: int | None, reason: str) -> Close:
    """What every receiver reports: an empty close frame is 1005 (§7.1.5)."""
    return Close(CloseCode.NO_STATUS_RCVD if code is None else code, reason)


# -- wsproto ------------------------------------------------------------------


def wsproto_pair() -> tuple[WSConnection, WSConnection]:
    """A wsproto client and server after wsproto's own opening handshake."""
    client = WSConnection(ConnectionType.CLIENT)
    server = WSConnection(ConnectionType.SERVER)
    server.receive_data(client.send(Request(host="example.com", target="/chat")))
    assert [type(event) for event in server.events()] == [Request]
    client.receive_data(server.send(AcceptConnection()))
    assert [type(event) for event in client.events()] == [AcceptConnection]
    assert client.state is WsprotoState.OPEN
    assert server.state is WsprotoState.OPEN
    return client, server


def wsproto_state(conn: WSConnection) -> WsprotoState:
    """The state, read afresh (mypy would keep an earlier narrowing)."""
    return conn.state


def our_state(tracker: ClosingHandshake) -> ConnectionState:
    """The state, read afresh (mypy would keep an earlier narrowing)."""
    return tracker.state


def wsproto_events(conn: WSConnection) -> list[CloseConnection]:
    events: list[Event] = list(conn.events())
    assert all(isinstance(event, CloseConnection) for event in events), events
    return cast(list[CloseConnection], events)


def wsproto_close(code: int | None, reason: str) -> CloseConnection:
    """How a wsproto user asks for a close, without closeframe's help.

    wsproto sends an empty frame only for its own NO_STATUS_RCVD member.
    """
    return CloseConnection(
        code=CloseReason.NO_STATUS_RCVD if code is None else code, reason=reason
    )


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize(("code", "reason"), CLOSES, ids=CLOSE_IDS)
def test_wsproto_receives_our_frame(sender: str, code: int | None, reason: str) -> None:
    client, server = wsproto_pair()
    if sender == "client":
        frame = encode_close_frame(code, reason, mask_key=MASK_KEY)
        receiver = server
    else:
        frame = encode_close_frame(code, reason)
        receiver = client
    receiver.receive_data(frame)
    [event] = wsproto_events(receiver)
    expected = expected_close(code, reason)
    assert (event.code, event.reason) == (expected.code, expected.reason)
    assert receiver.state is WsprotoState.REMOTE_CLOSING
    assert compat.close_from_wsproto(event) == expected


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize(("code", "reason"), CLOSES, ids=CLOSE_IDS)
def test_wsproto_frame_decodes(sender: str, code: int | None, reason: str) -> None:
    client, server = wsproto_pair()
    conn = client if sender == "client" else server
    data = conn.send(wsproto_close(code, reason))
    close = decode_close_frame(data, masked=sender == "client")
    assert close == expected_close(code, reason)
    assert type(close.code) is CloseCode or close.code >= 3000
    if sender == "server":
        # Unmasked, so deterministic: wsproto's bytes are exactly ours.
        assert data == encode_close_frame(code, reason)
    else:
        assert data[1] & 0x80  # the mask bit, then a 4-byte masking key
        assert len(data) == len(encode_close_frame(code, reason)) + 4


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize(("code", "reason"), CLOSES, ids=CLOSE_IDS)
def test_to_wsproto_sends_the_same_bytes(sender: str, code: int | None, reason: str) -> None:
    client, server = wsproto_pair()
    conn = client if sender == "client" else server
    close = expected_close(code, reason)
    data = conn.send(compat.to_wsproto(close))
    assert decode_close_frame(data, masked=sender == "client") == close
    if sender == "server":
        assert data == encode_close_frame(close)


# What wsproto 1.3 does that a stack talking to it should know.


@pytest.mark.parametrize("sender", SENDERS)
def test_wsproto_rejects_1014(sender: str) -> None:
    """1014 (Bad Gateway) is registered, but wsproto's CloseReason lacks it.

    wsproto treats it as an unknown code in 1000-2999 and fails the
    connection: it yields a made-up CloseConnection(1002) and stays OPEN.
    """
    client, server = wsproto_pair()
    frame = encode_close_frame(CloseCode.BAD_GATEWAY, "upstream")
    if sender == "client":
        frame = encode_close_frame(CloseCode.BAD_GATEWAY, "upstream", mask_key=MASK_KEY)
    receiver = server if sender == "client" else client
    receiver.receive_data(frame)
    [event] = wsproto_events(receiver)
    assert event.code == CloseCode.PROTOCOL_ERROR
    assert event.reason == "CLOSE with unknown reserved code"
    assert receiver.state is WsprotoState.OPEN
    # closeframe's own parser accepts the same bytes.
    assert decode_close_frame(frame).code is CloseCode.BAD_GATEWAY


@pytest.mark.parametrize(
    "code",
    [1005, CloseCode.NO_STATUS_RCVD, 1006, CloseReason.ABNORMAL_CLOSURE, 1015],
    ids=["int-1005", "closeframe-1005", "int-1006", "wsproto-1006", "int-1015"],
)
def test_wsproto_sends_protocol_only_codes_as_1000(code: int) -> None:
    """wsproto rewrites 1005/1006/1015 to 1000 instead of refusing them.

    Only its own ``CloseReason.NO_STATUS_RCVD`` member (an identity check)
    gives an empty frame: a plain 1005, or closeframe's member, becomes 1000.
    ``to_wsproto`` sends wsproto's member, and refuses 1006 and 1015.
    """
    _, server = wsproto_pair()
    data = server.send(CloseConnection(code=code))
    assert decode_close_frame(data, masked=False) == Close(1000)
    _, server = wsproto_pair()
    assert server.send(CloseConnection(code=CloseReason.NO_STATUS_RCVD)) == b"\x88\x00"


def test_wsproto_truncates_long_reasons() -> None:
    """A reason over 123 bytes is cut at a code point, not refused."""
    _, server = wsproto_pair()
    data = server.send(CloseConnection(code=1000, reason=LONG_REASON + "€"))
    assert decode_close_frame(data) == Close(1000, LONG_REASON)
    assert data == encode_close_frame(1000, LONG_REASON + "€", truncate=True)


@pytest.mark.parametrize("sender", SENDERS)
def test_wsproto_fails_a_wrongly_masked_frame(sender: str) -> None:
    client, server = wsproto_pair()
    if sender == "client":  # a client that forgot to mask
        receiver, frame = server, encode_close_frame(1000)
    else:  # a server that masked
        receiver, frame = client, encode_close_frame(1000, mask_key=MASK_KEY)
    receiver.receive_data(frame)
    [event] = wsproto_events(receiver)
    assert event.code == CloseCode.PROTOCOL_ERROR
    assert "mask" in (event.reason or "")
    assert receiver.state is WsprotoState.OPEN


def test_wsproto_reports_eof_after_a_clean_close_as_1006() -> None:
    """After a completed handshake, EOF still yields CloseConnection(1006).

    A stack must not let that overwrite the clean close it already saw.
    """
    client, _ = wsproto_pair()
    client.receive_data(encode_close_frame(1000, "bye"))
    [event] = wsproto_events(client)
    client.send(event.response())
    assert client.state is WsprotoState.CLOSED
    client.receive_data(None)
    [eof] = wsproto_events(client)
    assert (eof.code, eof.reason) == (CloseCode.ABNORMAL_CLOSURE, None)
    assert compat.close_event_from_wsproto(eof, was_clean=False) == CloseEvent.abnormal()


# -- websockets (sans-IO) -----------------------------------------------------


def websockets_pair() -> tuple[ClientProtocol, ServerProtocol]:
    """A websockets client and server after their real opening handshake."""
    client = ClientProtocol(parse_uri("ws://example.com/chat"))
    server = ServerProtocol()
    client.send_request(client.connect())
    server.receive_data(b"".join(client.data_to_send()))
    [request] = server.events_received()
    assert isinstance(request, WsRequest)
    server.send_response(server.accept(request))
    client.receive_data(b"".join(server.data_to_send()))
    [response] = client.events_received()
    assert isinstance(response, WsResponse)
    assert client.state is WsState.OPEN
    assert server.state is WsState.OPEN
    return client, server


def websockets_close_rcvd(protocol: Protocol) -> Close:
    [frame] = protocol.events_received()
    assert frame.opcode is Opcode.CLOSE  # type: ignore[union-attr]
    assert protocol.close_rcvd is not None
    return Close(protocol.close_rcvd.code, protocol.close_rcvd.reason)


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize(
    ("code", "reason"), [*CLOSES, (1014, "upstream")], ids=[*CLOSE_IDS, "1014-8B"]
)
def test_websockets_receives_our_frame(sender: str, code: int | None, reason: str) -> None:
    client, server = websockets_pair()
    receiver: Protocol
    if sender == "client":
        receiver = server
        receiver.receive_data(encode_close_frame(code, reason, mask_key=MASK_KEY))
    else:
        receiver = client
        receiver.receive_data(encode_close_frame(code, reason))
    expected = expected_close(code, reason)
    assert websockets_close_rcvd(receiver) == expected
    assert receiver.parser_exc is None
    assert receiver.state is WsState.CLOSING
    # websockets echoes the payload it received, byte for byte.
    [echo, *eof] = receiver.data_to_send()
    assert decode_close_frame(echo, masked=receiver is client) == expected
    assert eof == ([SEND_EOF] if receiver is server else [])


@pytest.mark.parametrize("sender", SENDERS)
@pytest.mark.parametrize(
    ("code", "reason"), [*CLOSES, (1014, "upstream")], ids=[*CLOSE_IDS, "1014-8B"]
)
def test_websockets_frame_decodes(sender: str, code: int | None, reason: str) -> None:
    client, server = websockets_pair()
    conn: Protocol = client if sender == "client" else server
    if code is None:
        conn.send_close()
    else:
        conn.send_close(code, reason)
    [data] = conn.data_to_send()
    assert decode_close_frame(data, masked=sender == "client") == expected_close(code, reason)
    if sender == "server":
        assert data == encode_close_frame(code, reason)


def test_websockets_refuses_to_send_1005() -> None:
    """websockets sends an empty frame for ``send_close()``, never for 1005."""
    _, server = websockets_pair()
    with pytest.raises(Exception, match="invalid status code"):
        server.send_close(1005)
    assert server.data_to_send() == []


# -- closing handshakes: ClosingHandshake against wsproto --------------------

HANDSHAKES: list[tuple[int | None, str]] = [
    (1000, "bye"),
    (None, ""),
    (4000, "app"),
    (1000, LONG_REASON),
]
HANDSHAKE_IDS = ["normal", "empty", "4xxx", "reason-123B"]


@pytest.mark.parametrize("initiator", ["us", "peer"])
@pytest.mark.parametrize("role", [Role.CLIENT, Role.SERVER], ids=["we-client", "we-server"])
@pytest.mark.parametrize(("code", "reason"), HANDSHAKES, ids=HANDSHAKE_IDS)
def test_closing_handshake_with_wsproto(
    role: Role, initiator: str, code: int | None, reason: str
) -> None:
    wsproto_client, wsproto_server = wsproto_pair()
    # Our tracker stands in for one end; the other end is the wsproto peer.
    peer = wsproto_client if role is Role.SERVER else wsproto_server
    ours = ClosingHandshake(role)
    expected = expected_close(code, reason)

    if initiator == "us":
        outgoing = ours.send_close(code, reason)
        assert ours.state is ConnectionState.CLOSING
        peer.receive_data(outgoing.frame)
        [event] = wsproto_events(peer)
        assert peer.state is WsprotoState.REMOTE_CLOSING
        received = ours.receive_close_frame(peer.send(event.response()))
        assert received.reply is None
    else:
        received = ours.receive_close_frame(peer.send(wsproto_close(code, reason)))
        assert peer.state is WsprotoState.LOCAL_CLOSING
        assert received.reply is not None
        assert received.reply.close == expected
        peer.receive_data(received.reply.frame)
        [event] = wsproto_events(peer)

    assert received.error is None
    assert received.close == expected
    assert ours.close_sent == expected
    assert (event.code, event.reason) == (expected.code, expected.reason)
    assert wsproto_state(peer) is WsprotoState.CLOSED
    assert ours.state is ConnectionState.CLOSING
    assert ours.should_close_transport is (role is Role.SERVER)

    final = ours.transport_closed()
    assert final == CloseEvent(expected.code, expected.reason, True)
    assert final.was_clean
    assert our_state(ours) is ConnectionState.CLOSED
    # Both applications see the same event.
    assert compat.close_event_from_wsproto(event, was_clean=True) == final


@pytest.mark.parametrize("initiator", ["us", "peer"])
@pytest.mark.parametrize("role", [Role.CLIENT, Role.SERVER], ids=["we-client", "we-server"])
@pytest.mark.parametrize(("code", "reason"), HANDSHAKES, ids=HANDSHAKE_IDS)
def test_closing_handshake_with_websockets(
    role: Role, initiator: str, code: int | None, reason: str
) -> None:
    ws_client, ws_server = websockets_pair()
    peer: Protocol = ws_client if role is Role.SERVER else ws_server
    ours = ClosingHandshake(role)
    expected = expected_close(code, reason)

    if initiator == "us":
        peer.receive_data(ours.send_close(code, reason).frame)
        [echo, *writes] = peer.data_to_send()
        received = ours.receive_close_frame(echo)
        assert received.reply is None
    else:
        if code is None:
            peer.send_close()
        else:
            peer.send_close(code, reason)
        [frame] = peer.data_to_send()
        received = ours.receive_close_frame(frame)
        assert received.reply is not None
        peer.receive_data(received.reply.frame)
        writes = peer.data_to_send()
    assert websockets_close_rcvd(peer) == expected
    assert received.close == expected
    assert peer.close_sent is not None
    assert Close(peer.close_sent.code, peer.close_sent.reason) == expected

    # The server closes TCP first (§7.1.1): EOF reaches the other side.
    if role is Role.SERVER:
        assert ours.should_close_transport
        assert writes == []
        peer.receive_eof()
        assert peer.data_to_send() == [SEND_EOF]  # the client half-closes in turn
    else:
        assert not ours.should_close_transport
        assert writes == [SEND_EOF]
        peer.receive_eof()  # the server's EOF arrived: our client closes TCP
    assert peer.state is WsState.CLOSED
    assert (peer.close_code, peer.close_reason) == (expected.code, expected.reason)
    assert ours.transport_closed() == CloseEvent(expected.code, expected.reason, True)


# -- closeframe.wsproto_compat ------------------------------------------------


@pytest.mark.parametrize(
    ("event", "close"),
    [
        (CloseConnection(code=1000, reason="bye"), Close(1000, "bye")),
        (CloseConnection(code=CloseReason.NORMAL_CLOSURE), Close(1000)),
        (CloseConnection(code=CloseReason.NO_STATUS_RCVD, reason=""), Close(1005)),
        (CloseConnection(code=1005, reason=None), Close(1005)),
        (CloseConnection(code=1014, reason="gw"), Close(1014, "gw")),
        (CloseConnection(code=4999, reason=LONG_REASON), Close(4999, LONG_REASON)),
    ],
)
def test_close_from_wsproto(event: CloseConnection, close: Close) -> None:
    result = compat.close_from_wsproto(event)
    assert result == close
    assert type(result.code) is (CloseCode if result.code < 3000 else int)


def test_close_from_wsproto_refuses_the_made_up_1006() -> None:
    with pytest.raises(ValueError, match="no close frame"):
        compat.close_from_wsproto(CloseConnection(code=CloseReason.ABNORMAL_CLOSURE))


@pytest.mark.parametrize("was_clean", [True, False])
@pytest.mark.parametrize(
    ("event", "code", "reason"),
    [
        (CloseConnection(code=CloseReason.NORMAL_CLOSURE, reason="bye"), 1000, "bye"),
        (CloseConnection(code=CloseReason.NO_STATUS_RCVD, reason=""), 1005, ""),
        (CloseConnection(code=1005), 1005, ""),
        (CloseConnection(code=1014), 1014, ""),
        (CloseConnection(code=4000, reason="app"), 4000, "app"),
    ],
)
def test_close_event_from_wsproto(
    event: CloseConnection, code: int, reason: str, was_clean: bool
) -> None:
    result = compat.close_event_from_wsproto(event, was_clean=was_clean)
    assert result == CloseEvent(code, reason, was_clean)
    assert type(result.code) is (CloseCode if code < 3000 else int)
    assert type(result.reason) is str


def test_close_event_from_wsproto_1006() -> None:
    event = CloseConnection(code=CloseReason.ABNORMAL_CLOSURE)
    assert compat.close_event_from_wsproto(event, was_clean=False) == CloseEvent.abnormal()
    with pytest.raises(ValueError, match="cannot be clean"):
        compat.close_event_from_wsproto(event, was_clean=True)


@pytest.mark.parametrize(
    ("close", "code", "reason"),
    [
        (Close(1000, "bye"), CloseReason.NORMAL_CLOSURE, "bye"),
        (Close(1005), CloseReason.NO_STATUS_RCVD, ""),
        (Close(1014, "gw"), 1014, "gw"),
        (Close(3000), 3000, ""),
    ],
)
def test_to_wsproto(close: Close, code: int, reason: str) -> None:
    event = compat.to_wsproto(close)
    assert (event.code, event.reason) == (code, reason)
    # wsproto's own member where it has one: its identity checks rely on it.
    if isinstance(code, CloseReason):
        assert event.code is code
    else:
        assert type(event.code) is int
    assert compat.close_from_wsproto(event) == close


@pytest.mark.parametrize("code", [1004, 1006, 1015, 2000, 999])
def test_to_wsproto_refuses_what_wsproto_would_rewrite(code: int) -> None:
    with pytest.raises(UnsendableCodeError):
        compat.to_wsproto(Close(code))


def test_to_wsproto_wants_a_close() -> None:
    with pytest.raises(TypeError, match="expected a Close, not tuple"):
        compat.to_wsproto((1000, "bye"))  # type: ignore[arg-type]


def test_compat_docstring_examples() -> None:
    result = doctest.testmod(compat, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted >= 5


def test_compat_all() -> None:
    assert sorted(compat.__all__) == [
        "close_event_from_wsproto",
        "close_from_wsproto",
        "to_wsproto",
    ]
    assert set(compat.__all__).isdisjoint(closeframe.__all__)


def test_closeframe_never_imports_wsproto() -> None:
    code = "import sys, closeframe, closeframe.cli; print(sorted(m for m in sys.modules if m.startswith(('wsproto', 'websockets'))))"  # noqa: E501
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_missing_wsproto_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    modules = cast(dict[str, ModuleType | None], sys.modules)
    # As if wsproto were not installed: its submodules unloaded, itself unimportable.
    for name in [name for name in sys.modules if name.startswith("wsproto.")]:
        monkeypatch.delitem(modules, name)
    monkeypatch.setitem(modules, "wsproto", None)
    monkeypatch.delitem(modules, "closeframe.wsproto_compat")
    with pytest.raises(ImportError, match=r"closeframe\[wsproto\]") as info:
        importlib.import_module("closeframe.wsproto_compat")
    assert (info.value.name or "").split(".")[0] == "wsproto"
    assert "closeframe.wsproto_compat" not in sys.modules
    monkeypatch.undo()
    assert sys.modules["closeframe.wsproto_compat"] is compat
    assert sys.modules["wsproto"] is not None
