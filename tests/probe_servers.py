"""Servers for the probe's tests, each on loopback in a thread of its own.

- ``websockets_server``: websockets' own asyncio server, a third-party peer;
- ``example_server``: examples/server.py, closeframe's own;
- ``WrongServer``: written here, deliberately wrong in the way its URL path
  names (see ``MODES``), with its own opening handshake (RFC 6455 §4.2.2)
  so that it owes nothing to the probe's.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import socket
import ssl
import struct
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
CERT = Path(__file__).with_name("data") / "probe-cert.pem"
KEY = Path(__file__).with_name("data") / "probe-key.pem"

#: What each path of WrongServer does once a client's first frame arrives.
MODES = {
    "/echo-unchecked": "echoes every close payload as it came, valid or not, then closes TCP",
    "/accept-all": "answers every close frame with 1000, then closes TCP",
    "/refuse": "answers every close frame with 1002, then closes TCP",
    "/never-closes": "echoes every close payload as it came, and never closes TCP",
    "/silent": "never answers and never closes TCP",
    "/reset": "resets TCP at once",
    "/chatty": "echoes the close payload, then sends a text frame, then closes TCP",
    "/closes-first": "closes first with 1001 'bye', then waits for the echo and closes TCP",
    "/closes-first-1005": "closes first with 1005 on the wire",
    "/closes-first-at-once": "closes first with 1001 'bye' and closes TCP at once",
    "/closes-first-stays": "closes first with 1001 'bye', reads the echo, keeps TCP open",
    "/floods": "sends over 1 MiB of binary frames at once and never closes",
    "/hangs-up": "closes TCP on reading the opening handshake's request",
    "/endless-head": "answers the request with a head that never ends",
    "/drops-first": "closes TCP at once without a close frame",
}


class _Server(Protocol):
    @property
    def sockets(self) -> Any: ...

    def close(self) -> None: ...

    async def wait_closed(self) -> None: ...


def serve(
    start: Callable[[], Awaitable[_Server]], hold: list[asyncio.StreamWriter] | None = None
) -> Iterator[int]:
    """Run *start* (which starts a server) in a loop of its own thread; yield its port.

    On the way out: the server closed, every connection it still holds
    (*hold*) closed, its tasks cancelled, the loop closed.
    """
    ready = threading.Event()
    servers: list[_Server] = []
    loop = asyncio.new_event_loop()

    async def main() -> None:
        servers.append(await start())
        ready.set()

    async def stop() -> None:
        servers[0].close()
        await servers[0].wait_closed()
        for writer in hold or ():
            writer.close()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def run() -> None:
        asyncio.set_event_loop(loop)
        # One run_forever from the start: a stop() requested while an earlier
        # run_until_complete was ending would be lost, and the thread with it.
        started = loop.create_task(main())
        loop.run_forever()
        assert started.done()
        loop.run_until_complete(stop())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10), "the server did not start"
    try:
        yield servers[0].sockets[0].getsockname()[1]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@contextlib.contextmanager
def websockets_server() -> Iterator[int]:
    from websockets.asyncio.server import ServerConnection
    from websockets.asyncio.server import serve as ws_serve
    from websockets.exceptions import ConnectionClosed

    async def handler(connection: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for _ in connection:
                pass

    async def start() -> _Server:
        server: _Server = await ws_serve(handler, "127.0.0.1", 0)
        return server

    yield from serve(start)


@contextlib.contextmanager
def example_server() -> Iterator[int]:
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import server as example  # examples/server.py
    finally:
        sys.path.remove(str(ROOT / "examples"))

    async def start() -> _Server:
        return await example.ScenarioServer().start(0)

    yield from serve(start)


class _AiohttpServer:
    """aiohttp's server in the shape serve() stops: on a socket bound here."""

    def __init__(self, runner: Any, sock: socket.socket) -> None:
        self.runner = runner
        self.sockets = [sock]

    def close(self) -> None:
        pass  # runner.cleanup() closes the site, its socket and its connections

    async def wait_closed(self) -> None:
        await self.runner.cleanup()


