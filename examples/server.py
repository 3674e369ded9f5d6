"""A small asyncio WebSocket server that embeds closeframe.

wsproto does the opening handshake and the data frames; closeframe does
everything about closing: the close frames on the wire, the closing
handshake, and the final ``CloseEvent``, which the server logs.  It is the
embedding guide (docs/embedding.rst) in runnable form, and the server the
browser tests (tests/browser/) drive Chromium against.

Run it, then open http://127.0.0.1:8765/ ::

    python examples/server.py --port 8765

``GET /`` serves a page whose ``runScenario(path, closeArgs)`` opens a
WebSocket to *path* and resolves with what the page saw.  The WebSocket path
chooses how the server closes (``id=`` in the query names the record):

====================================  =========================================
``/close/<code>?reason=<text>``       close with that code and reason
``/close``                            close with an empty payload (no status)
``/raw/<hex>``                        send a close frame with this payload,
                                      unchecked: for invalid payloads
``/drop``                             close TCP without a close frame
``/wait-for-client-close``            wait for the page to close, then echo
====================================  =========================================

It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Message, Ping, Request

from closeframe import CloseEvent, ClosingHandshake, Role

__all__ = ["PAGE", "Connection", "Record", "ScenarioServer", "raw_close_frame", "split_frame"]

log = logging.getLogger("closeframe.example")

#: How long to wait for the peer's close frame before closing TCP anyway.
CLOSE_TIMEOUT = 3.0

PAGE = (Path(__file__).with_name("page.html")).read_text(encoding="utf-8")


@dataclass
class Record:
    """What the server saw of one connection, for the log and the tests."""

    path: str
    #: The close frame the server sent (raw bytes), if it sent one.
    sent: bytes | None = None
    #: Every close frame the browser sent, raw and still masked.
    received: list[bytes] = field(default_factory=list)
    #: The CloseEvent the server's own application sees, once the connection is over.
    event: CloseEvent | None = None


def raw_close_frame(payload: bytes) -> bytes:
    """A server's close frame around *any* payload, valid or not.

    closeframe refuses to build invalid frames, so the scenarios that test
    how a browser reacts to them build the header by hand: FIN + opcode 0x8,
    then the 7-bit length, or 126 and a 16-bit length (RFC 6455 §5.2), which
    a control frame must never use.
    """
    if len(payload) < 126:
        return bytes((0x88, len(payload))) + payload
    return bytes((0x88, 126)) + len(payload).to_bytes(2, "big") + payload


def split_frame(buffer: bytearray) -> bytes | None:
    """Take one whole frame off the front of *buffer*, or return None if incomplete.

    Only the frame's extent is read here; wsproto and closeframe decode it.
    """
    if len(buffer) < 2:
        return None
    length, offset = buffer[1] & 0x7F, 2
    if length == 126:
        length, offset = int.from_bytes(buffer[2:4], "big"), 4
    elif length == 127:
        length, offset = int.from_bytes(buffer[2:10], "big"), 10
    end = offset + (4 if buffer[1] & 0x80 else 0) + length
    if len(buffer) < end:
        return None
    frame = bytes(buffer[:end])
    del buffer[:end]
    return frame


class ScenarioServer:
    """The server: one :class:`Connection` per WebSocket, records kept by ``id``."""

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}
        self.port = 0

    async def start(self, port: int = 0) -> asyncio.Server:
        server = await asyncio.start_server(self.handle, "127.0.0.1", port)
        self.port = server.sockets[0].getsockname()[1]
        return server

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        if b"upgrade: websocket" not in head.lower():
            # Not a WebSocket request: serve the page, plain HTTP/1.1.
            body = PAGE.encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
            writer.close()
            return
        connection = Connection(reader, writer, head)
        query = parse_qs(connection.url.query)
        self.records[query.get("id", [connection.url.path])[0]] = connection.record
        await connection.run()


class Connection:
    """One WebSocket connection: wsproto opens it, closeframe closes it."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes
    ) -> None:
        self.reader, self.writer = reader, writer
        # The opening handshake is wsproto's job.
        self.ws = WSConnection(ConnectionType.SERVER)
        self.ws.receive_data(head)
        request = next(event for event in self.ws.events() if isinstance(event, Request))
        writer.write(self.ws.send(AcceptConnection()))
        self.url = urlsplit(request.target)
        self.record = Record(request.target)
        # From here on, closing is closeframe's job.
        self.handshake = ClosingHandshake(Role.SERVER)
        self.buffer = bytearray()

    async def run(self) -> None:
        """Greet the page, close the way the path says, log the CloseEvent."""
        path = self.url.path
        self.writer.write(self.ws.send(Message(data="ready")))  # a data frame, by wsproto
        try:
            if path == "/drop":
                pass  # close TCP below, without a close frame
            elif path == "/close" or path.startswith("/close/"):
                code = int(path[len("/close/") :]) if path != "/close" else None
                reason = parse_qs(self.url.query).get("reason", [""])[0]  # percent-decoded, UTF-8
                outgoing = self.handshake.send_close(code, reason)
                self.send_close_frame(outgoing.frame)
                await self.read_until_closed(answer=True)
            elif path.startswith("/raw/"):
                # An unchecked frame, which closeframe would refuse to build.
                # The handshake is not told: it could not parse what was sent.
                self.send_close_frame(raw_close_frame(bytes.fromhex(path[len("/raw/") :])))
                await self.read_until_closed(answer=False)
            else:  # /wait-for-client-close, and any other path
                await self.read_until_closed(answer=True)
        finally:
            self.writer.close()  # the server closes TCP first (RFC 6455 §7.1.1)
            self.record.event = self.handshake.transport_closed()
            # After /raw the handshake saw neither close frame, so it reports
            # 1006 (abnormal): say why, rather than log it as a failure.
            raw = path.startswith("/raw/")
            note = " (the close frames bypassed the handshake)" if raw else ""
            log.info("%s: %s%s", self.record.path, self.record.event, note)

    def send_close_frame(self, frame: bytes) -> None:
        self.record.sent = frame
        self.writer.write(frame)

    async def read_until_closed(self, *, answer: bool) -> None:
        """Read frames until the handshake says to close TCP, the peer does, or a timeout.

        With ``answer``, each close frame goes to the closing handshake, which
        says what to send back; without, close frames are only recorded.
        """
        while not self.handshake.should_close_transport:
            frame = split_frame(self.buffer)
            if frame is None:
                try:
                    data = await asyncio.wait_for(self.reader.read(4096), CLOSE_TIMEOUT)
                except TimeoutError:
                    return
                if not data:
                    return  # the peer closed TCP
                self.buffer += data
            elif frame[0] & 0x0F != 0x8:
                self.receive_data_frame(frame)
            else:
                self.record.received.append(frame)
                if not answer:
                    return  # a close was sent and one received: close TCP
                received = self.handshake.receive_close_frame(frame)
                if received.reply is not None:
                    # The echo, or 1002/1007 if the frame was invalid.
                    self.writer.write(received.reply.frame)

    def receive_data_frame(self, frame: bytes) -> None:
        """Data, ping and pong frames are wsproto's job."""
        self.ws.receive_data(frame)
        for event in self.ws.events():
            if isinstance(event, Ping):
                self.writer.write(self.ws.send(event.response()))
            else:
                log.info("%s: %r", self.record.path, event)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    async def serve() -> None:
        scenarios = ScenarioServer()
        server = await scenarios.start(args.port)
        log.info("serving http://127.0.0.1:%d/", scenarios.port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
