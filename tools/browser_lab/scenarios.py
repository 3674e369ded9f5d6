"""The scenarios the probe server and the test page run, with strict RFC 6455's answer.

A :class:`ServerScenario` is what the server writes after the opening
handshake (exact bytes, built here by hand so that anything can be sent)
and what it then does with TCP.  A :class:`PageScenario` is a JavaScript
statement the page runs on ``open`` (``ws.close(...)``); the server then
waits for the browser's close frame and echoes its payload.

Each scenario carries the *strict* expectation: RFC 6455 read strictly
(as closeframe's default policy and the Autobahn suite read it) plus the
WHATWG WebSocket text for what the page sees, so that the aggregator can
mark where a browser departs from it.  Strict, for a close frame the
server sends: codes 1000-1003, 1007-1014 and 3000-4999 are valid; any
other code, a 1-byte payload, a payload over 125 bytes, a non-minimal
length, a masked frame from the server, an RSV bit not negotiated or a
fragmented control frame fails the connection with 1002; a reason that is
not UTF-8 fails it with 1007.  A failed connection gives the page
``error`` then ``close`` with 1006, not clean.

No third-party imports: the lab must not depend on the codec it measures.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ALL",
    "PAGE_SCENARIOS",
    "SERVER_SCENARIOS",
    "PageScenario",
    "ServerScenario",
    "Strict",
    "by_id",
    "frame",
]

#: What the server does with TCP after writing a scenario's bytes.
#: after-reply: wait (bounded) for the browser's close frame, then close (after a
#: 25 ms linger, probe_server.REPLY_GRACE, in which a FIN from the browser is seen).
#: fin: shutdown(SHUT_WR) at once, then read until the browser closes (bounded).
#: close: close() at once.  rst: SO_LINGER 0, then close(): a reset.
#: wait: never close first; read until the browser closes TCP (bounded).
#: echo (page scenarios): wait for the browser's close frame, echo its
#: payload in an unmasked close frame, linger 25 ms likewise, then close.
TcpMode = Literal["after-reply", "fin", "close", "rst", "wait", "echo"]

CLOSE = 0x8
TEXT = 0x1
PING = 0x9
CONT = 0x0

#: Seconds between a scenario's data and its ``later`` bytes.
LATER_DELAY = 0.05

#: 123 UTF-8 bytes, multi-byte: with the code, the most a close payload holds.
R123 = "é" * 61 + "x"
assert len(R123.encode()) == 123


def frame(  # noqa: PLR0913
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    rsv: int = 0,
    mask_key: bytes | None = None,
    length_form: Literal["auto", "16", "64"] = "auto",
) -> bytes:
    """One frame's bytes, valid or not: any opcode, RSV bits, mask and length form."""
    first = (0x80 if fin else 0) | (rsv & 0x7) << 4 | opcode
    mask_bit = 0x80 if mask_key is not None else 0
    n = len(payload)
    if length_form == "64":
        header = bytes((first, mask_bit | 127)) + n.to_bytes(8, "big")
    elif length_form == "16" or n > 125:
        header = bytes((first, mask_bit | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((first, mask_bit | n))
    if mask_key is None:
        return header + payload
    masked = bytes(b ^ mask_key[i % 4] for i, b in enumerate(payload))
    return header + mask_key + masked


def close_payload(code: int, reason: bytes | str = b"") -> bytes:
    return code.to_bytes(2, "big") + (reason.encode() if isinstance(reason, str) else reason)


def close_frame(code: int, reason: bytes | str = b"") -> bytes:
    return frame(CLOSE, close_payload(code, reason))


@dataclass(frozen=True)
class Strict:
    """What strict RFC 6455 + the WHATWG text predict.

    ``events``: the page's event types in order.  ``code``/``reason``/
    ``was_clean``: its CloseEvent.  ``reply``: the payload (hex) of the close
    frame the browser sends, None for none.  ``thrown``: for a page
    scenario, the DOMException name ``close()`` throws, if any.
    """

    events: tuple[str, ...]
    code: int
    reason: str
    was_clean: bool
    reply: str | None
    thrown: str | None = None
    note: str = ""


VALID_CODES = frozenset([*range(1000, 1004), *range(1007, 1015), *range(3000, 5000)])


def strict_for_payload(payload: bytes) -> Strict:
    """Strict RFC 6455 for a close frame carrying *payload* (well-framed)."""
    fail = Strict(("open", "error", "close"), 1006, "", False, "03ea")
    if not payload:
        return Strict(("open", "close"), 1005, "", True, "")
    if len(payload) == 1 or len(payload) > 125:
        return fail
    code = int.from_bytes(payload[:2], "big")
    if code not in VALID_CODES:
        return fail
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        return Strict(("open", "error", "close"), 1006, "", False, "03ef")
    return Strict(("open", "close"), code, reason, True, payload.hex())


@dataclass(frozen=True)
class ServerScenario:
    id: str
    description: str
    data: bytes  # written in one send after the handshake
    mode: TcpMode
    strict: Strict
    kind: Literal["server"] = "server"
    group: str = ""
    #: Bytes written LATER_DELAY seconds after *data* (before the TCP mode applies).
    later: bytes = b""


@dataclass(frozen=True)
class PageScenario:
    id: str
    description: str
    js: str  # run in the page on open; ``ws`` is the WebSocket
    strict: Strict
    mode: TcpMode = "echo"
    kind: Literal["page"] = "page"
    group: str = "page close()"
    data: bytes = field(default=b"")


FAIL = Strict(("open", "error", "close"), 1006, "", False, "03ea")
BYE = close_payload(1000, "bye")
CLEAN_BYE = Strict(("open", "close"), 1000, "bye", True, BYE.hex())
DROP = Strict(("open", "close"), 1006, "", False, None)
MASK_KEY = bytes.fromhex("37fa213d")


def _codes() -> list[ServerScenario]:
    codes = [*range(1000, 1017), 2000, 2999, 0, 999, 3000, 3999, 4000, 4999, 5000, 65535]
    out = []
    for code in codes:
        for suffix, reason in (("", ""), ("-bye", "bye")):
            payload = close_payload(code, reason)
            label = f'close {code} "{reason}"' if reason else f"close {code}"
            strict = strict_for_payload(payload)
            out.append(
                ServerScenario(
                    f"code-{code}{suffix}", label, frame(CLOSE, payload), "after-reply", strict,
                    group="codes",
                )
            )  # fmt: skip
    return out


def _payloads() -> list[ServerScenario]:
    p = close_payload
    table = [
        ("empty", "close, empty payload", b""),
        ("one-byte", "close, 1-byte payload 03", b"\x03"),
        ("r123-multibyte", "close 1000 + 123-byte multi-byte reason (125)", p(1000, R123)),
        ("r123-ascii", "close 1000 + 123 x 'a' (125)", p(1000, "a" * 123)),
        ("reason-4byte", "close 1000 + U+1F600 (4-byte UTF-8)", p(1000, "\U0001f600")),
        ("reason-nul", 'close 1000 "a\\0b": a NUL inside the reason', p(1000, "a\0b")),
        ("utf8-overlong2", "reason C0 AF: overlong '/'", p(1000, b"\xc0\xaf")),
        ("utf8-overlong3", "reason E0 80 AF: overlong '/', 3 bytes", p(1000, b"\xe0\x80\xaf")),
        ("utf8-surrogate", "reason ED A0 80: surrogate U+D800", p(1000, b"\xed\xa0\x80")),
        ("utf8-truncated-end", 'reason "ok" E2 82: cut at the end', p(1000, b"ok\xe2\x82")),
        ("utf8-truncated-mid", "reason E2 82 41: cut by 'A'", p(1000, b"\xe2\x82A")),
        ("utf8-lone-continuation", "reason 80: lone continuation byte", p(1000, b"\x80")),
        ("utf8-f5", "reason F5 80 80 80: lead byte F5+", p(1000, b"\xf5\x80\x80\x80")),
        ("utf8-ff", "reason FF", p(1000, b"\xff")),
        ("utf8-above-max", "reason F4 90 80 80: above U+10FFFF", p(1000, b"\xf4\x90\x80\x80")),
        ("code-1005-badutf8", "close 1005 + reason FF: which check first", p(1005, b"\xff")),
        ("code-999-badutf8", "close 999 + reason FF: which check first", p(999, b"\xff")),
    ]
    return [
        ServerScenario(
            sid, label, frame(CLOSE, payload), "after-reply", strict_for_payload(payload),
            group="payloads",
        )
        for sid, label, payload in table
    ]  # fmt: skip


def _framing() -> list[ServerScenario]:
    a124, a123 = close_payload(1000, "a" * 124), close_payload(1000, "a" * 123)
    close_bye = frame(CLOSE, BYE)
    message_then_fail = Strict(("open", "message", "error", "close"), 1006, "", False, "03ea")
    message_then_bye = Strict(("open", "message", "close"), 1000, "bye", True, BYE.hex())
    table = [
        ("len126", "close payload of 126 bytes (16-bit length)", frame(CLOSE, a124), FAIL),
        ("len16-125", "125-byte payload, 16-bit length form (7E 00 7D)",
         frame(CLOSE, a123, length_form="16"), FAIL),
        ("len64-5", 'close 1000 "bye", 64-bit length form (7F ...)',
         frame(CLOSE, BYE, length_form="64"), FAIL),
        ("masked", 'masked close 1000 "bye" from the server',
         frame(CLOSE, BYE, mask_key=MASK_KEY), FAIL),
        ("rsv1", 'close 1000 "bye", RSV1 (no extension agreed)', frame(CLOSE, BYE, rsv=4), FAIL),
        ("rsv2", 'close 1000 "bye" with RSV2', frame(CLOSE, BYE, rsv=2), FAIL),
        ("rsv3", 'close 1000 "bye" with RSV3', frame(CLOSE, BYE, rsv=1), FAIL),
        ("fin0", 'close 1000 "bye" with FIN=0, nothing after', frame(CLOSE, BYE, fin=False), FAIL),
        ("fin0-cont", 'close FIN=0 "03e8" + continuation FIN=1 "bye"',
         frame(CLOSE, BYE[:2], fin=False) + frame(CONT, BYE[2:]), FAIL),
        ("text-after", 'close 1000 "bye", then text "late" (one write)',
         close_bye + frame(TEXT, b"late"), CLEAN_BYE),
        ("close-after", 'close 1000 "bye", then close 1001 "again" (one write)',
         close_bye + close_frame(1001, "again"), CLEAN_BYE),
        ("ping-after", 'close 1000 "bye", then ping "ping" (one write)',
         close_bye + frame(PING, b"ping"), CLEAN_BYE),
        ("text-before", 'text "hello", then close 1000 "bye" (one write)',
         frame(TEXT, b"hello") + close_bye, message_then_bye),
        ("text-before-len126", 'text "hello", then a 126-byte close (one write)',
         frame(TEXT, b"hello") + frame(CLOSE, a124), message_then_fail),
        ("opcode-3", 'reserved data opcode 3 "bye", nothing after', frame(0x3, b"bye"), FAIL),
        ("opcode-b", 'reserved control opcode 0xB "bye", nothing after', frame(0xB, b"bye"), FAIL),
    ]  # fmt: skip
    out = [
        ServerScenario(sid, label, data, "after-reply", strict, group="framing")
        for sid, label, data, strict in table
    ]
    delayed = [
        ("text-after-delayed", 'text "late" 50 ms after close 1000 "bye"', frame(TEXT, b"late")),
        ("close-after-delayed", 'close 1001 "again" 50 ms after close 1000 "bye"',
         close_frame(1001, "again")),
        ("ping-after-delayed", 'ping "ping" 50 ms after close 1000 "bye"', frame(PING, b"ping")),
    ]  # fmt: skip
    out += [
        ServerScenario(
            sid, label, close_bye, "after-reply", CLEAN_BYE, group="framing", later=later
        )
        for sid, label, later in delayed
    ]
    return out


def _tcp() -> list[ServerScenario]:
    close_bye = frame(CLOSE, BYE)
    after_close = "TCP closed by the server at once; the reply may meet a reset"
    after_rst = "the reset may arrive before the browser reads the close frame"
    table: list[tuple[str, str, bytes, TcpMode, Strict]] = [
        ("drop-close", "nothing sent; close() TCP", b"", "close", DROP),
        ("drop-fin", "nothing sent; shutdown(SHUT_WR), wait for the browser", b"", "fin", DROP),
        ("drop-rst", "nothing sent; reset (SO_LINGER 0)", b"", "rst", DROP),
        ("tcp-after-reply", 'close 1000 "bye"; close TCP once the reply arrives',
         close_bye, "after-reply", CLEAN_BYE),
        ("tcp-fin", 'close 1000 "bye"; shutdown(SHUT_WR) at once', close_bye, "fin", CLEAN_BYE),
        ("tcp-close", 'close 1000 "bye"; close() at once', close_bye, "close",
         Strict(("open", "close"), 1000, "bye", True, BYE.hex(), note=after_close)),
        ("tcp-rst", 'close 1000 "bye"; reset at once (SO_LINGER 0)', close_bye, "rst",
         Strict(("open", "close"), 1000, "bye", True, BYE.hex(), note=after_rst)),
        ("tcp-wait", 'close 1000 "bye"; the server never closes TCP first',
         close_bye, "wait", CLEAN_BYE),
    ]  # fmt: skip
    return [
        ServerScenario(sid, label, data, mode, strict, group="tcp")
        for sid, label, data, mode, strict in table
    ]


def _server_scenarios() -> list[ServerScenario]:
    return [*_codes(), *_payloads(), *_framing(), *_tcp()]


def _page(
    sid: str, js: str, thrown: str | None, sent: bytes | None, note: str = ""
) -> PageScenario:
    """*sent*: the close payload WHATWG sends (None: throws, then ``ws.close()``: empty)."""
    payload = b"" if sent is None else sent
    if payload:
        code, reason = int.from_bytes(payload[:2], "big"), payload[2:].decode()
    else:
        code, reason = 1005, ""
    strict = Strict(("open", "close"), code, reason, True, payload.hex(), thrown=thrown, note=note)
    return PageScenario(f"page-{sid}", js, js, strict)


def _page_scenarios() -> list[PageScenario]:
    p = close_payload
    ia, se = "InvalidAccessError", "SyntaxError"
    return [
        _page("noargs", "ws.close()", None, b""),
        _page("undefined", "ws.close(undefined)", None, b""),
        _page("1000", "ws.close(1000)", None, p(1000)),
        _page("1000-bye", 'ws.close(1000, "bye")', None, p(1000, "bye")),
        _page("1000-empty", 'ws.close(1000, "")', None, p(1000)),
        _page("undefined-bye", 'ws.close(undefined, "bye")', None, p(1000, "bye"),
              "WHATWG: a reason without a code is sent with 1000"),
        _page("undefined-empty", 'ws.close(undefined, "")', None, p(1000)),
        _page("3000", "ws.close(3000)", None, p(3000)),
        _page("4999", "ws.close(4999)", None, p(4999)),
        _page("4000-bye", 'ws.close(4000, "bye")', None, p(4000, "bye")),
        _page("3000.5", "ws.close(3000.5)", None, p(3000), "[Clamp]: round half to even"),
        _page("999.9", "ws.close(999.9)", None, p(1000), "[Clamp] rounds 999.9 to 1000"),
        _page("1000.4", "ws.close(1000.4)", None, p(1000)),
        _page("4999.5", "ws.close(4999.5)", ia, None, "[Clamp]: half to even gives 5000"),
        _page("-1", "ws.close(-1)", ia, None, "[Clamp] gives 0"),
        _page("65536", "ws.close(65536)", ia, None, "[Clamp] gives 65535"),
        _page("infinity", "ws.close(Infinity)", ia, None, "[Clamp] gives 65535"),
        _page("nan", "ws.close(NaN)", ia, None, "[Clamp] gives 0"),
        _page("string-1000", 'ws.close("1000")', None, p(1000)),
        _page("string-abc", 'ws.close("abc")', ia, None, "NaN, so 0"),
        _page("null", "ws.close(null)", ia, None, "null is 0"),
        _page("0", "ws.close(0)", ia, None),
        _page("1001", "ws.close(1001)", ia, None),
        _page("1005", "ws.close(1005)", ia, None),
        _page("1015", "ws.close(1015)", ia, None),
        _page("2000", "ws.close(2000)", ia, None),
        _page("2999", "ws.close(2999)", ia, None),
        _page("5000", "ws.close(5000)", ia, None),
        _page("1000-r123", 'ws.close(1000, "x".repeat(123))', None, p(1000, "x" * 123)),
        _page("1000-r123-multibyte", 'ws.close(1000, "é".repeat(61) + "x")', None, p(1000, R123)),
        _page("1000-r124", 'ws.close(1000, "x".repeat(124))', se, None),
        _page("1000-r124-multibyte", 'ws.close(1000, "é".repeat(62))', se, None),
        _page("1000-surrogate", 'ws.close(1000, "\\ud800")', None, p(1000, "\ufffd"),
              "USVString: a lone surrogate becomes U+FFFD"),
        _page("1000-nul", 'ws.close(1000, "a\\u0000b")', None, p(1000, "a\0b")),
        _page("1000-number-reason", "ws.close(1000, 42)", None, p(1000, "42")),
        _page("1001-r124", 'ws.close(1001, "x".repeat(124))', ia, None, "code checked first"),
        _page("twice", 'ws.close(1000, "a"); ws.close(3000, "b")', None, p(1000, "a"),
              "the second close() does nothing"),
    ]  # fmt: skip


SERVER_SCENARIOS: list[ServerScenario] = _server_scenarios()
PAGE_SCENARIOS: list[PageScenario] = _page_scenarios()
ALL: list[ServerScenario | PageScenario] = [*SERVER_SCENARIOS, *PAGE_SCENARIOS]


def by_id() -> dict[str, ServerScenario | PageScenario]:
    table = {s.id: s for s in ALL}
    assert len(table) == len(ALL), "duplicate scenario ids"
    return table


def fingerprint() -> str:
    """A short hash of every scenario's definition, stored with each run."""
    digest = hashlib.sha256()
    for s in ALL:
        extra = getattr(s, "js", None) or getattr(s, "later", b"")
        digest.update(repr((s.id, s.kind, s.mode, s.data, extra)).encode())
    return digest.hexdigest()[:12]
