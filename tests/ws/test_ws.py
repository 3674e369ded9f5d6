"""Node's ``ws`` (tests/ws/package.json) as a live peer of closeframe, over loopback.

Both pairings: a ``ws`` server with a closeframe client, and a ``ws``
client with a closeframe server (examples/echo.py's connection: wsproto
opens it, closeframe's :class:`ClosingHandshake` handles every close frame).
In each: our side closes first, ``ws`` closes first, both at once, either
drops TCP without a close frame, and either sends an invalid close frame
(written raw, as closeframe refuses to build one).  Each test checks what
both sides report: ``ws``'s ``close`` event (code and reason) and error
code, and our :class:`CloseEvent`, the close frames on the wire, and which
side closed TCP first.

``tox -e ws`` runs these after ``npm ci`` in tests/ws; without ``node`` or
the installed ``ws`` they fail, never skip.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request

import closeframe
from closeframe import CloseEvent, CloseFrameError, Role, parse_close_payload, read_close_frame
from closeframe.cli import main
from closeframe.probe.scenarios import SCENARIOS
from loading import load_file

HERE = Path(__file__).resolve().parent
PEER = HERE / "ws_peer.mjs"
TIMEOUT = 10.0


def _load_echo() -> ModuleType:
    return load_file("closeframe_example_echo", HERE.parents[1] / "examples" / "echo.py")


echo = _load_echo()


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not on PATH: these tests need Node.js 20 or newer")
    if not (HERE / "node_modules" / "ws" / "package.json").exists():
        pytest.fail(f"ws is not installed: run `npm ci` in {HERE} (tox -e ws does)")
    return found


# What the tests send and what they expect.

#: Valid closes: (code, reason), or None for an empty payload (no status).
VALID = [
    None,
    (1000, ""),
    (1000, "bye"),
    (1001, "going away"),
    (1011, "internal error"),
    (1014, "bad gateway"),
    (3000, "é€😀"),
    (4999, "x" * 123),
    (4000, "€" * 41),  # 2 + 123 bytes: the longest payload
]

#: Invalid payloads, each as the bytes after the code-free header.
INVALID = {
    "one byte": b"\x03",
    "code 0": b"\x00\x00",
    "code 999": b"\x03\xe7",
    "code 1004": b"\x03\xec",
    "code 1005 on the wire": b"\x03\xed",
    "code 1006 on the wire": b"\x03\xee",
    "code 1015 on the wire": b"\x03\xf7",
    "code 1016": b"\x03\xf8",
    "code 2999": b"\x0b\xb7",
    "code 5000": b"\x13\x88",
    "code 65535": b"\xff\xff",
    "0xFF in the reason": b"\x03\xe8\xff",
    "overlong '/'": b"\x03\xe8\xc0\xaf",
    "surrogate U+D800": b"\x03\xe8\xed\xa0\x80",
    "truncated euro sign": b"\x03\xe8ok\xe2\x82",
    "past U+10FFFF, in a long reason": b"\x03\xe8" + b"a" * 40 + b"\xf4\x90\x80\x80",
    "forbidden code and bad UTF-8": b"\x03\xed\xff",
    "126 bytes": b"\x03\xe8" + b"a" * 124,
}


def payload_of(close: tuple[int, str] | None) -> bytes:
    return b"" if close is None else close[0].to_bytes(2, "big") + close[1].encode()


def ws_view(close: tuple[int, str] | None) -> tuple[int, str]:
    """What ws's close event reports for a close frame carrying *close*."""
    return (1005, "") if close is None else close


def failing_code(payload: bytes) -> int:
    """The code closeframe fails the connection with for this payload."""
    with pytest.raises(CloseFrameError) as failure:
        parse_close_payload(payload)
    return failure.value.close_code


def ws_error(payload: bytes) -> str:
    """ws's error code for an invalid close payload (its receiver's three checks)."""
    if len(payload) == 1 or len(payload) > 125:
        return "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH"
    code = int.from_bytes(payload[:2], "big")
    if not (1000 <= code <= 1014 and code not in (1004, 1005, 1006)) and not (
        3000 <= code <= 4999
    ):
        return "WS_ERR_INVALID_CLOSE_CODE"
    return "WS_ERR_INVALID_UTF8"


def frame(payload: bytes, *, masked: bool) -> bytes:
    """A close frame around any payload (the length as 126 + 16 bits past 125)."""
    length = len(payload)
    size = bytes((length,)) if length < 126 else b"\x7e" + length.to_bytes(2, "big")
    if not masked:
        return b"\x88" + size + payload
    key = os.urandom(4)
    head = bytes((0x88, size[0] | 0x80)) + size[1:]
    masked_payload: bytes = echo.mask(payload, key)
    return head + key + masked_payload


