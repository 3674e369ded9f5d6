"""The close-payload benchmark suite: closeframe against the floor and its peers.

Run with ``tox -e bench`` (full) or ``tox -e bench -- --fast`` (a quick check);
see ``benchmarks/README.md``.  Every contender is timed in one pyperf run, on
the same payloads, in worker processes pyperf spawns; the parent process then
prints the tables and writes the pyperf JSON (``--json PATH``).

The contenders, for parsing a close payload:

``floor``
    The least work a correct parser must do: ``struct.Struct("!H").unpack_from``
    for the code and ``data[2:].decode()`` for the reason, in a plain function.
``closeframe``
    ``parse_close_payload(data)``.
``closeframe event``
    ``CloseEvent.from_payload(data, was_clean=True)``: parse, then the event.
``websockets``
    ``websockets.frames.Close.parse(data)``.
``wsproto close``
    wsproto's close handling on an already-framed payload:
    ``FrameProtocol._process_close(Frame(Opcode.CLOSE, data, True, True))``
    (the ``Frame`` is built once, outside the timed loop).
``wsproto frame``
    A whole close frame through a fresh ``FrameProtocol(client=True,
    extensions=[])``: ``receive_bytes(frame)`` then ``received_frames()``.
    A fresh protocol per frame is the minimum: after a close frame, wsproto's
    frame protocol yields nothing more.
``aiohttp``
    aiohttp's compiled reader: ``WebSocketReader._handle_frame(True, 8,
    payload, 0)`` of ``aiohttp._websocket.reader_c``, which queues the message.
``picows``
    ``frame.get_close_code()`` and ``frame.get_close_reason()`` on a received
    ``WSFrame`` (built once, outside the timed loop).

The frame path: ``read_close_frame`` on a masked client frame with a
125-byte payload and on an unmasked code-only server frame, against a
plain-Python floor, websockets' frame parser, wsproto's ``FrameProtocol``
and aiohttp's ``WebSocketReader.feed_data``; ``encode_close_frame`` with a
fresh mask key, against websockets and wsproto.  ``PEER_GAPS`` says what
each new peer checks and skips.

and for serializing one: ``floor`` (``pack(code) + reason.encode()``),
``closeframe`` (``serialize_close_payload(code, reason)``), ``websockets``
(``Close(code, reason).serialize()``) and ``wsproto frame``
(``FrameProtocol(client=False, ...).close(code, reason)``, which builds the
whole frame, unmasked as a server sends it: wsproto has no payload-only
serializer).

Each contender has its own timing loop, so no wrapper function adds a call to
one contender and not to another.  On the error rows the loop catches the
contender's own exception on every iteration: that is part of the time.

``--instructions`` counts instructions per call of the same loops under
callgrind instead of timing them (``instructions.py``).
"""

from __future__ import annotations

import collections
import importlib
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from time import perf_counter
from typing import Any

import pyperf
import websockets
import websockets.exceptions
import websockets.frames
import websockets.streams
import wsproto.frame_protocol as wsfp
from picows import WSMsgType as PicowsMsgType
from picows import picows as picows_module

import closeframe
from closeframe import (
    Close,
    CloseCode,
    CloseEvent,
    CloseFrameError,
    InvalidReasonError,
    encode_close_frame,
    parse_close_payload,
    read_close_frame,
    serialize_close_payload,
)

# aiohttp's compiled reader has no type information; the benchmark uses three names of it.
aiohttp_reader: Any = importlib.import_module("aiohttp._websocket.reader_c")
aiohttp_models: Any = importlib.import_module("aiohttp._websocket.models")

# --------------------------------------------------------------------------
# The floor: the least work a correct parser (and serializer) must do.

_unpack_code = struct.Struct("!H").unpack_from
_pack_code = struct.Struct("!H").pack


def floor_parse(data: bytes) -> tuple[int, str]:
    """The code and the reason, with no check beyond what decoding does."""
    (code,) = _unpack_code(data)
    return code, data[2:].decode()


def floor_serialize(code: int, reason: str) -> bytes:
    """The 2-byte code, then the UTF-8 reason."""
    return _pack_code(code) + reason.encode()


# --------------------------------------------------------------------------
# The peers.

WsClose = websockets.frames.Close
_WSPROTO_PROTOCOL = wsfp.FrameProtocol(client=True, extensions=[])
# _process_close reads only the frame it is given: one protocol serves every call.
wsproto_process_close = _WSPROTO_PROTOCOL._process_close
# Serializing as a server: its frames are unmasked, so no mask is drawn and applied.
wsproto_close_frame = wsfp.FrameProtocol(client=False, extensions=[]).close


def wsproto_frame(frame: bytes) -> object:
    """A whole close frame through a fresh wsproto ``FrameProtocol``."""
    protocol = wsfp.FrameProtocol(client=True, extensions=[])
    protocol.receive_bytes(frame)
    for received in protocol.received_frames():
        return received
    raise AssertionError("wsproto returned no frame")  # pragma: no cover


def as_wsproto_frame(payload: bytes) -> wsfp.Frame:
    """The already-framed payload ``_process_close`` takes."""
    return wsfp.Frame(wsfp.Opcode.CLOSE, payload, True, True)


def as_wire_frame(payload: bytes) -> bytes:
    """An unmasked, final close frame, as a server sends it to a client."""
    assert len(payload) <= 125
    return bytes([0x88, len(payload)]) + payload


class _PausedProtocol:
    """The transport side of aiohttp's queue, should it fill: reading already paused."""

    _reading_paused = True


def _aiohttp_reader() -> tuple[Any, Any]:
    """aiohttp's compiled ``WebSocketReader`` and its queue, the queue holding one message.

    The reader hands every message to its queue, whose deque would grow by
    one entry per call in a timing loop; the deque is built by a module-level
    ``deque()``, so for this one queue that name gives a deque that keeps the
    last message only (an append still happens on every call, as in use).
    """
    original = aiohttp_reader.deque
    aiohttp_reader.deque = lambda: collections.deque(maxlen=1)
    try:
        # Nothing reads the queue, so its byte count only grows; past its limit
        # the frame reader would stall.  A limit of 2**30 (the queue doubles
        # it) holds some 50 million messages, more than a pyperf worker sends;
        # past it, the protocol says reading is paused already.
        queue = aiohttp_reader.WebSocketDataQueue(_PausedProtocol(), 2**30, loop=None)
    finally:
        aiohttp_reader.deque = original
    # max_msg_size=0 (no limit), compress=False, decode_text=True.
    return aiohttp_reader.WebSocketReader(queue, 0, False, True), queue


