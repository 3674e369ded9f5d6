"""The close-frame cases of websockets' and wsproto's own test suites, as a table.

Each row is one expectation those projects test for (read from websockets'
tests/test_frames.py and tests/test_protocol.py at 04e599c, and wsproto's
tests/test_frame_protocol.py at c9536ed), written here as what they expect,
not as their code: an input, and the outcome they hold correct.  closeframe
either agrees, or the row names the documented, deliberate difference
(docs/comparison.rst) and closeframe's own outcome.

Outcomes, one notation for both sides:
``("close", code, reason)`` a payload or frame that parses;
``("fail", code)`` one that fails the connection with that code;
``("bytes", data)`` what a close serializes to (payload or whole frame);
``("refused",)`` a close that may not be sent;
``("reply", payload, close_tcp)`` what a side sends back on receiving a
close frame, and whether it then closes TCP;
``("event", code, reason, was_clean)`` what the application finally sees.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest

from closeframe import (
    CloseFrameError,
    CloseValueError,
    ClosingHandshake,
    ClosingHandshakeError,
    Role,
    decode_close_frame,
    encode_close_frame,
    parse_close_payload,
    serialize_close_payload,
)

Outcome = tuple[Any, ...]


def _parsed(parse: Callable[[], Any]) -> Outcome:
    try:
        close = parse()
    except CloseFrameError as exc:
        return ("fail", exc.close_code)
    return ("close", int(close.code), close.reason)


def _built(build: Callable[[], bytes]) -> Outcome:
    try:
        return ("bytes", build())
    except (CloseValueError, ClosingHandshakeError):
        return ("refused",)


def parse_payload(data: bytes) -> Outcome:
    return _parsed(lambda: parse_close_payload(data))


def client_decodes(frame: bytes) -> Outcome:
    """A client reading a server's frame: unmasked (RFC 6455 §5.1)."""
    return _parsed(lambda: decode_close_frame(frame, masked=False))


def server_decodes(frame: bytes) -> Outcome:
    return _parsed(lambda: decode_close_frame(frame, masked=True))


def serialize(args: tuple[Any, ...]) -> Outcome:
    return _built(lambda: serialize_close_payload(*args))


def server_sends(args: tuple[Any, ...]) -> Outcome:
    """The whole frame a server's handshake sends for ``send_close(*args)``."""
    return _built(lambda: ClosingHandshake(Role.SERVER).send_close(*args).frame)


def client_sends(args: tuple[Any, ...]) -> Outcome:
    """The same for a client whose masking key is four zero bytes, as in websockets' tests."""
    handshake = ClosingHandshake(Role.CLIENT, mask_key=lambda: bytes(4))
    return _built(lambda: handshake.send_close(*args).frame)


def server_frame(args: tuple[Any, ...]) -> Outcome:
    """wsproto's ``FrameProtocol(client=False).close(*args)``: a server's close frame."""
    return _built(lambda: encode_close_frame(*args))


def sends_twice(role: Role) -> Outcome:
    handshake = ClosingHandshake(role, mask_key=lambda: bytes(4))
    handshake.send_close(1001)
    return _built(lambda: handshake.send_close(1001).frame)


def receives(role: Role, frame: bytes) -> Outcome:
    handshake = ClosingHandshake(role)
    received = handshake.receive_close_frame(frame)
    assert received.reply is not None
    return ("reply", received.reply.payload, handshake.should_close_transport)


def transport_lost(role: Role) -> Outcome:
    event = ClosingHandshake(role).transport_closed()
    return ("event", int(event.code), event.reason, event.was_clean)


@dataclass(frozen=True)
class Vector:
    source: str
    run: Callable[[Any], Outcome]
    given: Any
    theirs: Outcome
    #: For a deliberate difference: closeframe's outcome, and where it is documented.
    ours: Outcome | None = None
    why: str = ""


