"""A minimal WebSocket client: the opening handshake and a blocking socket.

Standard library only.  The opening handshake is written by hand (RFC 6455
§4.1): no extension and no subprotocol is offered, so that nothing but the
bytes a scenario writes reaches the server, and the server's
``Sec-WebSocket-Accept`` is checked against the key sent.  ``wss://`` goes
through :mod:`ssl` with the default verification, unless ``insecure``.

Blocking sockets with timeouts rather than asyncio: one connection at a time,
read until the server closes or a deadline passes, is all a probe does, and
a blocking socket can half-close and reset exactly when told to.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import socket
import ssl
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

__all__ = ["MAX_STREAM_BYTES", "Connection", "HandshakeError", "Target", "parse_target"]

# RFC 6455 §1.3: the server proves it read the key by hashing it with this.
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# A response head larger than this is not a WebSocket server's.
_MAX_HEAD_BYTES = 16384
# Past this much from the server, the probe stops reading: what it judges
# is at most a few frames.
MAX_STREAM_BYTES = 1 << 20
# Headers the handshake writes itself; a user's -H may not replace them.
_OWN_HEADERS = frozenset(
    {
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
    }
)

#: How reading ended: the server closed TCP (FIN), reset it, or kept it open
#: past the deadline.
TcpEnd = Literal["closed", "reset", "open"]


class HandshakeError(Exception):
    """The connection or the opening handshake failed: no WebSocket to probe."""


@dataclass(frozen=True)
class Target:
    """Where to connect: from a ``ws://`` or ``wss://`` URL, and the extra headers."""

    url: str
    secure: bool
    host: str
    port: int
    resource: str  # the path and query, as the request line carries them
    headers: tuple[tuple[str, str], ...] = ()
    insecure: bool = False


