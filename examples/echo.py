"""An echo server and client that embed closeframe: the Autobahn|Testsuite's peer.

The opening handshake is wsproto's; the data frames are this file's own
small frame loop (so that a text message that is not UTF-8 fails as soon
as its first bad byte arrives, mid-frame, as the suite wants); and every
close frame, valid or not, goes to closeframe's :class:`ClosingHandshake`,
which says what to send back and when to close TCP.  A protocol error in a
data frame fails the connection through the same handshake, with the code
the error calls for (1002, or 1007 for text that is not UTF-8).

Run the server, or the client against the suite's fuzzing server::

    python examples/echo.py server --port 9001
    python examples/echo.py client ws://127.0.0.1:9002 --agent closeframe

The client asks the server for its number of cases (``/getCaseCount``),
runs each (``/runCase?case=N&agent=...``), echoing every message, then asks
it to write its report (``/updateReports``).  Each process prints
``closeframe.IMPLEMENTATION`` first, so a driver can check which codec ran.
Both listen on and connect to loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import logging
import os
import sys
from urllib.parse import quote, urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, RejectConnection, Request

import closeframe
from closeframe import CloseEvent, ClosingHandshake, Role, read_close_frame
from closeframe.errors import CloseFrameError

__all__ = ["EchoConnection", "ProtocolError", "frame_header", "mask", "run_client", "serve"]

log = logging.getLogger("closeframe.echo")

#: How long a side waits for the peer's close frame, or for TCP to close.
CLOSE_TIMEOUT = 5.0
#: The largest message echoed: above it, fail with 1009 (the suite's 9.* cases send 16 MiB).
MAX_MESSAGE_BYTES = 64 * 2**20

_TEXT, _BINARY, _CONTINUATION, _CLOSE, _PING, _PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


class ProtocolError(Exception):
    """A data or control frame (not a close frame) broke RFC 6455: fail with ``code``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def mask(data: bytes, key: bytes, offset: int = 0) -> bytes:
    """XOR *data* with the 4-byte *key*, starting *offset* bytes into the payload (§5.3)."""
    if not data:
        return data
    start = offset % 4
    rotated = key[start:] + key[:start]
    length = len(data)
    # One XOR of two big integers, not a Python loop: the suite sends messages of megabytes.
    stream = (rotated * (length // 4 + 1))[:length]
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(length, "big")


def frame_header(opcode: int, length: int, mask_key: bytes | None) -> bytes:
    """FIN, the opcode, the mask bit and the shortest length encoding (§5.2)."""
    mask_bit = 0x80 if mask_key is not None else 0
    if length < 126:
        head = bytes((0x80 | opcode, mask_bit | length))
    elif length < 2**16:
        head = bytes((0x80 | opcode, mask_bit | 126)) + length.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, mask_bit | 127)) + length.to_bytes(8, "big")
    return head + (mask_key or b"")