def close_codes(frames: list[bytes]) -> list[tuple[int, str] | str | None]:
    """The (code, reason) of each close frame, None for an empty one, hex for an invalid one."""
    closes: list[tuple[int, str] | str | None] = []
    for data in frames:
        try:
            close, _ = read_close_frame(data)
        except CloseFrameError:
            closes.append(data.hex())
            continue
        assert close is not None
        closes.append(None if not data[1] & 0x7F else (int(close.code), close.reason))
    return closes


@dataclass
class Ours:
    """What our side saw of one connection."""

    event: CloseEvent
    frames: list[tuple[int, str] | str | None]
    peer_closed_first: bool | None
    error_code: int | None


def ours(connection: Any, event: CloseEvent) -> Ours:
    error = connection.handshake.error
    return Ours(
        event,
        close_codes(connection.close_frames),
        connection.peer_closed_first,
        None if error is None else error.close_code,
    )


def theirs(report: dict[str, Any]) -> tuple[int, str]:
    return report["code"], bytes.fromhex(report["reason"]).decode()


# Our two roles' own steps.


async def raw_exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes, *, masked: bool
) -> tuple[int, str] | None:
    """Send an invalid close frame, read the peer's close, then close TCP.

    closeframe did not build the frame, so no handshake is told of it; this
    reads the answer as a failing stack would, and returns its (code,
    reason) (None for an empty payload).
    """
    writer.write(data)
    buffer = bytearray()
    while True:
        if len(buffer) >= 2 and buffer[0] & 0x0F == 0x8:
            close, size = read_close_frame(buffer, masked=masked)
            if close is not None:
                break
        elif len(buffer) >= 2:
            raise AssertionError(f"expected a close frame, got {bytes(buffer[:2]).hex()}")
        chunk = await asyncio.wait_for(reader.read(4096), TIMEOUT)
        assert chunk, "the peer closed TCP without a close frame"
        buffer += chunk
    writer.write_eof()
    while await asyncio.wait_for(reader.read(4096), TIMEOUT):
        pass
    writer.close()
    return None if size in (2, 6) else (int(close.code), close.reason)


def start_close(connection: Any, close: tuple[int, str] | None) -> None:
    """Our side closes first, through its closing handshake."""
    outgoing = connection.handshake.send_close(*(close or ()))
    connection.writer.write(outgoing.frame)


# Pairing 1: a ws server, a closeframe client.