_AIOHTTP_READER, _AIOHTTP_QUEUE = _aiohttp_reader()
_AIOHTTP_CLOSE_OPCODE = 0x8
# cpdef methods of a cdef class: called from Python like any bound method.
aiohttp_feed_data = _AIOHTTP_READER.feed_data
_aiohttp_handle_frame = _AIOHTTP_READER._handle_frame


def aiohttp_last_message() -> Any:
    """The message aiohttp's reader queued last: ``(type, code, reason)``."""
    message, _size = _AIOHTTP_QUEUE._buffer[-1]
    return message


def as_picows_frame(payload: bytes) -> Any:
    """picows's received ``WSFrame`` over a close payload, built outside the timed loop.

    picows parses frames inside its asyncio protocol only; ``_make_test_ws_frame``
    is the constructor its own tests use for a frame as ``on_ws_frame`` receives it.
    """
    return picows_module._make_test_ws_frame(PicowsMsgType.CLOSE, payload, True, False)


def picows_parse(frame: Any) -> tuple[Any, str | None]:
    """What a picows listener calls on a close frame: the code, then the reason."""
    return frame.get_close_code(), frame.get_close_reason()


# --------------------------------------------------------------------------
# Whole frames: the floor and the peers' frame readers and writers.

_MASK_BIT = 0x80
_CLOSE_HEAD = 0x88  # FIN + opcode 8