class EchoConnection:
    """One open WebSocket: echo messages, answer pings, close through closeframe."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        role: Role,
        *,
        echo: bool = True,
    ) -> None:
        self.reader, self.writer = reader, writer
        self.role = role
        self.echo = echo
        self.handshake = ClosingHandshake(role)
        self.buffer = bytearray()
        #: Whole messages received (the client reads its case count from one).
        self.messages: list[str | bytes] = []
        #: Every close frame received, as it arrived (masked if from a client).
        self.close_frames: list[bytes] = []
        #: Whether the peer had closed TCP before this side did; None until closed.
        self.peer_closed_first: bool | None = None
        # The message being received: its opcode, bytes so far, UTF-8 decoder.
        self._opcode: int | None = None
        self._parts: list[bytes] = []
        self._size = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")

    # Sending.

    def _send(self, opcode: int, payload: bytes) -> None:
        if self.role is Role.CLIENT:
            key = os.urandom(4)
            self.writer.write(frame_header(opcode, len(payload), key) + mask(payload, key))
        else:
            self.writer.write(frame_header(opcode, len(payload), None) + payload)

    def _fail(self, code: int) -> None:
        outgoing = self.handshake.fail(code)
        if outgoing is not None:
            self.writer.write(outgoing.frame)

    # Receiving.

    async def run(self) -> CloseEvent:
        """Until the closing handshake says to close TCP, the peer does, or a timeout."""
        try:
            await self._read_frames()
        except ProtocolError as exc:
            log.debug("failing the connection: %s", exc)
            self._fail(exc.code)
        await self._close_transport()
        return self.handshake.transport_closed()

    async def _fill(self, needed: int) -> bool:
        """Read until the buffer holds *needed* bytes; False if TCP closed or timed out."""
        while len(self.buffer) < needed:
            timeout = None if self.handshake.close_sent is None else CLOSE_TIMEOUT
            try:
                data = await asyncio.wait_for(self.reader.read(2**16), timeout)
            except (TimeoutError, OSError):
                return False
            if not data:
                return False
            self.buffer += data
        return True

    async def _read_frames(self) -> None:
        while not self.handshake.should_close_transport:
            if not await self._fill(2):
                return
            first, second = self.buffer[0], self.buffer[1]
            if first & 0x0F == _CLOSE:
                if not await self._receive_close():
                    return
                continue
            if first & 0x70:
                raise ProtocolError(1002, "RSV bits set without an extension")
            opcode, fin = first & 0x0F, bool(first & 0x80)
            if opcode not in (_CONTINUATION, _TEXT, _BINARY, _PING, _PONG):
                raise ProtocolError(1002, f"reserved opcode {opcode:#x}")
            if bool(second & 0x80) is not (self.role is Role.SERVER):
                raise ProtocolError(1002, "a client must mask its frames, a server must not")
            length, offset = second & 0x7F, 2
            if opcode >= _PING and (length > 125 or not fin):
                raise ProtocolError(1002, "control frames are unfragmented and at most 125 bytes")
            if length >= 126:
                offset += 2 if length == 126 else 8
                if not await self._fill(offset):
                    return
                length = int.from_bytes(self.buffer[2:offset], "big")
            if second & 0x80:
                offset += 4
                if not await self._fill(offset):
                    return
            key = bytes(self.buffer[offset - 4 : offset]) if second & 0x80 else b""
            del self.buffer[:offset]
            if opcode >= _PING:
                if not await self._fill(length):
                    return
                payload = bytes(self.buffer[:length])
                del self.buffer[:length]
                self._control(opcode, mask(payload, key) if key else payload)
            elif not await self._data(opcode, fin, length, key):
                return

    async def _receive_close(self) -> bool:
        """A close frame: closeframe reads it, whole or (invalid) from its header alone."""
        masked = self.role is Role.SERVER
        try:
            close, size = read_close_frame(self.buffer, masked=masked)
        except CloseFrameError:
            size = len(self.buffer)  # the header is bad: the handshake will say so
        else:
            if close is None:
                return await self._fill(len(self.buffer) + size)
        frame = bytes(self.buffer[:size])
        del self.buffer[:size]
        self.close_frames.append(frame)
        received = self.handshake.receive_close_frame(frame)
        if received.reply is not None:
            self.writer.write(received.reply.frame)  # the echo, or 1002/1007
        return True

    def _control(self, opcode: int, payload: bytes) -> None:
        if opcode == _PING and self.handshake.can_send_data:
            self._send(_PONG, payload)

    async def _data(self, opcode: int, fin: bool, length: int, key: bytes) -> bool:
        """A data frame's payload, checked as it arrives (text fails at its first bad byte)."""
        if opcode == _CONTINUATION:
            if self._opcode is None:
                raise ProtocolError(1002, "a continuation frame without a message to continue")
        elif self._opcode is not None:
            raise ProtocolError(1002, "a new message inside a fragmented one")
        else:
            self._opcode, self._parts, self._size = opcode, [], 0
            self._decoder.reset()
        self._size += length
        if self._size > MAX_MESSAGE_BYTES:
            raise ProtocolError(1009, "message too big")
        done = 0
        while done < length:
            if not self.buffer and not await self._fill(1):
                return False
            chunk = bytes(self.buffer[: length - done])
            del self.buffer[: len(chunk)]
            if key:
                chunk = mask(chunk, key, done)
            done += len(chunk)
            self._take(chunk, final=fin and done == length)
        if length == 0:
            self._take(b"", final=fin)
        if fin:
            self._message_done()
        return True

    def _take(self, chunk: bytes, *, final: bool) -> None:
        if self.handshake.discard_incoming:
            return
        if self._opcode == _TEXT:
            try:
                self._decoder.decode(chunk, final)
            except UnicodeDecodeError:
                raise ProtocolError(1007, "a text message that is not UTF-8") from None
        self._parts.append(chunk)

    def _message_done(self) -> None:
        opcode, payload = self._opcode, b"".join(self._parts)
        self._opcode, self._parts = None, []
        if self.handshake.discard_incoming or opcode is None:
            return
        self.messages.append(payload.decode() if opcode == _TEXT else payload)
        if self.echo and self.handshake.can_send_data:
            self._send(opcode, payload)

    async def _close_transport(self) -> None:
        """Close TCP as the handshake says: the server first, the client after it.

        A side that closes sends FIN, then reads (and drops) what the peer
        still sends until it closes too: closing with unread data would send
        RST, which may destroy the close frame before the peer reads it.
        """
        try:
            await self.writer.drain()
            if self.role is Role.CLIENT and not self.handshake.failed:
                await self._wait_for_eof()  # §7.1.1: the server closes first
            self.peer_closed_first = self.reader.at_eof()
            if self.writer.can_write_eof():
                self.writer.write_eof()
            await self._wait_for_eof()
        except OSError:  # ENOTCONN, ECONNRESET: the peer closed TCP meanwhile
            pass
        finally:
            self.writer.close()

    async def _wait_for_eof(self) -> None:
        try:
            while await asyncio.wait_for(self.reader.read(2**16), CLOSE_TIMEOUT):
                pass
        except TimeoutError:
            log.debug("the peer did not close TCP within %s s", CLOSE_TIMEOUT)