class WsServer:
    """``node ws_peer.mjs server``: its port, and its reports by connection id."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [node(), str(PEER), "server"], stdout=subprocess.PIPE, text=True, cwd=HERE
        )
        assert self.process.stdout is not None
        self.port = json.loads(self.process.stdout.readline())["port"]
        self.reports: queue.Queue[dict[str, Any]] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.reports.put(json.loads(line))

    def report(self, connection_id: str) -> dict[str, Any]:
        report = self.reports.get(timeout=TIMEOUT)
        assert report["id"] == connection_id
        return report


@pytest.fixture(scope="module")
def ws_server() -> Iterator[WsServer]:
    server = WsServer()
    yield server
    server.process.terminate()
    server.process.wait(TIMEOUT)
    server.reader.join(TIMEOUT)
    assert server.process.stdout is not None
    server.process.stdout.close()


async def open_client(
    port: int, connection_id: str, act: dict[str, Any]
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Our client's opening handshake (wsproto's); the ws server acts as *act* says."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    ws = WSConnection(ConnectionType.CLIENT)
    target = f"/?id={quote(connection_id)}&act={quote(json.dumps(act))}"
    writer.write(ws.send(Request(host=f"127.0.0.1:{port}", target=target)))
    ws.receive_data(await reader.readuntil(b"\r\n\r\n"))
    assert any(isinstance(event, AcceptConnection) for event in ws.events())
    return reader, writer


def client_session(
    server: WsServer,
    name: str,
    act: dict[str, Any],
    first: tuple[tuple[int, str] | None] | None = None,
) -> tuple[Ours, dict[str, Any]]:
    """Our client: if *first* is given, closes first with ``first[0]``, then runs to the end."""

    async def run() -> Ours:
        reader, writer = await open_client(server.port, name, act)
        connection = echo.EchoConnection(reader, writer, Role.CLIENT)
        if first is not None:
            start_close(connection, first[0])
        return ours(connection, await asyncio.wait_for(connection.run(), TIMEOUT))

    seen = asyncio.run(run())
    return seen, server.report(name)


@pytest.mark.parametrize("close", VALID, ids=str)
def test_client_closes_first(ws_server: WsServer, close: tuple[int, str] | None) -> None:
    seen, report = client_session(ws_server, f"client first {close}", {"wait": True}, (close,))
    assert (theirs(report), report["error"]) == (ws_view(close), None)
    # ws echoes the code and reason (an empty close empty), and closes TCP first.
    assert seen.frames == [close]
    assert seen.event == CloseEvent(*ws_view(close), was_clean=True)
    assert seen.peer_closed_first is True


@pytest.mark.parametrize("close", VALID, ids=str)
def test_ws_server_closes_first(ws_server: WsServer, close: tuple[int, str] | None) -> None:
    act = {"close": list(close or ())}
    seen, report = client_session(ws_server, f"server first {close}", act)
    assert seen.frames == [close]
    assert seen.event == CloseEvent(*ws_view(close), was_clean=True)
    assert (theirs(report), report["error"]) == (ws_view(close), None)  # our echo
    assert seen.peer_closed_first is True


def test_client_and_ws_server_close_at_once(ws_server: WsServer) -> None:
    act = {"close": [4002, "theirs"]}
    seen, report = client_session(ws_server, "both", act, ((4001, "ours"),))
    # Each side sees the other's close, and neither echoes.
    assert seen.frames == [(4002, "theirs")]
    assert seen.event == CloseEvent(4002, "theirs", was_clean=True)
    assert theirs(report) == (4001, "ours")


def test_ws_server_drops(ws_server: WsServer) -> None:
    seen, report = client_session(ws_server, "terminate", {"terminate": True})
    assert seen.frames == []
    assert seen.event == CloseEvent.abnormal()
    assert theirs(report) == (1006, "")


def test_client_drops(ws_server: WsServer) -> None:
    async def run() -> CloseEvent:
        reader, writer = await open_client(ws_server.port, "client drops", {"wait": True})
        connection = echo.EchoConnection(reader, writer, Role.CLIENT)
        writer.close()
        await writer.wait_closed()
        event: CloseEvent = connection.handshake.transport_closed()
        return event

    assert asyncio.run(run()) == CloseEvent.abnormal()
    report = ws_server.report("client drops")
    assert (theirs(report), report["error"]) == ((1006, ""), None)


@pytest.mark.parametrize("payload", INVALID.values(), ids=INVALID.keys())
def test_client_sends_invalid(ws_server: WsServer, payload: bytes) -> None:
    name = f"client invalid {payload.hex()}"

    async def run() -> tuple[int, str] | None:
        reader, writer = await open_client(ws_server.port, name, {"wait": True})
        return await raw_exchange(reader, writer, frame(payload, masked=True), masked=False)

    # ws fails the connection with the code closeframe would, and no reason.
    assert asyncio.run(run()) == (failing_code(payload), "")
    report = ws_server.report(name)
    assert (theirs(report), report["error"]) == ((1006, ""), ws_error(payload))


@pytest.mark.parametrize("payload", INVALID.values(), ids=INVALID.keys())
def test_ws_server_sends_invalid(ws_server: WsServer, payload: bytes) -> None:
    raw = frame(payload, masked=False)
    seen, report = client_session(ws_server, f"server invalid {payload.hex()}", {"raw": raw.hex()})
    assert seen.frames == [raw.hex()]
    assert seen.error_code == failing_code(payload)
    assert seen.event == CloseEvent.abnormal()
    # ws reports the close our handshake failed with, as a close it received.
    assert (theirs(report), report["error"]) == ((failing_code(payload), ""), None)


# Pairing 2: a ws client, a closeframe server.


def server_session(
    ws_act: dict[str, Any], our_act: str, close: tuple[int, str] | None = None, raw: bytes = b""
) -> tuple[Ours | tuple[int, str] | None, dict[str, Any]]:
    """Our server and one ``node ws_peer.mjs client``; *our_act*: wait, close, drop or raw."""
    peer = node()

    async def run() -> tuple[Ours | tuple[int, str] | None, dict[str, Any]]:
        done: asyncio.Future[Ours | tuple[int, str] | None] = (
            asyncio.get_running_loop().create_future()
        )

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            ws = WSConnection(ConnectionType.SERVER)
            ws.receive_data(await reader.readuntil(b"\r\n\r\n"))
            assert any(isinstance(event, Request) for event in ws.events())
            writer.write(ws.send(AcceptConnection()))
            connection = echo.EchoConnection(reader, writer, Role.SERVER)
            if our_act == "raw":
                done.set_result(await raw_exchange(reader, writer, raw, masked=True))
                return
            if our_act == "close":
                start_close(connection, close)
            if our_act == "drop":
                writer.close()
                done.set_result(ours(connection, connection.handshake.transport_closed()))
                return
            done.set_result(ours(connection, await connection.run()))

        server = await asyncio.start_server(accept, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            client = await asyncio.create_subprocess_exec(
                peer,
                str(PEER),
                "client",
                f"ws://127.0.0.1:{port}/",
                json.dumps(ws_act),
                stdout=asyncio.subprocess.PIPE,
                cwd=HERE,
            )
            out, _ = await asyncio.wait_for(client.communicate(), TIMEOUT)
            assert client.returncode == 0
            seen = await asyncio.wait_for(done, TIMEOUT)
        return seen, json.loads(out)

    return asyncio.run(run())


@pytest.mark.parametrize("close", VALID, ids=str)
def test_ws_client_closes_first(close: tuple[int, str] | None) -> None:
    seen, report = server_session({"close": list(close or ())}, "wait")
    assert isinstance(seen, Ours)
    assert seen.frames == [close]
    assert seen.event == CloseEvent(*ws_view(close), was_clean=True)
    assert (theirs(report), report["error"]) == (ws_view(close), None)  # our echo
    # Not checked: which side closed TCP first.  Our server closes without
    # waiting, but ws's client half-closes TCP as soon as it has both sent
    # and received a close, without waiting for the server (RFC 6455 §7.1.1
    # says the server SHOULD close first): the two FINs cross.


@pytest.mark.parametrize("close", VALID, ids=str)
def test_server_closes_first(close: tuple[int, str] | None) -> None:
    seen, report = server_session({"wait": True}, "close", close)
    assert isinstance(seen, Ours)
    assert (theirs(report), report["error"]) == (ws_view(close), None)
    assert seen.frames == [close]  # ws's echo
    assert seen.event == CloseEvent(*ws_view(close), was_clean=True)


def test_server_and_ws_client_close_at_once() -> None:
    seen, report = server_session({"close": [4002, "theirs"]}, "close", (4001, "ours"))
    assert isinstance(seen, Ours)
    assert seen.frames == [(4002, "theirs")]
    assert seen.event == CloseEvent(4002, "theirs", was_clean=True)
    assert theirs(report) == (4001, "ours")


def test_ws_client_drops() -> None:
    seen, report = server_session({"terminate": True}, "wait")
    assert isinstance(seen, Ours)
    assert (seen.frames, seen.event) == ([], CloseEvent.abnormal())
    assert theirs(report) == (1006, "")


def test_server_drops() -> None:
    seen, report = server_session({"wait": True}, "drop")
    assert isinstance(seen, Ours)
    assert seen.event == CloseEvent.abnormal()
    assert (theirs(report), report["error"]) == ((1006, ""), None)


@pytest.mark.parametrize("payload", INVALID.values(), ids=INVALID.keys())
def test_ws_client_sends_invalid(payload: bytes) -> None:
    raw = frame(payload, masked=True)
    seen, report = server_session({"raw": raw.hex()}, "wait")
    assert isinstance(seen, Ours)
    assert seen.frames == [raw.hex()]
    assert seen.error_code == failing_code(payload)
    assert seen.event == CloseEvent.abnormal()
    assert (theirs(report), report["error"]) == ((failing_code(payload), ""), None)


@pytest.mark.parametrize("payload", INVALID.values(), ids=INVALID.keys())
def test_server_sends_invalid(payload: bytes) -> None:
    seen, report = server_session({"wait": True}, "raw", raw=frame(payload, masked=False))
    # ws fails the connection with the code closeframe would, and no reason.
    assert seen == (failing_code(payload), "")
    assert (theirs(report), report["error"]) == ((1006, ""), ws_error(payload))


def test_runs_on_the_codec_tox_asked_for() -> None:
    # tox -e ws runs this folder twice: compiled, then CLOSEFRAME_NO_EXTENSIONS=1.
    expected = os.environ.get("CLOSEFRAME_EXPECT_IMPLEMENTATION", closeframe.IMPLEMENTATION)
    assert expected == closeframe.IMPLEMENTATION


def test_closeframe_probe_passes_ws_on_every_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    """`closeframe probe` against the ws server: every scenario as the strict rules want.

    ws checks every close frame as closeframe does (test_ws_differential finds
    no difference), echoes valid closes and fails invalid ones with 1002 or
    1007, then closes TCP: so every verdict is "pass", none "lenient".
    """
    # A server of its own: its reports (one per connection) are not the other tests'.
    server = WsServer()
    try:
        url = f"ws://127.0.0.1:{server.port}/?id=probe&act={quote(json.dumps({'wait': True}))}"
        status = main(["probe", "--json", "--timeout", "5", url])
    finally:
        server.process.terminate()
        server.process.wait(TIMEOUT)
        server.reader.join(TIMEOUT)
        assert server.process.stdout is not None
        server.process.stdout.close()
    output = json.loads(capsys.readouterr().out)
    verdicts = {result["scenario"]: result["verdict"] for result in output["results"]}
    assert status == 0
    assert verdicts == {scenario.name: "pass" for scenario in SCENARIOS}
    # The echo of a valid close is its payload; an invalid reason is answered 1007.
    for result in output["results"]:
        if result["scenario"] == "code-1000-reason":
            assert result["reply"] == "03e8627965"
        if result["scenario"] == "utf8-truncated":
            assert result["reply"] == "03ef"