def _mask(payload: bytes, key: bytes) -> bytes:
    """XOR with the 4-byte key, as two integers: the fastest plain-Python unmasking."""
    length = len(payload)
    pad = (key * (length // 4 + 1))[:length]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(pad, "big")).to_bytes(length, "big")


def floor_read_frame(frame: bytes) -> tuple[int, str]:
    """The least work to read a close frame: its first byte, length, key and payload."""
    if frame[0] != _CLOSE_HEAD:
        raise ValueError("not a final close frame")
    second = frame[1]
    length = second & 0x7F
    if second & _MASK_BIT:
        return floor_parse(_mask(frame[6 : 6 + length], frame[2:6]))
    return floor_parse(frame[2 : 2 + length])


def floor_encode_masked(code: int, reason: str) -> bytes:
    """A masked close frame with a fresh key: header, key, masked payload."""
    payload = _pack_code(code) + reason.encode()
    key = os.urandom(4)
    return bytes((_CLOSE_HEAD, _MASK_BIT | len(payload))) + key + _mask(payload, key)


def closeframe_encode_masked(code: int, reason: str) -> bytes:
    """closeframe draws no key itself: the caller passes one, drawn fresh."""
    return encode_close_frame(code, reason, mask_key=os.urandom(4))


WsFrame = websockets.frames.Frame
WsStreamReader = websockets.streams.StreamReader


def websockets_read_frame(frame: bytes, *, mask: bool) -> websockets.frames.Close:
    """websockets' frame parser (C ``apply_mask``) and then its close-payload parser."""
    reader = WsStreamReader()
    reader.feed_data(frame)
    parser = WsFrame.parse(reader.read_exact, mask=mask)
    try:
        next(parser)
    except StopIteration as done:
        return WsClose.parse(done.value.data)
    raise AssertionError("websockets wanted more bytes")  # pragma: no cover


def websockets_read_client_frame(frame: bytes) -> websockets.frames.Close:
    return websockets_read_frame(frame, mask=True)


def websockets_read_server_frame(frame: bytes) -> websockets.frames.Close:
    return websockets_read_frame(frame, mask=False)


def websockets_encode_masked(code: int, reason: str) -> bytes:
    """A client's close frame: the payload, then the frame, which draws its key."""
    return WsFrame(websockets.frames.Opcode.CLOSE, WsClose(code, reason).serialize()).serialize(
        mask=True
    )


def wsproto_server_frame(frame: bytes) -> object:
    """A client's (masked) frame through a fresh server-side ``FrameProtocol``."""
    protocol = wsfp.FrameProtocol(client=False, extensions=[])
    protocol.receive_bytes(frame)
    for received in protocol.received_frames():
        return received
    raise AssertionError("wsproto returned no frame")  # pragma: no cover


# Serializing as a client: wsproto draws the key and masks.
wsproto_masked_close_frame = wsfp.FrameProtocol(client=True, extensions=[]).close


def as_masked_frame(payload: bytes, key: bytes = bytes.fromhex("37fa213d")) -> bytes:
    """A masked, final close frame, as a client sends it to a server."""
    assert len(payload) <= 125
    return bytes([_CLOSE_HEAD, _MASK_BIT | len(payload)]) + key + _mask(payload, key)


# Each contender's own errors: what a caller of it must catch.
FLOOR_ERRORS = (struct.error, UnicodeDecodeError)
CLOSEFRAME_ERRORS = (CloseFrameError,)
WEBSOCKETS_ERRORS = (websockets.exceptions.ProtocolError, UnicodeDecodeError)
WSPROTO_ERRORS = (wsfp.ParseFailed,)
AIOHTTP_ERRORS = (aiohttp_models.WebSocketError,)
# picows's WSFrame checks nothing; only the reason's decode can fail.
PICOWS_ERRORS = (UnicodeDecodeError,)

# --------------------------------------------------------------------------
# The payloads.


def _max_reason() -> str:
    """A reason of exactly 123 UTF-8 bytes, mostly 2-, 3- and 4-byte characters."""
    pieces = "Schließung · 終了しました · 🔒 переподключение "
    reason = ""
    index = 0
    while len((reason + pieces[index % len(pieces)]).encode()) <= 123:
        reason += pieces[index % len(pieces)]
        index += 1
    return reason + "." * (123 - len(reason.encode()))


SHORT_REASON = "server shutting down"  # 20 ASCII bytes
MAX_REASON = _max_reason()
assert len(SHORT_REASON.encode()) == 20
assert len(MAX_REASON.encode()) == 123
assert len(MAX_REASON) < 123  # multi-byte characters

CODE_ONLY = bytes.fromhex("03e8")
SHORT = CODE_ONLY + SHORT_REASON.encode()
LONGEST = CODE_ONLY + MAX_REASON.encode()
# A valid code, then a reason whose last character is cut short (1007).
BAD_UTF8 = CODE_ONLY + b"server shutting \xe2\x82"
# 1006 names a local condition: it must never appear on the wire (1002).
BAD_CODE = bytes.fromhex("03ee")

_SENDABLE = [*range(1000, 1004), *range(1007, 1015), *range(3000, 5000)]
_COMMON = [1000, 1000, 1000, 1001, 1001, 1011, 1008, 1003, 4000]
_REFUSED = [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]
_BAD_UTF8_TAILS = [
    b"\xff",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xe2\x82",
    b"\xf4\x90\x80\x80",
    b"\x80",
]
_TEXT = "abc xyz é ß € 終 🔒"


def _random_reason(rng: random.Random, max_bytes: int) -> bytes:
    reason = b""
    for _ in range(rng.randrange(1, 60)):
        char = rng.choice(_TEXT).encode()
        if len(reason) + len(char) > max_bytes:
            break
        reason += char
    return reason


def mixed_stream(seed: int = 6455, size: int = 64) -> list[bytes]:
    """A fixed list of payloads drawn like a fuzzer's input: valid and invalid mixed.

    Lengths stay within the 125 bytes a control frame carries, so every
    contender sees the same inputs (the peers check the length in their
    frame layer, not in their close-payload parser).
    """
    rng = random.Random(seed)
    stream: list[bytes] = []
    for _ in range(size):
        kind = rng.choices(
            ["common", "reason", "empty", "short", "refused", "bad-utf8", "random"],
            weights=[20, 25, 3, 3, 15, 14, 20],
        )[0]
        if kind == "common":
            payload = _pack_code(rng.choice(_COMMON))
        elif kind == "reason":
            payload = _pack_code(rng.choice(_SENDABLE)) + _random_reason(rng, 123)
        elif kind == "empty":
            payload = b""
        elif kind == "short":
            payload = bytes([rng.randrange(256)])
        elif kind == "refused":
            code = rng.choice(_REFUSED)
            payload = _pack_code(code) + (_random_reason(rng, 40) if rng.random() < 0.5 else b"")
        elif kind == "bad-utf8":
            head = _random_reason(rng, 100)
            tail = rng.choice(_BAD_UTF8_TAILS)
            payload = _pack_code(rng.choice(_SENDABLE)) + head + tail
        else:
            payload = rng.randbytes(rng.randrange(2, 126))
        stream.append(payload[:125])
    return stream


MIXED = mixed_stream()


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    payload: bytes | None  # None for the mixed stream
    valid: bool


PARSE_ROWS = [
    Row("code-only", "code only (03e8)", CODE_ONLY, valid=True),
    Row("short-reason", "short reason (20 B ASCII)", SHORT, valid=True),
    Row("max-reason", "123 B multi-byte reason", LONGEST, valid=True),
    Row("bad-utf8", "invalid UTF-8 reason (error)", BAD_UTF8, valid=False),
    Row("bad-code", "invalid code 1006 (error)", BAD_CODE, valid=False),
    Row("mixed", f"mixed stream ({len(MIXED)}, per payload)", None, valid=False),
]

SERIALIZE_ROWS: list[tuple[str, str, int, str]] = [
    ("code-only", "code only (1000)", 1000, ""),
    ("short-reason", "short reason (20 B ASCII)", 1000, SHORT_REASON),
    ("max-reason", "123 B multi-byte reason", 1000, MAX_REASON),
]

PARSE_CONTENDERS = [
    "floor",
    "closeframe",
    "closeframe (python)",
    "closeframe bytearray",
    "closeframe memoryview",
    "closeframe event",
    "websockets",
    "wsproto close",
    "wsproto frame",
    "aiohttp",
    "picows",
]
SERIALIZE_CONTENDERS = [
    "floor",
    "closeframe",
    "closeframe (python)",
    "websockets",
    "wsproto frame",
]

# The frame path: what a stack calls on the bytes from its socket.
CLIENT_FRAME = as_masked_frame(LONGEST)  # masked, 125-byte payload: what a server reads
SERVER_FRAME = as_wire_frame(CODE_ONLY)  # unmasked, code only: what a client reads
assert len(CLIENT_FRAME) == 131


@dataclass(frozen=True)
class FrameRow:
    key: str
    label: str
    frame: bytes
    masked: bool


READ_ROWS = [
    FrameRow("masked-125", "client frame, masked, 125 B payload", CLIENT_FRAME, masked=True),
    FrameRow("code-only", "server frame, unmasked, code only", SERVER_FRAME, masked=False),
]
READ_CONTENDERS = ["floor", "closeframe", "websockets", "wsproto frame", "aiohttp"]
# Encoding a client's close frame, a fresh key each time (1000 and the 20-byte reason).
ENCODE_ROWS: list[tuple[str, str, int, str]] = [
    ("masked-short", "masked, 1000 + 20 B ASCII reason", 1000, SHORT_REASON),
]
ENCODE_CONTENDERS = ["floor", "closeframe", "websockets", "wsproto frame"]

# What each peer checks, and skips, on the same payloads (check_contenders
# verifies it): a row where a peer skips a check does not compare like with like.
PEER_GAPS: dict[str, str] = {
    "aiohttp": (
        "refuses codes under 3000 that are not in its WSCloseCode (so it accepts 1006),"
        " accepts every code from 3000 to 65535 (5000+ included); empty payload -> code 0;"
        " no length check below its frame reader"
    ),
    "picows": (
        "WSFrame.get_close_code checks nothing: every code 0-65535 is accepted (1005, 1006,"
        " 1015, 0-999, 1016-2999, 5000+); a 1-byte or empty payload -> code 0 (NO_INFO);"
        " no reason -> None; only the reason's UTF-8 is checked (str from UTF-8)"
    ),
}
# The rows a peer passes only by skipping a check: it returns a value where an error is due.
LAX_ROWS = {("bad-code", "aiohttp"), ("bad-code", "picows")}


def python_twin(function: Any) -> Any:
    """The pure-Python function behind a compiled one (a built-in bound to its
    tables, which keep their twin as ``fallback``), or *function* itself."""
    return getattr(getattr(function, "__self__", None), "fallback", function)


# The pure-Python codec, side by side with the compiled one when that runs.
PYTHON_PARSE: Callable[[Any], object] = python_twin(parse_close_payload)
PYTHON_SERIALIZE: Callable[[int, str], object] = python_twin(serialize_close_payload)

# The floor of both error rows is the floor's own failing decode.
ERROR_FLOOR = "parse bad-utf8: floor"

# --------------------------------------------------------------------------
# Timing loops: one per shape of call, so each contender is called directly.


def loop_call(loops: int, func: Callable[[Any], object], arg: object) -> float:
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        func(arg)
    return perf_counter() - start


def loop_call_error(
    loops: int, func: Callable[[Any], object], arg: object, errors: tuple[type[Exception], ...]
) -> float:
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        try:  # noqa: SIM105  (contextlib.suppress would time a context manager)
            func(arg)
        except errors:
            pass
    return perf_counter() - start


def loop_call_stream(
    loops: int,
    func: Callable[[Any], object],
    args: Sequence[object],
    errors: tuple[type[Exception], ...],
) -> float:
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        for arg in args:
            try:  # noqa: SIM105  (contextlib.suppress would time a context manager)
                func(arg)
            except errors:
                pass
    return perf_counter() - start


def loop_event(loops: int, data: bytes) -> float:
    from_payload = CloseEvent.from_payload
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        from_payload(data, was_clean=True)
    return perf_counter() - start


def loop_event_error(loops: int, data: bytes) -> float:
    from_payload = CloseEvent.from_payload
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        try:  # noqa: SIM105  (contextlib.suppress would time a context manager)
            from_payload(data, was_clean=True)
        except CloseFrameError:
            pass
    return perf_counter() - start


def loop_event_stream(loops: int, stream: Sequence[bytes]) -> float:
    from_payload = CloseEvent.from_payload
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        for data in stream:
            try:  # noqa: SIM105  (contextlib.suppress would time a context manager)
                from_payload(data, was_clean=True)
            except CloseFrameError:
                pass
    return perf_counter() - start


def loop_serialize(
    loops: int, func: Callable[[int, str], object], code: int, reason: str
) -> float:
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        func(code, reason)
    return perf_counter() - start


def loop_websockets_serialize(loops: int, code: int, reason: str) -> float:
    close = WsClose
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        close(code, reason).serialize()
    return perf_counter() - start


def loop_aiohttp(loops: int, payload: bytes) -> float:
    handle_frame = _aiohttp_handle_frame
    opcode = _AIOHTTP_CLOSE_OPCODE
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        handle_frame(True, opcode, payload, 0)
    return perf_counter() - start


def loop_aiohttp_error(loops: int, payload: bytes, errors: tuple[type[Exception], ...]) -> float:
    handle_frame = _aiohttp_handle_frame
    opcode = _AIOHTTP_CLOSE_OPCODE
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        try:  # noqa: SIM105  (contextlib.suppress would time a context manager)
            handle_frame(True, opcode, payload, 0)
        except errors:
            pass
    return perf_counter() - start


def loop_aiohttp_stream(
    loops: int, payloads: Sequence[bytes], errors: tuple[type[Exception], ...]
) -> float:
    handle_frame = _aiohttp_handle_frame
    opcode = _AIOHTTP_CLOSE_OPCODE
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        for payload in payloads:
            try:  # noqa: SIM105  (contextlib.suppress would time a context manager)
                handle_frame(True, opcode, payload, 0)
            except errors:
                pass
    return perf_counter() - start


def loop_picows(loops: int, frame: Any) -> float:
    get_code = frame.get_close_code
    get_reason = frame.get_close_reason
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        get_code()
        get_reason()
    return perf_counter() - start


def loop_picows_error(loops: int, frame: Any, errors: tuple[type[Exception], ...]) -> float:
    get_code = frame.get_close_code
    get_reason = frame.get_close_reason
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        try:
            get_code()
            get_reason()
        except errors:
            pass
    return perf_counter() - start


def loop_picows_stream(
    loops: int, frames: Sequence[Any], errors: tuple[type[Exception], ...]
) -> float:
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        for frame in frames:
            try:
                frame.get_close_code()
                frame.get_close_reason()
            except errors:
                pass
    return perf_counter() - start


def loop_read_close_frame(loops: int, frame: bytes, masked: bool) -> float:
    read = read_close_frame
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        read(frame, masked=masked)
    return perf_counter() - start


def loop_encode_masked(loops: int, code: int, reason: str) -> float:
    encode = encode_close_frame
    urandom = os.urandom
    repeat = range(loops)
    start = perf_counter()
    for _ in repeat:
        encode(code, reason, mask_key=urandom(4))
    return perf_counter() - start


# --------------------------------------------------------------------------
# What each benchmark times: (time function, its arguments, inner loops).

Task = tuple[Callable[..., float], tuple[object, ...], int | None]


def _parse_target(contender: str) -> tuple[Callable[[Any], object], Callable[[bytes], object]]:
    """The function a contender calls, and how a payload becomes its argument."""
    targets: dict[str, tuple[Callable[[Any], object], Callable[[bytes], object]]] = {
        "floor": (floor_parse, bytes),
        "closeframe": (parse_close_payload, bytes),
        "closeframe (python)": (PYTHON_PARSE, bytes),
        "closeframe bytearray": (parse_close_payload, bytearray),
        "closeframe memoryview": (parse_close_payload, memoryview),
        "websockets": (WsClose.parse, bytes),
        "wsproto close": (wsproto_process_close, as_wsproto_frame),
        "wsproto frame": (wsproto_frame, as_wire_frame),
    }
    return targets[contender]


_PARSE_ERRORS: dict[str, tuple[type[Exception], ...]] = {
    "floor": FLOOR_ERRORS,
    "closeframe": CLOSEFRAME_ERRORS,
    "closeframe (python)": CLOSEFRAME_ERRORS,
    "closeframe bytearray": CLOSEFRAME_ERRORS,
    "closeframe memoryview": CLOSEFRAME_ERRORS,
    "closeframe event": CLOSEFRAME_ERRORS,
    "websockets": WEBSOCKETS_ERRORS,
    "wsproto close": WSPROTO_ERRORS,
    "wsproto frame": WSPROTO_ERRORS,
    "aiohttp": AIOHTTP_ERRORS,
    "picows": PICOWS_ERRORS,
}


def parse_task(row: Row, contender: str) -> Task:
    if contender == "closeframe event":
        if row.payload is None:
            return loop_event_stream, (MIXED,), len(MIXED)
        if row.valid:
            return loop_event, (row.payload,), None
        return loop_event_error, (row.payload,), None
    errors = _PARSE_ERRORS[contender]
    if contender == "aiohttp":
        if row.payload is None:
            return loop_aiohttp_stream, (MIXED, errors), len(MIXED)
        if row.valid:
            return loop_aiohttp, (row.payload,), None
        return loop_aiohttp_error, (row.payload, errors), None
    if contender == "picows":
        if row.payload is None:
            frames = [as_picows_frame(p) for p in MIXED]
            return loop_picows_stream, (frames, errors), len(MIXED)
        if row.valid:
            return loop_picows, (as_picows_frame(row.payload),), None
        return loop_picows_error, (as_picows_frame(row.payload), errors), None
    func, convert = _parse_target(contender)
    if row.payload is None:
        return loop_call_stream, (func, [convert(p) for p in MIXED], errors), len(MIXED)
    if row.valid:
        return loop_call, (func, convert(row.payload)), None
    return loop_call_error, (func, convert(row.payload), errors), None


def serialize_task(contender: str, code: int, reason: str) -> Task:
    if contender == "websockets":
        return loop_websockets_serialize, (code, reason), None
    func: Callable[[int, str], object] = {
        "floor": floor_serialize,
        "closeframe": serialize_close_payload,
        "closeframe (python)": PYTHON_SERIALIZE,
        "wsproto frame": wsproto_close_frame,
    }[contender]
    return loop_serialize, (func, code, reason), None


def read_task(row: FrameRow, contender: str) -> Task:
    if contender == "closeframe":
        return loop_read_close_frame, (row.frame, row.masked), None
    func: Callable[[bytes], object] = {
        "floor": floor_read_frame,
        "websockets": (
            websockets_read_client_frame if row.masked else websockets_read_server_frame
        ),
        "wsproto frame": wsproto_server_frame if row.masked else wsproto_frame,
        "aiohttp": aiohttp_feed_data,
    }[contender]
    return loop_call, (func, row.frame), None


def encode_task(contender: str, code: int, reason: str) -> Task:
    if contender == "closeframe":
        return loop_encode_masked, (code, reason), None
    encoders: dict[str, Callable[[int, str], object]] = {
        "floor": floor_encode_masked,
        "websockets": websockets_encode_masked,
        "wsproto frame": wsproto_masked_close_frame,
    }
    func = encoders[contender]
    return loop_serialize, (func, code, reason), None


def all_tasks() -> dict[str, Task]:
    """Every benchmark, by its pyperf name, in the order they run."""
    tasks: dict[str, Task] = {}
    for row in PARSE_ROWS:
        for contender in PARSE_CONTENDERS:
            if row.key == "bad-code" and contender == "floor":
                continue  # its floor is ERROR_FLOOR
            tasks[f"parse {row.key}: {contender}"] = parse_task(row, contender)
    for key, _, code, reason in SERIALIZE_ROWS:
        for contender in SERIALIZE_CONTENDERS:
            tasks[f"serialize {key}: {contender}"] = serialize_task(contender, code, reason)
    for frame_row in READ_ROWS:
        for contender in READ_CONTENDERS:
            tasks[f"read {frame_row.key}: {contender}"] = read_task(frame_row, contender)
    for key, _, code, reason in ENCODE_ROWS:
        for contender in ENCODE_CONTENDERS:
            tasks[f"encode {key}: {contender}"] = encode_task(contender, code, reason)
    return tasks


# --------------------------------------------------------------------------
# Sanity checks, before timing: no row may time a contender doing the wrong thing.


def parse_outcome(contender: str, payload: bytes) -> tuple[int, str] | Exception:
    """What a contender makes of a payload: ``(code, reason)``, or the error it raised."""
    try:
        if contender == "closeframe event":
            event = CloseEvent.from_payload(payload, was_clean=True)
            return int(event.code), event.reason
        if contender == "aiohttp":
            _aiohttp_handle_frame(True, _AIOHTTP_CLOSE_OPCODE, payload, 0)
            message = aiohttp_last_message()
            return int(message.data), message.extra
        if contender == "picows":
            code, reason = picows_parse(as_picows_frame(payload))
            return int(code), "" if reason is None else reason
        func, convert = _parse_target(contender)
        result: Any = func(convert(payload))
    except _PARSE_ERRORS[contender] as exc:
        return exc
    if contender == "websockets":
        return int(result.code), result.reason
    if contender.startswith("wsproto"):
        code, reason = result.payload
        return int(code), reason
    code, reason = result
    return int(code), reason


def read_outcome(row: FrameRow, contender: str) -> tuple[int, str]:
    """What a contender reads from a whole frame: ``(code, reason)``."""
    result: Any
    if contender == "closeframe":
        close, consumed = read_close_frame(row.frame, masked=row.masked)
        assert close is not None
        assert consumed == len(row.frame)
        return int(close.code), close.reason
    if contender == "aiohttp":
        aiohttp_feed_data(row.frame)
        message = aiohttp_last_message()
        return int(message.data), message.extra
    func = read_task(row, contender)[1][0]
    assert callable(func)
    result = func(row.frame)
    if contender == "wsproto frame":
        code, reason = result.payload
        return int(code), reason
    if contender == "websockets":
        return int(result.code), result.reason
    code, reason = result
    return int(code), reason


def _encode_outcome(contender: str, code: int, reason: str) -> bytes:
    if contender == "closeframe":
        return closeframe_encode_masked(code, reason)
    func = encode_task(contender, code, reason)[1][0]
    assert callable(func)
    return bytes(func(code, reason))


def check_contenders() -> list[str]:
    """Fail unless every contender gets every fixed row right; note stream disagreements."""
    for row in PARSE_ROWS:
        if row.payload is None:
            continue
        for contender in PARSE_CONTENDERS:
            if contender == "floor" and row.key == "bad-code":
                continue  # the floor does not check codes; its reference is ERROR_FLOOR
            outcome = parse_outcome(contender, row.payload)
            expected = (1000, row.payload[2:].decode()) if row.valid else "an error of its own"
            lax = (row.key, contender) in LAX_ROWS
            if lax:
                # A peer that skips this check: it must still skip it (else update PEER_GAPS).
                if isinstance(outcome, Exception):
                    raise SystemExit(f"{contender} now refuses {row.key}: update LAX_ROWS")
                continue
            if outcome != expected and (row.valid or not isinstance(outcome, Exception)):
                raise SystemExit(f"{contender} on {row.key}: expected {expected}, got {outcome!r}")
    for frame_row in READ_ROWS:
        payload = frame_row.frame[6:] if frame_row.masked else frame_row.frame[2:]
        expected_close = parse_close_payload(
            _mask(payload, frame_row.frame[2:6]) if frame_row.masked else payload
        )
        for contender in READ_CONTENDERS:
            got = read_outcome(frame_row, contender)
            if got != (int(expected_close.code), expected_close.reason):
                raise SystemExit(f"read {frame_row.key}: {contender} got {got!r}")
    for _, _, code, reason in ENCODE_ROWS:
        payload = floor_serialize(code, reason)
        for contender in ENCODE_CONTENDERS:
            frame = bytes(_encode_outcome(contender, code, reason))
            if frame[:2] != bytes((_CLOSE_HEAD, _MASK_BIT | len(payload))) or (
                _mask(frame[6:], frame[2:6]) != payload
            ):
                raise SystemExit(f"encode: {contender} built {frame.hex()}")
    for _, _, code, reason in SERIALIZE_ROWS:
        payload = floor_serialize(code, reason)
        assert serialize_close_payload(code, reason) == payload
        assert WsClose(code, reason).serialize() == payload
        assert bytes(wsproto_close_frame(code, reason))[-len(payload) :] == payload

    accepted = {
        contender: [not isinstance(parse_outcome(contender, p), Exception) for p in MIXED]
        for contender in PARSE_CONTENDERS
    }
    ours = accepted["closeframe"]
    notes = [f"mixed stream: closeframe accepts {sum(ours)} of {len(MIXED)} payloads"]
    for contender, verdicts in accepted.items():
        if contender == "closeframe":
            continue
        more = sum(a and not b for a, b in zip(verdicts, ours, strict=True))
        fewer = sum(b and not a for a, b in zip(verdicts, ours, strict=True))
        if more or fewer:
            notes.append(
                f"  {contender}: accepts {more} that closeframe refuses,"
                f" refuses {fewer} that closeframe accepts"
            )
    return notes


# --------------------------------------------------------------------------
# The report, in the parent process.


def fmt_ns(seconds: float) -> str:
    ns = seconds * 1e9
    return f"{ns:.1f} ns" if ns < 100 else f"{ns:.0f} ns"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


@dataclass(frozen=True)
class Section:
    """One table of the report: rows are inputs, columns contenders."""

    title: str
    prefix: str  # the benchmark names' first word: parse, serialize, read, encode
    rows: list[tuple[str, str]]  # (key, label)
    contenders: list[str]
    note: str


SECTIONS = [
    Section(
        "Parse a close payload",
        "parse",
        [(row.key, row.label) for row in PARSE_ROWS],
        PARSE_CONTENDERS,
        "* error rows: the floor is its own failing decode (data[2:].decode() raising"
        " UnicodeDecodeError on the invalid-UTF-8 payload), the reference for both."
        "\n  mixed stream: per payload, averaged over the whole list."
        "\n  + a peer that accepts 1006 instead of raising: not the same work.",
    ),
    Section(
        "Serialize a close payload",
        "serialize",
        [(key, label) for key, label, _, _ in SERIALIZE_ROWS],
        SERIALIZE_CONTENDERS,
        "  wsproto frame: FrameProtocol(client=False).close() builds the whole (unmasked) frame.",
    ),
    Section(
        "Read a whole close frame",
        "read",
        [(row.key, row.label) for row in READ_ROWS],
        READ_CONTENDERS,
        "  closeframe: read_close_frame(frame, masked=...); websockets: StreamReader +"
        " Frame.parse (C apply_mask) + Close.parse; wsproto: a fresh FrameProtocol;"
        "\n  aiohttp: WebSocketReader.feed_data (its compiled reader); picows parses frames"
        " only inside its asyncio protocol, so it has no row here.",
    ),
    Section(
        "Encode a masked close frame (a fresh key per call)",
        "encode",
        [(key, label) for key, label, _, _ in ENCODE_ROWS],
        ENCODE_CONTENDERS,
        "  closeframe: encode_close_frame(code, reason, mask_key=os.urandom(4));"
        " websockets: Frame(...).serialize(mask=True);"
        " wsproto: FrameProtocol(client=True).close().",
    ),
]


def floor_name(section: Section, key: str) -> str:
    """The benchmark a row's ratios are taken against."""
    if section.prefix == "parse" and key == "bad-code":
        return ERROR_FLOOR
    return f"{section.prefix} {key}: floor"


def section_table(
    section: Section, values: dict[str, float], fmt: Callable[[float], str]
) -> tuple[list[str], list[list[str]]]:
    """A section's header and rows: each cell the value and its ratio to the row's floor."""
    rows: list[list[str]] = []
    for key, label in section.rows:
        floor = values[floor_name(section, key)]
        cells = [label]
        for contender in section.contenders:
            if contender == "floor":
                error_row = section.prefix == "parse" and key in ("bad-utf8", "bad-code")
                mark = " *" if error_row else ""
                cells.append(fmt(floor) + mark)
                continue
            value = values[f"{section.prefix} {key}: {contender}"]
            lax = " +" if (key, contender) in LAX_ROWS else ""
            cells.append(f"{fmt(value)} ({value / floor:.2f}x){lax}")
        rows.append(cells)
    return ["payload", *section.contenders], rows


def report(times: dict[str, float], structure: dict[str, object]) -> str:
    out: list[str] = []
    for index, section in enumerate(SECTIONS):
        header, rows = section_table(section, times, fmt_ns)
        out.append(("\n" if index else "") + f"{section.title}: time per call (ratio to floor)\n")
        out.append(markdown_table(header, rows))
        out.append("\n" + section.note)

    # Each implementation against the peers: how many times faster.
    peers = ["websockets", "wsproto close", "wsproto frame", "aiohttp", "picows"]
    for ours_name in ("closeframe", "closeframe (python)"):
        rows = []
        for section in SECTIONS:
            if ours_name not in section.contenders:
                continue
            for key, label in section.rows:
                ours = times[f"{section.prefix} {key}: {ours_name}"]
                cells = [f"{section.prefix} {label}"]
                for peer in peers:
                    name = f"{section.prefix} {key}: {peer}"
                    lax = " +" if (key, peer) in LAX_ROWS else ""
                    cells.append(f"{times[name] / ours:.2f}x{lax}" if name in times else "-")
                rows.append(cells)
        out.append(
            f"\n{ours_name} vs the peers: how many times faster (peer time / {ours_name} time)\n"
        )
        out.append(markdown_table(["row", *(f"vs {peer}" for peer in peers)], rows))

    out.append("\nWhat each peer checks and skips\n")
    for peer, gaps in PEER_GAPS.items():
        out.append(f"  {peer}: {gaps}")

    out.append("\nStructure\n")
    for name, fact in structure.items():
        out.append(f"  {name}: {fact}")
    return "\n".join(out)


# --------------------------------------------------------------------------
# Instructions per call (``--instructions``): callgrind, see instructions.py.

PURE = "closeframe (python)"


def closeframe_rows() -> list[str]:
    """closeframe's own benchmarks, the rows of the budget: every section's ``closeframe``."""
    return [name for name in all_tasks() if name.endswith(": closeframe")]


def as_pure(name: str) -> str:
    """``parse code-only: closeframe`` -> ``parse code-only: closeframe (python)``."""
    return name.removesuffix(": closeframe") + f": {PURE}"


def instruction_sections() -> list[Section]:
    """The report's sections with a pure-Python column everywhere (from its own process)."""
    sections: list[Section] = []
    for section in SECTIONS:
        contenders = list(section.contenders)
        if PURE not in contenders:
            contenders.insert(contenders.index("closeframe") + 1, PURE)
        sections.append(
            Section(section.title, section.prefix, section.rows, contenders, section.note)
        )
    return sections


def _returns_its_argument(data: bytes) -> bytes:
    return data


#: What the timing loop itself costs, counted beside the benchmarks: one
#: iteration calling a C function that does nothing (``len`` of the 2-byte
#: payload: a cached small int, no allocation), and one calling a Python
#: function that only returns its argument.  No parser called from this loop
#: can go below the first.
REFERENCES: dict[str, Task] = {
    "reference: loop + len(data)": (loop_call, (len, CODE_ONLY), None),
    "reference: loop + empty Python function": (
        loop_call,
        (_returns_its_argument, CODE_ONLY),
        None,
    ),
}


#: Where the least.c module built for this run is (least.py): set by
#: measure_instructions, read by its callgrind worker too.
LEAST_VARIABLE = "CLOSEFRAME_LEAST_MODULE"
LEAST_PREFIX = "least: "


def least_tasks() -> dict[str, Task]:
    """The least a built-in can do for each row (benchmarks/least.c), in the row's own loop.

    Empty unless measure_instructions built the module.  Each is named after
    the row it stands beside: ``least: parse short-reason``.
    """
    path = os.environ.get(LEAST_VARIABLE)
    if not path:
        return {}
    import least as least_build  # noqa: PLC0415  (only the instruction counts use it)

    least = least_build.load(Path(path))
    code = CloseCode.NORMAL_CLOSURE
    head = _pack_code(1000)
    # BAD_UTF8's reason is cut short at its 17th byte.
    bad_utf8 = (16, "unexpected end of data")
    return {
        "least: parse code-only": (loop_call, (least.shared(Close(code)), CODE_ONLY), None),
        "least: parse short-reason": (loop_call, (least.pair(Close, code), SHORT), None),
        "least: parse bad-utf8": (
            loop_call_error,
            (least.raising(InvalidReasonError, bad_utf8), BAD_UTF8, CLOSEFRAME_ERRORS),
            None,
        ),
        "least: serialize code-only": (loop_serialize, (least.concat(head), 1000, ""), None),
        "least: serialize short-reason": (
            loop_serialize,
            (least.concat(head), 1000, SHORT_REASON),
            None,
        ),
        "least: serialize max-reason": (
            loop_serialize,
            (least.concat(head), 1000, MAX_REASON),
            None,
        ),
    }


def measured_tasks() -> dict[str, Task]:
    """What the instruction counts cover: every benchmark, the loop's references, least.c's."""
    return {**all_tasks(), **REFERENCES, **least_tasks()}


def measure_instructions(calls: int) -> dict[str, float]:
    """Every benchmark's instructions per call; the pure-Python column from its own process."""
    import instructions  # noqa: PLC0415  (needs valgrind; only this mode imports it)
    import least  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="closeframe-least-") as directory:
        os.environ[LEAST_VARIABLE] = str(least.build(Path(directory)))
        try:
            counts = instructions.measure(measured_tasks(), calls=calls)
        finally:
            del os.environ[LEAST_VARIABLE]
    pure = instructions.measure(closeframe_rows(), pure=True, calls=calls)
    for name, value in pure.items():
        counts[as_pure(name)] = value
    return counts


def fmt_instructions(value: float) -> str:
    return f"{value:,.0f}"


def instructions_report(counts: dict[str, float], times: dict[str, float] | None) -> str:
    out: list[str] = []
    sections = instruction_sections()
    for index, section in enumerate(sections):
        header, rows = section_table(section, counts, fmt_instructions)
        out.append(
            ("\n" if index else "") + f"{section.title}: instructions per call (ratio to floor)\n"
        )
        out.append(markdown_table(header, rows))
        out.append("\n" + section.note)
    # Every benchmark on one line: against the floor and closeframe, and beside its time.
    header = ["benchmark", "instructions", "x floor", "x closeframe"]
    if times is not None:
        header += ["time (pyperf)", "time x floor"]
    rows = []
    for section in sections:
        for key, _ in section.rows:
            floor = counts[floor_name(section, key)]
            ours = counts[f"{section.prefix} {key}: closeframe"]
            for contender in section.contenders:
                name = f"{section.prefix} {key}: {contender}"
                if name not in counts:
                    continue  # the floor of bad-code is ERROR_FLOOR
                lax = " +" if (key, contender) in LAX_ROWS else ""
                cells = [
                    name + lax,
                    fmt_instructions(counts[name]),
                    f"{counts[name] / floor:.2f}x",
                    f"{counts[name] / ours:.2f}x",
                ]
                if times is not None:
                    time = times.get(name)
                    time_floor = times.get(floor_name(section, key))
                    cells += (
                        [fmt_ns(time), f"{time / time_floor:.2f}x"]
                        if time is not None and time_floor is not None
                        else ["-", "-"]
                    )
                rows.append(cells)
    for name in REFERENCES:
        cells = [name, fmt_instructions(counts[name]), "-", "-"]
        rows.append(cells + (["-", "-"] if times is not None else []))
    for name in (name for name in counts if name.startswith(LEAST_PREFIX)):
        ours = counts[f"{name.removeprefix(LEAST_PREFIX)}: closeframe"]
        cells = [name, fmt_instructions(counts[name]), "-", f"{counts[name] / ours:.2f}x"]
        rows.append(cells + (["-", "-"] if times is not None else []))
    title = "Every benchmark: instructions per call, against the floor and closeframe"
    if times is not None:
        title += ", beside its pyperf time"
    out.append(f"\n{title}\n")
    out.append(markdown_table(header, rows))
    out.append(
        "\n  (python) rows come from a process with CLOSEFRAME_NO_EXTENSIONS=1;"
        " time (pyperf) of a (python) read/encode row is not measured (pyperf's workers"
        " run one implementation)."
    )
    return "\n".join(out)


def pyperf_medians(path: Path) -> dict[str, float]:
    """The median of each benchmark in a pyperf JSON file."""
    suite = pyperf.BenchmarkSuite.load(str(path))
    return {bench.get_name(): bench.median() for bench in suite.get_benchmarks()}


def instructions_main(argv: list[str]) -> None:
    """``--instructions``: every benchmark under callgrind; the budget file with --write-budget."""
    import argparse  # noqa: PLC0415
    import json  # noqa: PLC0415

    import instructions  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="bench_close.py --instructions")
    parser.add_argument("--instructions", action="store_true", required=True)
    parser.add_argument("--calls", type=int, default=instructions.DEFAULT_CALLS)
    here = Path(__file__).resolve().parent
    parser.add_argument(
        "--timings",
        type=Path,
        default=here / "results.json",
        help="a pyperf JSON whose medians go beside the counts (default: results.json, if any)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=here / "instructions.json",
        help="write the counts here as JSON (default: benchmarks/instructions.json)",
    )
    parser.add_argument(
        "--from-counts",
        type=Path,
        help="print the report from counts a run wrote (--out) instead of measuring again",
    )
    parser.add_argument(
        "--write-budget",
        action="store_true",
        help="rewrite instruction_budget.json's ceilings for this Python from these counts",
    )
    parser.add_argument(
        "--budget-only",
        action="store_true",
        help="count closeframe's own rows only (both implementations), and rewrite the"
        " ceilings from them: a quicker --write-budget",
    )
    args = parser.parse_args(argv)
    if args.budget_only:
        compiled = instructions.measure(closeframe_rows(), calls=args.calls)
        pure = instructions.measure(closeframe_rows(), pure=True, calls=args.calls)
        for name in closeframe_rows():
            print(f"{name}: {compiled[name]:,.0f} compiled, {pure[name]:,.0f} pure Python")
        budget = instructions.write_budget(compiled, pure)
        print(f"Ceilings for {instructions.python_key()} written to {budget}")
        return
    times = pyperf_medians(args.timings) if args.timings.exists() else None
    if args.from_counts is not None:
        saved = json.loads(args.from_counts.read_text())
        print(instructions_report(saved["counts"], times))
        print(
            f"\nCounts of {saved['python']}, {saved['calls']} calls a run, from {args.from_counts}"
        )
        return
    check_contenders()
    counts = measure_instructions(args.calls)
    print(instructions_report(counts, times))
    python = instructions.python_key()
    args.out.write_text(
        json.dumps({"python": python, "calls": args.calls, "counts": counts}, indent=1) + "\n"
    )
    print(f"\nCounts of {len(counts)} benchmarks ({python}) written to {args.out}")
    if args.write_budget:
        budget = instructions.write_budget(
            {name: counts[name] for name in closeframe_rows()},
            {name: counts[as_pure(name)] for name in closeframe_rows()},
        )
        print(f"Ceilings for {python} written to {budget}")


