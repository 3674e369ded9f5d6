"""A differential: ws's own receiver against :func:`parse_close_payload`.

Every close payload below goes, framed, through a fresh ``ws`` ``Receiver``
(``node ws_peer.mjs verdicts``); its verdict (accept, with code and reason,
or fail, with the close code and ws's error code) is set against
closeframe's (the :class:`Close`, or the error and its ``close_code``).
The inputs: every code 0-65535 with an empty, a valid and an invalid
reason; and a corpus of reasons with every kind of invalid UTF-8 (each lone
byte, each two-byte sequence from a non-ASCII lead, three- and four-byte
sequences over every second byte, five- and six-byte forms, truncations),
each short (ws validates under 24 bytes in JavaScript) and long (over 24
bytes, Node's ``buffer.isUtf8``), and valid reasons up to and past the
123-byte limit.  Differences are listed in :data:`EXPLAINED`, each with its
section of docs/comparison.rst; any other fails.
"""

from __future__ import annotations

import collections
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

from test_ws import PEER, node

from closeframe import (
    CloseFrameError,
    InvalidCodeError,
    InvalidReasonError,
    parse_close_payload,
)

HERE = Path(__file__).resolve().parent

#: (closeframe's verdict, ws's verdict) -> why they differ (docs/comparison.rst, "ws").
#: Empty: on every input below the two agree, down to the kind of error.
EXPLAINED: dict[tuple[str, str], str] = {}

#: closeframe's error kinds, named as ws names the same check's failure.
WS_ERRORS = {
    InvalidReasonError: "WS_ERR_INVALID_UTF8",
    InvalidCodeError: "WS_ERR_INVALID_CLOSE_CODE",
}
LENGTH_ERROR = "WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH"

CODE_1000 = b"\x03\xe8"
PAD = b"a" * 30  # makes ws's reason buffer at least 24 bytes: Node's validator


def invalid_utf8() -> Iterator[bytes]:
    """Byte strings covering every way UTF-8 goes wrong (and the valid neighbours)."""
    for lead in range(256):
        yield bytes((lead,))  # lone bytes: continuations, C0/C1/F5-FF, truncated leads
    for lead in range(0xC0, 0x100):
        for second in range(256):
            yield bytes((lead, second))  # overlong C0/C1, truncations, bad continuations
    for lead in range(0xE0, 0xF0):
        for second in range(0x80, 0xC0):
            for third in (0x00, 0x7F, 0x80, 0xBF, 0xC0):
                yield bytes((lead, second, third))  # overlong E0, surrogates ED A0-BF
    for lead in range(0xF0, 0xF8):
        for second in range(0x80, 0xC0):
            for fourth in (0x7F, 0x80, 0xBF):
                yield bytes((lead, second, 0x80, fourth))  # overlong F0, past U+10FFFF
    yield b"\xf8\x88\x80\x80\x80"  # five- and six-byte forms (RFC 2279, not UTF-8)
    yield b"\xfc\x84\x80\x80\x80\x80"
    yield b"\xef\xbb\xbf"  # a BOM: valid, kept
    yield "\ufffe\uffff\U0010ffff\x00".encode()  # noncharacters and NUL: valid


def valid_reasons() -> Iterator[bytes]:
    for text in ("", "a", "bye", "é€😀", "x" * 123, "x" * 124, "€" * 41, "€" * 40 + "xyz"):
        yield text.encode()
    yield "😀".encode() * 30 + b"xyz"  # 123 bytes of four-byte characters
    yield "😀".encode() * 31  # 124: one byte too many


def inputs() -> Iterator[bytes]:
    for code in range(65536):
        head = code.to_bytes(2, "big")
        yield head
        yield head + b"ok"
        yield head + b"\xff"  # which check comes first: the code or the reason
    yield b""
    for byte in range(256):
        yield bytes((byte,))  # one byte: too short for a code
    for reason in valid_reasons():
        yield CODE_1000 + reason
    for sequence in invalid_utf8():
        yield CODE_1000 + sequence  # ws's JavaScript validator (under 24 bytes)
        yield CODE_1000 + PAD + sequence  # Node's buffer.isUtf8, at the end
        yield CODE_1000 + PAD + sequence + PAD  # and in the middle
        yield b"\x0f\xa0" + sequence + b"z"  # 4000, short, not at the end


def closeframe_verdict(payload: bytes) -> str:
    try:
        close = parse_close_payload(payload)
    except CloseFrameError as exc:
        kind = next((name for cls, name in WS_ERRORS.items() if isinstance(exc, cls)), None)
        return f"fail {exc.close_code} {kind or LENGTH_ERROR}"
    return f"ok {int(close.code)} {close.reason.encode().hex()}"


def ws_verdicts(payloads: list[bytes]) -> list[str]:
    stdin = "".join(payload.hex() + "\n" for payload in payloads)
    result = subprocess.run(
        [node(), str(PEER), "verdicts"],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE,
        timeout=600,
    )
    verdicts = []
    for line in result.stdout.splitlines():
        verdict = json.loads(line)
        if "ok" in verdict:
            verdicts.append("ok {} {}".format(*verdict["ok"]))
        else:
            verdicts.append("fail {} {}".format(*verdict["fail"]))
    return verdicts


def test_ws_receiver_agrees_with_parse_close_payload() -> None:
    payloads = list(dict.fromkeys(inputs()))  # each input once
    theirs = ws_verdicts(payloads)
    assert len(theirs) == len(payloads)
    differences: collections.Counter[tuple[str, str]] = collections.Counter()
    examples: dict[tuple[str, str], bytes] = {}
    for payload, their in zip(payloads, theirs, strict=True):
        our = closeframe_verdict(payload)
        if our != their:
            key = (our.rsplit(" ", 1)[0] if our.startswith("ok") else our, their.split(" ")[0])
            differences[key] += 1
            examples.setdefault(key, payload)
    unexplained = {
        key: (count, examples[key].hex())
        for key, count in differences.items()
        if key not in EXPLAINED
    }
    assert unexplained == {}, f"{len(payloads)} inputs"
    # Every explained difference still happens: a fixed one must leave the table.
    assert set(EXPLAINED) <= set(differences)
    # The corpus reaches every verdict both sides can give.
    kinds = collections.Counter(
        "ok" if verdict.startswith("ok") else verdict.rsplit(" ", 1)[1] for verdict in theirs
    )
    assert set(kinds) == {"ok", LENGTH_ERROR, *WS_ERRORS.values()}
    print(f"{len(payloads)} inputs; ws: {dict(kinds)}; differences: {dict(differences)}")