# The server.


async def _accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
        writer.close()
        return
    ws = WSConnection(ConnectionType.SERVER)
    ws.receive_data(head)  # only the request: the frames after it are this file's
    if not any(isinstance(event, Request) for event in ws.events()):
        writer.close()
        return
    writer.write(ws.send(AcceptConnection()))
    event = await EchoConnection(reader, writer, Role.SERVER).run()
    log.info("closed: %s", event)


async def serve(port: int) -> None:
    """Echo every message of every connection on 127.0.0.1:*port*, until cancelled."""
    server = await asyncio.start_server(_accept, "127.0.0.1", port, limit=2**20)
    async with server:
        await server.serve_forever()


# The client.


async def _connect(url: str, *, echo: bool) -> EchoConnection:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80, limit=2**20)
    ws = WSConnection(ConnectionType.CLIENT)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    writer.write(ws.send(Request(host=parts.netloc, target=target)))
    ws.receive_data(await reader.readuntil(b"\r\n\r\n"))
    for event in ws.events():
        if isinstance(event, RejectConnection):
            raise ConnectionError(
                f"{url}: the server refused the connection ({event.status_code})"
            )
        if isinstance(event, AcceptConnection):
            return EchoConnection(reader, writer, Role.CLIENT, echo=echo)
    raise ConnectionError(f"{url}: no answer to the opening handshake")


async def run_client(base: str, agent: str) -> int:
    """Run every case of the suite's fuzzing server at *base*; return how many ran."""
    counter = await _connect(f"{base}/getCaseCount", echo=False)
    await counter.run()
    count = int(counter.messages[0])
    for case in range(1, count + 1):
        connection = await _connect(f"{base}/runCase?case={case}&agent={quote(agent)}", echo=True)
        event = await connection.run()
        log.info("case %d: %s", case, event)
    reporter = await _connect(f"{base}/updateReports?agent={quote(agent)}", echo=False)
    await reporter.run()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="role", required=True)
    server = sub.add_parser("server", help="echo on 127.0.0.1:PORT")
    server.add_argument("--port", type=int, default=9001)
    client = sub.add_parser("client", help="run the fuzzing server's cases")
    client.add_argument("url", help="the fuzzing server, e.g. ws://127.0.0.1:9002")
    client.add_argument("--agent", default="closeframe")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    print(f"closeframe {closeframe.IMPLEMENTATION}", flush=True)
    if args.role == "server":
        asyncio.run(serve(args.port))
    else:
        count = asyncio.run(run_client(args.url.rstrip("/"), args.agent))
        print(f"ran {count} cases", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