def import_time_ms(runs: int = 5) -> tuple[float, float]:
    """``import closeframe``'s cumulative time from ``-X importtime``: (first, best) in ms."""
    pattern = re.compile(r"import time:\s*\d+\s*\|\s*(\d+)\s*\|\s*closeframe\s*$")
    found: list[float] = []
    # An installed package has its bytecode compiled; a source checkout run
    # under PYTHONDONTWRITEBYTECODE would compile closeframe on every import.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import closeframe"],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        for line in done.stderr.splitlines():
            match = pattern.match(line)
            if match:
                found.append(int(match.group(1)) / 1000)
    if len(found) != runs:
        raise SystemExit("no closeframe line in the -X importtime output")
    return found[0], min(found)


def structure_report() -> dict[str, object]:
    value = parse_close_payload(b"\x03\xe8hi")
    shared = all(
        parse_close_payload(_pack_code(code)) is parse_close_payload(bytes.fromhex(f"{code:04x}"))
        for code in (1000, 1001, 1011, 3000, 4999)
    )
    first, best = import_time_ms()
    return {
        "implementation (closeframe.IMPLEMENTATION)": closeframe.IMPLEMENTATION,
        'sys.getsizeof(parse_close_payload(b"\\x03\\xe8hi"))': f"{sys.getsizeof(value)} bytes",
        "code-only payloads parse to one shared object (no per-call allocation)": shared,
        "import closeframe (python -X importtime, cumulative)": (
            f"{best:.2f} ms best of 5 (first run {first:.2f} ms)"
        ),
    }