def parse_target(url: str, headers: Sequence[str] = (), *, insecure: bool = False) -> Target:
    """Check a URL and ``Name: value`` headers; raise :class:`ValueError` on bad ones."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise ValueError(f"not a ws:// or wss:// URL: {url!r}")
    if parts.fragment or "#" in url:
        raise ValueError(f"a WebSocket URL has no fragment (RFC 6455 §3): {url!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"not a valid port in {url!r}") from None
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    secure = parts.scheme == "wss"
    resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    parsed = []
    for header in headers:
        name, colon, value = header.partition(":")
        name = name.strip()
        if not colon or not name or any(c in name for c in " \t\r\n") or "\n" in value:
            raise ValueError(f"a header is 'Name: value' on one line, got {header!r}")
        if name.lower() in _OWN_HEADERS:
            raise ValueError(f"the probe writes {name} itself")
        parsed.append((name, value.strip()))
    return Target(
        url,
        secure,
        parts.hostname,
        port if port is not None else (443 if secure else 80),
        resource,
        tuple(parsed),
        insecure,
    )


def _accept(key: bytes) -> str:
    return base64.b64encode(hashlib.sha1(key + _GUID).digest()).decode("ascii")


def _request(target: Target, key: bytes) -> bytes:
    default_port = 443 if target.secure else 80
    host = target.host if ":" not in target.host else f"[{target.host}]"  # IPv6
    if target.port != default_port:
        host += f":{target.port}"
    fields = {"Host": host}
    lines = [f"GET {target.resource} HTTP/1.1"]
    for name, value in target.headers:
        if name.lower() == "host":  # a virtual host behind a proxy, say
            fields["Host"] = value
        else:
            lines.append(f"{name}: {value}")
    lines[1:1] = [
        f"Host: {fields['Host']}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key.decode('ascii')}",
        "Sec-WebSocket-Version: 13",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def _check_response(head: bytes, key: bytes) -> None:
    """RFC 6455 §4.1's checks of the server's answer, the first failing one raised."""
    status, *header_lines = head.decode("latin-1").split("\r\n")
    if status.split(" ", 2)[1:2] != ["101"]:
        raise HandshakeError(f"the server did not switch to WebSocket: {status!r}")
    fields: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        # Repeated fields join with a comma (RFC 9110 §5.3).
        name = name.strip().lower()
        fields[name] = f"{fields[name]}, {value.strip()}" if name in fields else value.strip()
    if fields.get("upgrade", "").lower() != "websocket":
        raise HandshakeError(f"Upgrade is {fields.get('upgrade')!r}, not websocket")
    tokens = {token.strip().lower() for token in fields.get("connection", "").split(",")}
    if "upgrade" not in tokens:
        raise HandshakeError(f"Connection is {fields.get('connection')!r}, without Upgrade")
    expected = _accept(key)
    if fields.get("sec-websocket-accept") != expected:
        raise HandshakeError(
            f"Sec-WebSocket-Accept is {fields.get('sec-websocket-accept')!r},"
            f" expected {expected!r} for the key sent"
        )
    if "sec-websocket-extensions" in fields:
        # None was offered, so none may be in use (§4.1, §9.1): its RSV bits
        # and frames would change what every scenario means.
        raise HandshakeError(
            f"the server chose an extension that was not offered:"
            f" {fields['sec-websocket-extensions']!r}"
        )


class Connection:
    """One open WebSocket connection to the target, after the opening handshake."""

    def __init__(self, sock: socket.socket, leftover: bytes) -> None:
        self._sock = sock
        #: Every byte the server sent after the handshake, as it came.
        self.received = bytearray(leftover)
        self.end: TcpEnd | None = None

    @classmethod
    def open(cls, target: Target, timeout: float) -> Connection:
        """Connect and do the opening handshake, within *timeout* seconds each step."""
        where = f"{target.host}:{target.port}"
        try:
            sock = socket.create_connection((target.host, target.port), timeout=timeout)
        except OSError as exc:
            raise HandshakeError(f"cannot connect to {where}: {_reason(exc)}") from None
        try:
            if target.secure:
                context = ssl.create_default_context()
                if target.insecure:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                sock = context.wrap_socket(sock, server_hostname=target.host)
            key = base64.b64encode(os.urandom(16))
            sock.sendall(_request(target, key))
            head = bytearray()
            while b"\r\n\r\n" not in head:
                if len(head) > _MAX_HEAD_BYTES:
                    raise HandshakeError(f"no end to the server's response in {len(head)} bytes")
                chunk = sock.recv(4096)
                if not chunk:
                    raise HandshakeError("the server closed the connection during the handshake")
                head += chunk
            end = head.index(b"\r\n\r\n")
            _check_response(bytes(head[:end]), key)
        except HandshakeError:
            sock.close()
            raise
        except (OSError, UnicodeError) as exc:
            sock.close()
            raise HandshakeError(
                f"the opening handshake with {where} failed: {_reason(exc)}"
            ) from None
        return cls(sock, bytes(head[end + 4 :]))

    def send(self, data: bytes) -> None:
        """Write *data*.  A server that already closed or reset the connection
        shows it in what :meth:`read_until` finds, so a failed write says nothing more."""
        with contextlib.suppress(OSError):
            self._sock.sendall(data)

    def half_close(self) -> None:
        """Send FIN and go on reading (``shutdown(SHUT_WR)``).

        Over TLS too, on the socket under it: ``SSLSocket.shutdown`` would end
        the TLS session, and with it the reading this is for.
        """
        socket.socket.shutdown(self._sock, socket.SHUT_WR)

    def read_until(self, deadline: float, done: Callable[[bytes], bool] | None = None) -> None:
        """Read until the server closes TCP or *deadline* (``time.monotonic()``) passes.

        *done*: stop as soon as it is true of the bytes received.  The end of
        TCP, if it came, is in :attr:`end`.
        """
        while self.end is None:
            if done is not None and done(bytes(self.received)):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0 or len(self.received) >= MAX_STREAM_BYTES:
                return
            self._sock.settimeout(remaining)
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                return
            except (ConnectionResetError, ssl.SSLError):
                # A TLS stream cut short without close_notify is a reset too.
                self.end = "reset"
            else:
                if chunk:
                    self.received += chunk
                else:
                    self.end = "closed"

    def reset(self) -> None:
        """Drop the connection with a TCP reset: linger on, for 0 seconds."""
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    def close(self) -> None:
        self._sock.close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"{exc.verify_message} (--insecure skips the check)"
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
