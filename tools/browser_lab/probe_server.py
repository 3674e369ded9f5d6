"""The probe server: raw WebSocket close scenarios, everything the browser does recorded.

Standard library only (asyncio over plain non-blocking sockets), so the
server can write any bytes at all and control TCP exactly: it does the
opening handshake itself (RFC 6455 §4.2.2: Sec-WebSocket-Accept is
base64(SHA-1(key + GUID)), no extension and no subprotocol accepted), waits
:data:`OPEN_SETTLE` seconds so that the page's ``open`` event fires first,
writes the scenario's bytes in one ``send``, and then does with TCP what
the scenario's mode says (see :data:`scenarios.TcpMode`; "after-reply" and
"echo" linger :data:`REPLY_GRACE` for the browser's FIN before closing).  From that send
on it records, in milliseconds relative to it, every frame the browser
sends (raw and parsed), the browser's FIN or reset, and its own moves.

HTTP routes (all on 127.0.0.1, one request per connection)::

    GET  /                 page.html, the test page
    GET  /scenarios.json   the scenarios to run, in order
    GET  /ws/<id>          WebSocket upgrade: run scenario <id>
    GET  /wait/<id>        answers once the server has finished <id>
    POST /hello            the page's user agent
    POST /result           one scenario's page-side record (JSON)
    POST /done             all scenarios ran: the runner may stop the browser

Run it alone to look at the page in a browser by hand::

    python tools/browser_lab/probe_server.py --port 8766
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import socket
import struct
import time
from pathlib import Path
from typing import Any

import scenarios as sc

__all__ = ["ProbeServer", "parse_frames"]

JSON = dict[str, Any]
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PAGE = Path(__file__).with_name("page.html")

#: Seconds between the 101 response and the scenario's bytes.
OPEN_SETTLE = 0.05
#: How long "after-reply" and "echo" wait for the browser's close frame.
REPLY_TIMEOUT = 5.0
#: After the browser's close frame ("after-reply") or the server's echo ("echo"), how
#: long the server lingers for the browser's own FIN before it closes TCP itself: long
#: enough that a browser closing at once is always seen doing so, far shorter than any
#: browser's wait for the server (Chromium 2 s, Firefox ~1.1 s).
REPLY_GRACE = 0.025
#: How long "fin" waits for the browser to close TCP.
FIN_TIMEOUT = 10.0
#: How long "wait" waits for the browser to close TCP.
WAIT_TIMEOUT = 40.0
#: How long GET /wait/<id> waits for the server side of <id> to finish.
FINISH_TIMEOUT = 60.0


def parse_frames(buffer: bytearray) -> list[JSON]:
    """Take every whole frame off the front of *buffer*; parsed, raw bytes kept."""
    frames: list[JSON] = []
    while len(buffer) >= 2:
        b0, b1 = buffer[0], buffer[1]
        length, offset = b1 & 0x7F, 2
        if length == 126:
            if len(buffer) < 4:
                break
            length, offset = int.from_bytes(buffer[2:4], "big"), 4
        elif length == 127:
            if len(buffer) < 10:
                break
            length, offset = int.from_bytes(buffer[2:10], "big"), 10
        masked = bool(b1 & 0x80)
        end = offset + (4 if masked else 0) + length
        if len(buffer) < end:
            break
        key = bytes(buffer[offset : offset + 4]) if masked else b"\0\0\0\0"
        body = buffer[end - length : end]
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(body))
        parsed: JSON = {
            "kind": "frame",
            "fin": bool(b0 & 0x80),
            "rsv": (b0 >> 4) & 0x7,
            "opcode": b0 & 0x0F,
            "masked": masked,
            "length": length,
            "length_form": {2: 7, 4: 16, 10: 64}[offset],
            "payload": payload.hex(),
            "raw": bytes(buffer[:end]).hex(),
        }
        if parsed["opcode"] == sc.CLOSE and len(payload) >= 2:
            parsed["close_code"] = int.from_bytes(payload[:2], "big")
            parsed["close_reason"] = payload[2:].decode("utf-8", "replace")
            try:
                payload[2:].decode("utf-8")
            except UnicodeDecodeError:
                parsed["close_reason_utf8"] = False
        frames.append(parsed)
        del buffer[:end]
    return frames


class Recorder:
    """One WebSocket connection's record, timestamps relative to the scenario's send."""

    def __init__(self, record: JSON) -> None:
        self.record = record
        self.t0 = time.monotonic()
        self.buffer = bytearray()
        self.browser_closed = False  # FIN or reset seen
        self.close_frame: JSON | None = None  # the browser's first close frame

    def event(self, kind: str, **fields: Any) -> None:
        entry: JSON = {"t": round((time.monotonic() - self.t0) * 1000, 1), "kind": kind}
        entry.update(fields)
        self.record["events"].append(entry)

    def take(self, data: bytes) -> list[JSON]:
        self.buffer += data
        frames = parse_frames(self.buffer)
        for parsed in frames:
            self.event(**parsed)
            if parsed["opcode"] == sc.CLOSE and self.close_frame is None:
                self.close_frame = parsed
        return frames

    async def read(
        self,
        sock: socket.socket,
        timeout: float,
        *,
        until_close_frame: bool,
        log_timeout: bool = True,
    ) -> JSON | None:
        """Read until the browser closes TCP, a timeout, or (optionally) its close frame.

        Returns the browser's close frame, if one ended the read (or came earlier).
        """
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + timeout
        while not self.browser_closed:
            if until_close_frame and self.close_frame is not None:
                self.drain(sock)
                return self.close_frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if log_timeout:
                    self.event("timeout", after_s=timeout)
                return None
            try:
                data = await asyncio.wait_for(loop.sock_recv(sock, 65536), remaining)
            except TimeoutError:
                continue
            except ConnectionResetError:
                self.browser_closed = True
                self.event("browser_rst")
                return None
            except OSError as exc:
                self.browser_closed = True
                self.event("recv_error", error=repr(exc))
                return None
            if not data:
                self.browser_closed = True
                self.event("browser_fin")
                return None
            self.take(data)
        return None

    def drain(self, sock: socket.socket) -> None:
        """Take what already arrived (a FIN right behind the close frame), without waiting."""
        while not self.browser_closed:
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                return
            except ConnectionResetError:
                self.browser_closed = True
                self.event("browser_rst")
                return
            if not data:
                self.browser_closed = True
                self.event("browser_fin")
                return
            self.take(data)


class ProbeServer:
    """The HTTP + WebSocket server; page-side and server-side records kept by scenario id."""

    def __init__(self, selected: list[sc.ServerScenario | sc.PageScenario] | None = None) -> None:
        self.selected = list(sc.ALL if selected is None else selected)
        self.table = {s.id: s for s in self.selected}
        self.records: dict[str, list[JSON]] = {}
        self.finished: dict[str, asyncio.Event] = {}
        self.page_results: dict[str, JSON] = {}
        self.hello: JSON = {}
        self.ws_headers: dict[str, str] = {}
        self.hello_at = self.done_at = 0.0  # when the page said hello, and done
        self.done = asyncio.Event()
        self.port = 0
        self.started_at = 0.0
        self._listener: socket.socket | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def _finished(self, sid: str) -> asyncio.Event:
        return self.finished.setdefault(sid, asyncio.Event())

    async def start(self, port: int = 0) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        listener.setblocking(False)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self.started_at = time.monotonic()
        self._spawn(self._accept_loop(listener))
        return self.port

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept_loop(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            sock, _ = await loop.sock_accept(listener)
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._spawn(self._handle(sock))

    async def stop(self) -> None:
        """Wait (bounded) for open WebSocket records to finish, then stop everything."""
        pending = [e.wait() for e in self.finished.values() if not e.is_set()]
        if pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*pending), FINISH_TIMEOUT)
        if self._listener is not None:
            self._listener.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            head = bytearray()
            while b"\r\n\r\n" not in head:
                chunk = await asyncio.wait_for(loop.sock_recv(sock, 65536), 30)
                if not chunk or len(head) > 65536:
                    sock.close()
                    return
                head += chunk
            raw_head, _, rest = bytes(head).partition(b"\r\n\r\n")
            lines = raw_head.decode("latin-1").split("\r\n")
            method, target, _ = [*lines[0].split(" "), "", ""][:3]
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if headers.get("upgrade", "").lower() == "websocket":
                await self._websocket(sock, target, headers, rest)
                return
            body = bytearray(rest)
            length = int(headers.get("content-length", "0") or 0)
            while len(body) < length:
                chunk = await asyncio.wait_for(loop.sock_recv(sock, 65536), 30)
                if not chunk:
                    break
                body += chunk
            status, ctype, payload = await self._http(method, target, bytes(body))
            head_out = (
                f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(payload)}\r\nCache-Control: no-store\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
            await loop.sock_sendall(sock, head_out + payload)
        except (OSError, TimeoutError):
            pass
        finally:
            if sock.fileno() != -1:
                sock.close()

    async def _http(self, method: str, target: str, body: bytes) -> tuple[str, str, bytes]:
        path = target.split("?", 1)[0]
        ok_json = ("200 OK", "application/json", b"{}")
        if method == "GET" and path in {"/", "/index.html"}:
            return "200 OK", "text/html; charset=utf-8", PAGE.read_bytes()
        if method == "GET" and path == "/scenarios.json":
            listing = [
                {"id": s.id, "kind": s.kind, "js": getattr(s, "js", None)} for s in self.selected
            ]
            return "200 OK", "application/json", json.dumps(listing).encode()
        if method == "GET" and path.startswith("/wait/"):
            sid = path[len("/wait/") :]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._finished(sid).wait(), FINISH_TIMEOUT)
            finished = self._finished(sid).is_set()
            return "200 OK", "application/json", json.dumps({"finished": finished}).encode()
        if method == "POST" and path == "/hello":
            self.hello = json.loads(body)
            self.hello_at = time.monotonic()
            return ok_json
        if method == "POST" and path == "/result":
            result = json.loads(body)
            self.page_results[result["id"]] = result
            return ok_json
        if method == "POST" and path == "/done":
            self.done_at = time.monotonic()
            self.done.set()
            return ok_json
        return "404 Not Found", "text/plain", b"not found"

    async def _websocket(
        self, sock: socket.socket, target: str, headers: dict[str, str], early: bytes
    ) -> None:
        loop = asyncio.get_running_loop()
        sid = target.split("?", 1)[0].removeprefix("/ws/")
        scenario = self.table.get(sid)
        key = headers.get("sec-websocket-key", "")
        if scenario is None or not key:
            await loop.sock_sendall(sock, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            return
        accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        record: JSON = {
            "id": sid,
            "mode": scenario.mode,
            "sent": scenario.data.hex(),
            "target": target,
            "events": [],
        }
        self.records.setdefault(sid, []).append(record)
        if not self.ws_headers:
            self.ws_headers = {k: v for k, v in headers.items() if k != "sec-websocket-key"}
        finished = self._finished(sid)
        try:
            await loop.sock_sendall(
                sock,
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept.encode() + b"\r\n\r\n",
            )
            await asyncio.sleep(OPEN_SETTLE)
            rec = Recorder(record)
            if early:
                rec.take(early)
            await self._run_mode(sock, scenario, rec)
            record["unparsed"] = rec.buffer.hex()
        except OSError as exc:
            record["events"].append({"kind": "server_error", "error": repr(exc)})
        finally:
            if sock.fileno() != -1:
                sock.close()
            finished.set()

    async def _run_mode(
        self, sock: socket.socket, scenario: sc.ServerScenario | sc.PageScenario, rec: Recorder
    ) -> None:
        loop = asyncio.get_running_loop()
        mode = scenario.mode
        rec.t0 = time.monotonic()
        if scenario.data:
            await loop.sock_sendall(sock, scenario.data)
            rec.event("server_sent", bytes=len(scenario.data))
        later = getattr(scenario, "later", b"")
        if later:
            await rec.read(sock, sc.LATER_DELAY, until_close_frame=False, log_timeout=False)
            # Sent even if the browser already closed TCP: a half-closed peer still reads.
            try:
                await loop.sock_sendall(sock, later)
                rec.event("server_sent_later", bytes=len(later))
            except OSError as exc:
                rec.event("server_send_later_failed", error=repr(exc))
        if mode in {"after-reply", "echo"}:
            reply = await rec.read(sock, REPLY_TIMEOUT, until_close_frame=True)
            if reply is not None and mode == "echo":
                echo = sc.frame(sc.CLOSE, bytes.fromhex(reply["payload"]))
                with contextlib.suppress(OSError):
                    await loop.sock_sendall(sock, echo)
                    rec.event("server_echo", raw=echo.hex())
            if reply is not None:
                await rec.read(sock, REPLY_GRACE, until_close_frame=False, log_timeout=False)
            sock.close()
            rec.event("server_close")
        elif mode == "fin":
            sock.shutdown(socket.SHUT_WR)
            rec.event("server_shut_wr")
            await rec.read(sock, FIN_TIMEOUT, until_close_frame=False)
            sock.close()
            rec.event("server_close")
        elif mode == "wait":
            await rec.read(sock, WAIT_TIMEOUT, until_close_frame=False)
            sock.close()
            rec.event("server_close")
        elif mode == "close":
            sock.close()
            rec.event("server_close")
        elif mode == "rst":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            rec.event("server_rst")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()

    async def serve() -> None:
        server = ProbeServer()
        port = await server.start(args.port)
        print(f"serving http://127.0.0.1:{port}/", flush=True)
        await server.done.wait()
        await server.stop()
        print(json.dumps({"page": server.page_results, "server": server.records}, indent=1))

    asyncio.run(serve())


if __name__ == "__main__":
    main()