# --------------------------------------------------------------------------


def main() -> None:
    if "--instructions" in sys.argv[1:]:
        instructions_main(sys.argv[1:])
        return
    # Full mode: 94 benchmarks x 8 processes x (1 warmup + 3 values) of >= 0.1 s
    # takes `tox -e bench` about 14 minutes on two idle cores (the 68 before
    # the peers and the frame rows took under 10).  pyperf's --fast halves
    # the processes (4) and takes 2 values; it also gets --min-time 0.05
    # below unless one is given, for a run of about 4 minutes.
    runner = pyperf.Runner(
        processes=8,
        values=3,
        warmups=1,
        metadata={
            "closeframe_version": closeframe.__version__,
            "websockets_version": version("websockets"),
            "wsproto_version": version("wsproto"),
            "aiohttp_version": version("aiohttp"),
            "picows_version": version("picows"),
        },
    )
    default_json = Path(__file__).resolve().parent / "results.json"
    runner.argparser.add_argument(
        "--json",
        type=Path,
        default=default_json,
        help=f"write the pyperf JSON here, replacing it (default: {default_json})",
    )
    args = runner.parse_args()
    if args.fast and not any(arg.startswith("--min-time") for arg in sys.argv):
        args.min_time = 0.05

    parent = not args.worker
    notes: list[str] = []
    if parent:
        notes = check_contenders()

    benchmarks: dict[str, pyperf.Benchmark] = {}
    for name, (time_func, func_args, inner_loops) in all_tasks().items():
        bench = runner.bench_time_func(name, time_func, *func_args, inner_loops=inner_loops)
        if bench is not None:
            benchmarks[name] = bench

    if not parent or len(benchmarks) != len(all_tasks()):
        return  # a worker: the parent tabulates

    suite = pyperf.BenchmarkSuite(list(benchmarks.values()))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    suite.dump(str(args.json), replace=True)

    times = {name: bench.median() for name, bench in benchmarks.items()}
    print()
    print(report(times, structure_report()))
    print()
    print("\n".join(notes))
    print(f"\nMedians of {len(benchmarks)} benchmarks; pyperf JSON written to {args.json}")
    print(f"Compare two runs: python -m pyperf compare_to OLD.json {args.json} --table")


if __name__ == "__main__":
    main()