@contextlib.contextmanager
def aiohttp_server() -> Iterator[int]:
    from aiohttp import web

    async def handler(request: web.Request) -> web.WebSocketResponse:
        connection = web.WebSocketResponse()
        await connection.prepare(request)
        async for _ in connection:
            pass
        return connection

    async def start() -> _Server:
        app = web.Application()
        app.router.add_get("/", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(runner, sock).start()
        return _AiohttpServer(runner, sock)

    yield from serve(start)


@contextlib.contextmanager
def wsproto_server() -> Iterator[int]:
    """wsproto's sans-IO connection driven as its documentation's server loop does."""
    from wsproto import WSConnection
    from wsproto.connection import ConnectionState, ConnectionType
    from wsproto.events import AcceptConnection, CloseConnection, Ping, Request

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # As wsproto's own example server: answer a CloseConnection with its
        # response(), then stop and close TCP.
        ws = WSConnection(ConnectionType.SERVER)
        running = True
        while running:
            try:
                data = await reader.read(65536)
            except ConnectionError:
                break
            ws.receive_data(data or None)
            for event in ws.events():
                if isinstance(event, Request):
                    writer.write(ws.send(AcceptConnection()))
                elif isinstance(event, Ping):
                    writer.write(ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    if ws.state is not ConnectionState.CLOSED:
                        writer.write(ws.send(event.response()))
                    running = False
            running = running and bool(data)
        writer.close()

    async def start() -> _Server:
        return await asyncio.start_server(handle, "127.0.0.1", 0)

    yield from serve(start)


def _accept(key: str) -> str:
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    return base64.b64encode(digest).decode()


def _server_frame(payload: bytes, opcode: int = 0x8) -> bytes:
    if len(payload) < 126:
        return bytes((0x80 | opcode, len(payload))) + payload
    return bytes((0x80 | opcode, 126)) + len(payload).to_bytes(2, "big") + payload


async def _first_frame(reader: asyncio.StreamReader) -> bytes | None:
    """The first frame's payload, unmasked, whatever its header says; None at EOF."""
    try:
        head = await reader.readexactly(2)
        length = head[1] & 0x7F
        if length == 126:
            length = int.from_bytes(await reader.readexactly(2), "big")
        key = await reader.readexactly(4) if head[1] & 0x80 else b"\0\0\0\0"
        data = await reader.readexactly(length)
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    return bytes(byte ^ key[i % 4] for i, byte in enumerate(data))


class WrongServer:
    """A server wrong in the way the URL's path names (MODES); *tls*: wss://."""

    def __init__(self, *, tls: bool = False) -> None:
        self.tls = tls
        self.hold: list[asyncio.StreamWriter] = []  # connections never closed

    async def start(self) -> asyncio.Server:
        context = None
        if self.tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(CERT, KEY)
        return await asyncio.start_server(self.handle, "127.0.0.1", 0, ssl=context)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        path = head.split(" ", 2)[1]
        if path == "/hangs-up":
            writer.close()
            return
        if path == "/endless-head":
            writer.write(b"HTTP/1.1 101 Switching Protocols\r\n" + b"X: y\r\n" * 5000)
            self.hold.append(writer)
            return
        if path == "/not-websocket":
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        key = next(
            line.split(":", 1)[1].strip()
            for line in head.split("\r\n")
            if line.lower().startswith("sec-websocket-key:")
        )
        accept = "wrong" if path == "/bad-accept" else _accept(key)
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % accept.encode()
        )
        await writer.drain()
        await self.act(path, reader, writer)

    async def act(
        self, path: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if path == "/drops-first":
            writer.close()
            return
        if path.startswith("/closes-first"):
            first = b"\x03\xed" if path.endswith("1005") else b"\x03\xe9bye"
            writer.write(_server_frame(first))
            if path.endswith("-at-once"):
                writer.close()
                return
            await _first_frame(reader)  # the echo
            if path.endswith("-stays"):
                self.hold.append(writer)
            else:
                writer.close()
            return
        if path == "/floods":
            writer.write(_server_frame(b"x" * 65535, opcode=0x2) * 17)  # over 1 MiB
            self.hold.append(writer)
            return
        if path == "/reset":
            await reader.read(1)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return
        payload = await _first_frame(reader)
        if payload is None or path == "/silent":
            self.hold.append(writer)
            return
        if path == "/accept-all":
            writer.write(_server_frame(b"\x03\xe8"))
        elif path == "/refuse":
            writer.write(_server_frame(b"\x03\xea"))
        else:
            writer.write(_server_frame(payload))
        if path == "/chatty":
            writer.write(_server_frame(b"late", opcode=0x1))
        if path == "/never-closes":
            self.hold.append(writer)
            return
        await writer.drain()
        writer.close()


@contextlib.contextmanager
def wrong_server(*, tls: bool = False) -> Iterator[int]:
    server = WrongServer(tls=tls)
    yield from serve(server.start, server.hold)