WS_FRAMES = "websockets tests/test_frames.py"
WS_PROTOCOL = "websockets tests/test_protocol.py"
WSPROTO = "wsproto tests/test_frame_protocol.py"
COMPARISON = "docs/comparison.rst"
SHRUG = r"¯\_(ツ)_/¯"
FNORD = "fñør∂"


def code(value: int) -> bytes:
    return struct.pack("!H", value)


VECTORS = [
    # websockets, the close payload (CloseTests).
    Vector(
        f"{WS_FRAMES} test_parse_and_serialize",
        parse_payload,
        b"\x03\xe8OK",
        ("close", 1000, "OK"),
    ),
    Vector(
        f"{WS_FRAMES} test_parse_and_serialize", serialize, (1000, "OK"), ("bytes", b"\x03\xe8OK")
    ),
    Vector(
        f"{WS_FRAMES} test_parse_and_serialize", parse_payload, b"\x03\xe9", ("close", 1001, "")
    ),
    Vector(f"{WS_FRAMES} test_parse_and_serialize", serialize, (1001, ""), ("bytes", b"\x03\xe9")),
    Vector(f"{WS_FRAMES} test_parse_empty", parse_payload, b"", ("close", 1005, "")),
    Vector(f"{WS_FRAMES} test_parse_errors", parse_payload, b"\x03", ("fail", 1002)),
    Vector(f"{WS_FRAMES} test_parse_errors", parse_payload, b"\x03\xe7", ("fail", 1002)),
    # websockets raises a bare UnicodeDecodeError here and fails with 1007;
    # closeframe raises InvalidReasonError, a CloseFrameError (COMPARISON).
    Vector(f"{WS_FRAMES} test_parse_errors", parse_payload, b"\x03\xe8\xff\xff", ("fail", 1007)),
    Vector(f"{WS_FRAMES} test_serialize_errors", serialize, (999, ""), ("refused",)),
    # websockets, whole frames (FrameTests).
    Vector(f"{WS_FRAMES} test_close", server_frame, (None,), ("bytes", b"\x88\x00")),
    Vector(f"{WS_FRAMES} test_close", client_decodes, b"\x88\x00", ("close", 1005, "")),
    Vector(
        f"{WS_FRAMES} test_control_frame_max_length",
        client_decodes,
        b"\x88\x7e\x00\x7d" + 125 * b"a",
        ("frame accepted", 125),
        ("fail", 1002),
        f"{COMPARISON}, websockets: a control frame's length is its 7-bit field",
    ),
    Vector(
        f"{WS_FRAMES} test_control_frame_max_length",
        client_decodes,
        b"\x88\x7e\x00\x7e" + 126 * b"a",
        ("fail", 1002),
    ),
    Vector(
        f"{WS_FRAMES} test_fragmented_control_frame", client_decodes, b"\x08\x00", ("fail", 1002)
    ),
    # websockets, the connection (test_protocol.py): what is received.
    Vector(
        f"{WS_PROTOCOL} test_close_code",
        client_decodes,
        b"\x88\x04\x03\xe8OK",
        ("close", 1000, "OK"),
    ),
    Vector(
        f"{WS_PROTOCOL} test_close_reason",
        server_decodes,
        b"\x88\x84\x00\x00\x00\x00\x03\xe8OK",
        ("close", 1000, "OK"),
    ),
    Vector(
        f"{WS_PROTOCOL} test_close_code_not_provided",
        server_decodes,
        b"\x88\x80\x00\x00\x00\x00",
        ("close", 1005, ""),
    ),
    Vector(
        f"{WS_PROTOCOL} test_close_reason_not_provided",
        client_decodes,
        b"\x88\x00",
        ("close", 1005, ""),
    ),
    Vector(
        f"{WS_PROTOCOL} test_close_code_not_available",
        transport_lost,
        Role.CLIENT,
        ("event", 1006, "", False),
    ),
    # ... what is sent back: the same close, and the server then closes TCP.
    Vector(
        f"{WS_PROTOCOL} test_client_receives_close",
        partial(receives, Role.CLIENT),
        b"\x88\x00",
        ("reply", b"", False),
    ),
    Vector(
        f"{WS_PROTOCOL} test_server_receives_close",
        partial(receives, Role.SERVER),
        b"\x88\x80\x3c\x3c\x3c\x3c",
        ("reply", b"", True),
    ),
    Vector(
        f"{WS_PROTOCOL} test_client_receives_close_with_code",
        partial(receives, Role.CLIENT),
        b"\x88\x02\x03\xe8",
        ("reply", b"\x03\xe8", False),
    ),
    Vector(
        f"{WS_PROTOCOL} test_server_receives_close_with_code_and_reason",
        partial(receives, Role.SERVER),
        b"\x88\x8c\x00\x00\x00\x00\x03\xe9going away",
        ("reply", b"\x03\xe9going away", True),
    ),
    # ... and a close that fails: websockets puts its error message in the reason.
    *(
        Vector(
            f"{WS_PROTOCOL} test_{side}_receives_close_with_{case}",
            partial(receives, role),
            frame,
            # websockets' client then waits for the server to close TCP.
            ("reply", code(failing) + message.encode(), role is Role.SERVER),
            ("reply", code(failing), True),
            f"{COMPARISON}, websockets: a failing close carries no reason, and closes TCP",
        )
        for side, role, case, frame, failing, message in [
            (
                "client",
                Role.CLIENT,
                "truncated_code",
                b"\x88\x01\x03",
                1002,
                "close frame too short",
            ),
            (
                "server",
                Role.SERVER,
                "truncated_code",
                b"\x88\x81\x00\x00\x00\x00\x03",
                1002,
                "close frame too short",
            ),
            (
                "client",
                Role.CLIENT,
                "non_utf8_reason",
                b"\x88\x04\x03\xe8\xff\xff",
                1007,
                "invalid start byte at position 0",
            ),
            (
                "server",
                Role.SERVER,
                "non_utf8_reason",
                b"\x88\x84\x00\x00\x00\x00\x03\xe9\xff\xff",
                1007,
                "invalid start byte at position 0",
            ),
        ]
    ),
    # websockets: what is sent (its client's masking key patched to zeros).
    Vector(f"{WS_PROTOCOL} test_server_sends_close", server_sends, (), ("bytes", b"\x88\x00")),
    Vector(
        f"{WS_PROTOCOL} test_server_sends_close_with_code",
        server_sends,
        (1000,),
        ("bytes", b"\x88\x02\x03\xe8"),
    ),
    Vector(
        f"{WS_PROTOCOL} test_client_sends_close_with_code",
        client_sends,
        (1001,),
        ("bytes", b"\x88\x82\x00\x00\x00\x00\x03\xe9"),
    ),
    Vector(
        f"{WS_PROTOCOL} test_client_sends_close_with_code_and_reason",
        client_sends,
        (1001, "going away"),
        ("bytes", b"\x88\x8c\x00\x00\x00\x00\x03\xe9going away"),
    ),
    Vector(
        f"{WS_PROTOCOL} test_server_sends_close_with_code_and_reason",
        server_sends,
        (1000, "OK"),
        ("bytes", b"\x88\x04\x03\xe8OK"),
    ),
    Vector(
        f"{WS_PROTOCOL} test_client_sends_close_with_reason_only",
        client_sends,
        (None, "x"),
        ("refused",),
    ),
    Vector(
        f"{WS_PROTOCOL} test_server_sends_close_with_reason_only",
        server_sends,
        (None, "x"),
        ("refused",),
    ),
    Vector(f"{WS_PROTOCOL} test_client_sends_close_twice", sends_twice, Role.CLIENT, ("refused",)),
    Vector(f"{WS_PROTOCOL} test_server_sends_close_twice", sends_twice, Role.SERVER, ("refused",)),
    # wsproto, receiving (its client reads a server's frames).
    Vector(f"{WSPROTO} test_close_no_code", client_decodes, b"\x88\x00", ("close", 1005, "")),
    Vector(f"{WSPROTO} test_close_one_byte_code", client_decodes, b"\x88\x01\x0e", ("fail", 1002)),
    Vector(f"{WSPROTO} test_close_bad_code", parse_payload, code(123), ("fail", 1002)),
    Vector(f"{WSPROTO} test_close_unknown_code", parse_payload, code(2998), ("fail", 1002)),
    Vector(f"{WSPROTO} test_close_local_only_code", parse_payload, code(1005), ("fail", 1002)),
    Vector(f"{WSPROTO} test_close_no_payload", parse_payload, code(1000), ("close", 1000, "")),
    Vector(
        f"{WSPROTO} test_close_easy_payload",
        parse_payload,
        code(1000) + b"tarah old chap",
        ("close", 1000, "tarah old chap"),
    ),
    Vector(
        f"{WSPROTO} test_close_utf8_payload",
        parse_payload,
        code(1000) + FNORD.encode(),
        ("close", 1000, FNORD),
    ),
    Vector(
        f"{WSPROTO} test_close_bad_utf8_payload",
        parse_payload,
        code(1000) + bytes.fromhex("cebae1bdb9cf83cebcceb5eda080656469746564"),
        ("fail", 1007),
    ),
    Vector(
        f"{WSPROTO} test_close_incomplete_utf8_payload",
        parse_payload,
        code(1000) + FNORD.encode()[:-1],
        ("fail", 1007),
    ),
    # wsproto, sending (FrameProtocol(client=False).close()).
    Vector(
        f"{WSPROTO} test_simplest_possible_close", server_frame, (None,), ("bytes", b"\x88\x00")
    ),
    Vector(
        f"{WSPROTO} test_unreasoning_close", server_frame, (1000,), ("bytes", b"\x88\x02\x03\xe8")
    ),
    Vector(
        f"{WSPROTO} test_reasoned_close",
        server_frame,
        (1000, SHRUG),
        ("bytes", b"\x88" + bytes((2 + len(SHRUG.encode()),)) + code(1000) + SHRUG.encode()),
    ),
    Vector(
        f"{WSPROTO} test_overly_reasoned_close",
        serialize,
        (1000, SHRUG * 10),
        ("truncated to fit",),
        ("refused",),
        f"{COMPARISON}, wsproto: a long reason is refused, not truncated",
    ),
    Vector(
        f"{WSPROTO} test_reasoned_but_uncoded_close", serialize, (None, "termites"), ("refused",)
    ),
    Vector(
        f"{WSPROTO} test_no_status_rcvd_close_reason",
        server_frame,
        (1005,),
        ("bytes", b"\x88\x00"),
    ),
    Vector(
        f"{WSPROTO} test_local_only_close_reason",
        server_frame,
        (1006,),
        ("bytes", b"\x88\x02\x03\xe8"),
        ("refused",),
        f"{COMPARISON}, wsproto: 1005, 1006 and 1015 are never rewritten",
    ),
]


@pytest.mark.parametrize(
    "vector", VECTORS, ids=[f"{i}-{v.source.split()[-1]}" for i, v in enumerate(VECTORS)]
)
def test_peer_vector(vector: Vector) -> None:
    ours = vector.run(vector.given)
    if vector.ours is None:
        assert ours == vector.theirs, vector.source
    else:
        # A deliberate difference: still different, and still what closeframe documents.
        assert vector.why.startswith(COMPARISON)
        assert ours != vector.theirs
        assert ours == vector.ours, vector.why


def test_the_tally() -> None:
    differences = [vector for vector in VECTORS if vector.ours is not None]
    assert (len(VECTORS), len(differences)) == (53, 7)
    assert {vector.source.split()[0] for vector in VECTORS} == {"websockets", "wsproto"}
