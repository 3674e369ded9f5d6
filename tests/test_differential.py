"""Differential tests: closeframe against the real websockets and wsproto parsers.

The same close payloads go through three parsers:

- ``closeframe.parse_close_payload``;
- websockets' ``websockets.frames.Close.parse``, which raises ``ProtocolError``
  (websockets' protocol fails the connection with 1002) or
  ``UnicodeDecodeError`` (it fails with 1007; see ``Protocol.parse`` in
  ``websockets/protocol.py``);
- wsproto's ``FrameProtocol._process_close``, which raises ``ParseFailed``
  whose ``.code`` is the code wsproto fails the connection with.

Each answer is normalised to a verdict: ``("accept", code, reason)`` or
``("reject", close_code)``.

Lengths are handled honestly.  Neither peer's payload parser checks the
125-byte control-frame limit: both check it in their frame layer, before the
payload parser ever runs.  So a payload over 125 bytes is given to each peer
as a whole frame (websockets' ``Frame.parse``, wsproto's
``FrameProtocol.receive_bytes``), exactly as it would arrive; and a separate
test checks that, up to 125 bytes, the frame-level pipeline of every side
gives the same verdict as its payload parser, so the shortcut hides nothing.

Every disagreement must be explained by exactly one row of
``KNOWN_DIFFERENCES``; every row must be hit by the exhaustive run, and must
match only inputs that do disagree, so the table can neither rot nor hide
anything.  The exact totals of the exhaustive run are pinned by
``test_exhaustive_totals``.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from websockets.exceptions import ProtocolError
from websockets.frames import Close as WsClose
from websockets.frames import Frame as WsFrame
from websockets.streams import StreamReader
from wsproto.frame_protocol import Frame as WsprotoFrame
from wsproto.frame_protocol import FrameProtocol, Opcode, ParseFailed

from closeframe import CloseFrameError, decode_close_frame, parse_close_payload

# ("accept", code, reason) or ("reject", close_code)
Verdict = tuple[str, int, str] | tuple[str, int]

PEERS = ("websockets", "wsproto")

# RFC 6455 §7.4 and the IANA registry, written out here rather than taken
# from closeframe, so the table below does not lean on the code under test.
RFC_SENDABLE = (
    frozenset(range(1000, 1004)) | frozenset(range(1007, 1015)) | frozenset(range(3000, 5000))
)
CONTROL_LIMIT = 125

# The three reasons of the exhaustive run.
EMPTY_REASON = b""
VALID_REASON = "bye ✓ ünïcode".encode()
INVALID_REASON = b"ok\xed\xa0\x80"  # an encoded surrogate: not UTF-8
REASONS = {"empty": EMPTY_REASON, "valid": VALID_REASON, "invalid-utf8": INVALID_REASON}
ALL_CODES = range(65536)


def code_of(payload: bytes) -> int:
    return int.from_bytes(payload[:2], "big")


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def has_code(payload: bytes) -> bool:
    """A payload the peers' payload parsers really see and read a code from."""
    return 2 <= len(payload) <= CONTROL_LIMIT


# -- the known differences ----------------------------------------------------


@dataclass(frozen=True)
class KnownDifference:
    name: str
    peer: str
    #: Recognises the class of inputs: every input it matches disagrees.
    applies: Callable[[bytes], bool]
    #: What the peer answers for every input of the class.
    peer_verdict: Verdict
    why: str


KNOWN_DIFFERENCES: tuple[KnownDifference, ...] = (
    KnownDifference(
        name="wsproto-rejects-1014",
        peer="wsproto",
        applies=lambda p: has_code(p) and code_of(p) == 1014,
        peer_verdict=("reject", 1002),
        why=(
            "wsproto 1.3's CloseReason enum lacks BAD_GATEWAY (1014, IANA-registered), and"
            " _process_close refuses any code <= 2999 that is not a member, before it"
            " decodes the reason: 1002 where closeframe accepts 1014 (or answers 1007 for"
            " a bad reason)"
        ),
    ),
    KnownDifference(
        name="websockets-decodes-reason-before-code",
        peer="websockets",
        applies=lambda p: has_code(p) and code_of(p) not in RFC_SENDABLE and not is_utf8(p[2:]),
        peer_verdict=("reject", 1007),
        why=(
            "websockets' Close.parse decodes the reason (UnicodeDecodeError -> 1007) before"
            " Close.check() looks at the code (ProtocolError -> 1002); closeframe and"
            " wsproto check the code first, so a bad code with a bad reason is 1002 here"
        ),
    ),
)


def explain(peer: str, payload: bytes) -> list[KnownDifference]:
    return [row for row in KNOWN_DIFFERENCES if row.peer == peer and row.applies(payload)]


# -- verdicts -----------------------------------------------------------------


def closeframe_verdict(payload: bytes) -> Verdict:
    try:
        close = parse_close_payload(payload)
    except CloseFrameError as exc:
        return ("reject", exc.close_code)
    return ("accept", int(close.code), close.reason)


def _websockets_close(data: bytes | bytearray) -> Verdict:
    try:
        close = WsClose.parse(data)
    except ProtocolError:
        return ("reject", 1002)  # Protocol.parse: fail(CloseCode.PROTOCOL_ERROR)
    except UnicodeDecodeError:
        return ("reject", 1007)  # Protocol.parse: fail(CloseCode.INVALID_DATA)
    return ("accept", int(close.code), close.reason)


def frame_bytes(payload: bytes) -> bytes:
    """An unmasked close frame (server to client) carrying *payload*, any length."""
    if len(payload) <= CONTROL_LIMIT:
        return bytes((0x88, len(payload))) + payload
    # Over 125 a control frame cannot be encoded legally: use the 16-bit
    # extended length, as a broken or hostile sender would.
    return bytes((0x88, 126)) + struct.pack("!H", len(payload)) + payload


def websockets_frame_verdict(payload: bytes) -> Verdict:
    """websockets' real receive pipeline: Frame.parse, then Close.parse."""
    reader = StreamReader()
    reader.feed_data(frame_bytes(payload))
    reader.feed_eof()
    parser = WsFrame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as stop:
        frame: WsFrame = stop.value
    except ProtocolError:
        return ("reject", 1002)
    else:  # pragma: no cover - the whole frame was fed
        raise AssertionError("websockets' frame parser wants more data")
    data = frame.data
    assert isinstance(data, bytes | bytearray)  # read_exact gives a bytearray
    return _websockets_close(data)


def websockets_verdict(payload: bytes) -> Verdict:
    if len(payload) > CONTROL_LIMIT:
        # Close.parse does not check the control-frame limit: Frame.check does.
        return websockets_frame_verdict(payload)
    return _websockets_close(payload)


_WSPROTO = FrameProtocol(client=True, extensions=[])


def wsproto_frame_verdict(payload: bytes) -> Verdict:
    """wsproto's real receive pipeline: the frame decoder, then _process_close."""
    protocol = FrameProtocol(client=True, extensions=[])
    protocol.receive_bytes(frame_bytes(payload))
    try:
        frames = list(protocol.received_frames())
    except ParseFailed as exc:
        return ("reject", int(exc.code))
    assert len(frames) == 1
    return _wsproto_accept(frames[0])


def _wsproto_accept(frame: WsprotoFrame) -> Verdict:
    assert isinstance(frame.payload, tuple)
    code, reason = frame.payload
    return ("accept", int(code), reason)


def wsproto_verdict(payload: bytes) -> Verdict:
    if len(payload) > CONTROL_LIMIT:
        # _process_close does not check the limit: the frame decoder does.
        return wsproto_frame_verdict(payload)
    try:
        frame = _WSPROTO._process_close(WsprotoFrame(Opcode.CLOSE, payload, True, True))
    except ParseFailed as exc:
        return ("reject", int(exc.code))
    return _wsproto_accept(frame)


def closeframe_frame_verdict(payload: bytes) -> Verdict:
    try:
        close = decode_close_frame(frame_bytes(payload), masked=False)
    except CloseFrameError as exc:
        return ("reject", exc.close_code)
    return ("accept", int(close.code), close.reason)


PEER_VERDICT: dict[str, Callable[[bytes], Verdict]] = {
    "websockets": websockets_verdict,
    "wsproto": wsproto_verdict,
}


def check_payload(payload: bytes) -> list[KnownDifference]:
    """Compare every peer with closeframe on *payload*; return the rows that explain."""
    ours = closeframe_verdict(payload)
    hits = []
    for peer, verdict_of in PEER_VERDICT.items():
        theirs = verdict_of(payload)
        rows = explain(peer, payload)
        if theirs == ours:
            assert not rows, (
                f"{[r.name for r in rows]} claims {payload.hex()} differs, but {peer}"
                f" agrees: {ours}"
            )
            continue
        assert len(rows) == 1, (
            f"{peer} disagrees on {payload.hex()}: closeframe {ours}, {peer} {theirs};"
            f" explained by {[r.name for r in rows]} (exactly one row must)"
        )
        (row,) = rows
        assert theirs == row.peer_verdict, (row.name, payload.hex(), theirs)
        hits.append(row)
    return hits


# -- the exhaustive run -------------------------------------------------------


@dataclass(frozen=True)
class ExhaustiveResult:
    inputs: int
    comparisons: int
    disagreements: Counter[str]
    by_reason: Counter[tuple[str, str]]


def exhaustive_payloads() -> Iterator[tuple[str, bytes]]:
    for kind, reason in REASONS.items():
        for code in ALL_CODES:
            yield kind, struct.pack("!H", code) + reason


@cache
def exhaustive() -> ExhaustiveResult:
    inputs = 0
    disagreements: Counter[str] = Counter()
    by_reason: Counter[tuple[str, str]] = Counter()
    for kind, payload in exhaustive_payloads():
        inputs += 1
        for row in check_payload(payload):
            disagreements[row.name] += 1
            by_reason[row.name, kind] += 1
    return ExhaustiveResult(inputs, inputs * len(PEERS), disagreements, by_reason)


def test_exhaustive_every_disagreement_is_known() -> None:
    # check_payload asserts each input; this runs them all (3 x 65536).
    assert exhaustive().inputs == len(REASONS) * 65536


def test_every_known_difference_is_hit_by_the_exhaustive_run() -> None:
    result = exhaustive()
    unused = [row.name for row in KNOWN_DIFFERENCES if not result.disagreements[row.name]]
    assert not unused, f"rows no input of the exhaustive run needs: {unused}"


def test_known_difference_names_are_unique() -> None:
    names = [row.name for row in KNOWN_DIFFERENCES]
    assert len(names) == len(set(names))
    assert {row.peer for row in KNOWN_DIFFERENCES} <= set(PEERS)


#: The totals the exhaustive run finds, quoted in the closing note of issue 5.
EXPECTED_TOTALS = {
    "inputs": 3 * 65536,  # 196,608 payloads, each through all three parsers
    "comparisons": 2 * 3 * 65536,  # 393,216 closeframe-vs-peer comparisons
    "disagreements": {
        # 1014 with each of the three reasons
        "wsproto-rejects-1014": 3,
        # 65536 codes minus the 2012 sendable ones (1000-1003, 1007-1014,
        # 3000-4999), with the invalid-UTF-8 reason only
        "websockets-decodes-reason-before-code": 65536 - 2012,
    },
    "by_reason": {
        ("wsproto-rejects-1014", "empty"): 1,
        ("wsproto-rejects-1014", "valid"): 1,
        ("wsproto-rejects-1014", "invalid-utf8"): 1,
        ("websockets-decodes-reason-before-code", "invalid-utf8"): 63524,
    },
}


def test_exhaustive_totals() -> None:
    result = exhaustive()
    found = {
        "inputs": result.inputs,
        "comparisons": result.comparisons,
        "disagreements": dict(result.disagreements),
        "by_reason": dict(result.by_reason),
    }
    assert found == EXPECTED_TOTALS, f"exhaustive run found {found}"


# -- every other class agrees: the cases investigated, pinned -----------------

AGREED: list[tuple[str, bytes, Verdict]] = [
    ("empty payload: no status, 1005", b"", ("accept", 1005, "")),
    ("1-byte payload", b"\x03", ("reject", 1002)),
    ("1-byte payload 0xff", b"\xff", ("reject", 1002)),
    ("code 0", b"\x00\x00", ("reject", 1002)),
    ("code 999", struct.pack("!H", 999), ("reject", 1002)),
    ("code 1000", struct.pack("!H", 1000) + b"bye", ("accept", 1000, "bye")),
    ("code 1003", struct.pack("!H", 1003), ("accept", 1003, "")),
    ("1004 reserved", struct.pack("!H", 1004), ("reject", 1002)),
    ("1005 on the wire", struct.pack("!H", 1005), ("reject", 1002)),
    ("1006 on the wire", struct.pack("!H", 1006), ("reject", 1002)),
    ("1007", struct.pack("!H", 1007), ("accept", 1007, "")),
    ("1013", struct.pack("!H", 1013), ("accept", 1013, "")),
    ("1015 on the wire", struct.pack("!H", 1015), ("reject", 1002)),
    ("1016 unregistered", struct.pack("!H", 1016), ("reject", 1002)),
    ("2999 unregistered", struct.pack("!H", 2999), ("reject", 1002)),
    ("3000 library", struct.pack("!H", 3000), ("accept", 3000, "")),
    ("4999 private", struct.pack("!H", 4999) + b"x", ("accept", 4999, "x")),
    ("5000 out of range", struct.pack("!H", 5000), ("reject", 1002)),
    ("65535 out of range", b"\xff\xff", ("reject", 1002)),
    ("good code, overlong UTF-8", b"\x03\xe8\xc0\xaf", ("reject", 1007)),
    ("good code, truncated UTF-8", b"\x03\xe8\xe2\x82", ("reject", 1007)),
    ("good code, stray continuation", b"\x03\xe8\x80", ("reject", 1007)),
    ("123-byte reason", b"\x03\xe8" + "€".encode() * 41, ("accept", 1000, "€" * 41)),
    ("126 bytes", b"\x03\xe8" + b"a" * 124, ("reject", 1002)),
    ("130 bytes, bad UTF-8", b"\x00\x00" + b"\xff" * 128, ("reject", 1002)),
]


@pytest.mark.parametrize(
    ("payload", "verdict"), [a[1:] for a in AGREED], ids=[a[0] for a in AGREED]
)
def test_investigated_classes_agree(payload: bytes, verdict: Verdict) -> None:
    assert closeframe_verdict(payload) == verdict
    assert websockets_verdict(payload) == verdict
    assert wsproto_verdict(payload) == verdict
    assert not explain("websockets", payload)
    assert not explain("wsproto", payload)


def test_known_difference_rows_verdicts() -> None:
    # The two rows, shown on one input each.
    assert wsproto_verdict(struct.pack("!H", 1014)) == ("reject", 1002)
    assert closeframe_verdict(struct.pack("!H", 1014)) == ("accept", 1014, "")
    assert websockets_verdict(b"\x00\x00\xff") == ("reject", 1007)
    assert closeframe_verdict(b"\x00\x00\xff") == ("reject", 1002)
    assert wsproto_verdict(b"\x00\x00\xff") == ("reject", 1002)


# -- hypothesis -----------------------------------------------------------------

BOUNDARY_CODES = [
    0, 1, 999, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1011, 1012, 1013,
    1014, 1015, 1016, 1999, 2000, 2999, 3000, 3001, 3999, 4000, 4999, 5000, 5001,
    32767, 32768, 65534, 65535,
]  # fmt: skip

codes = st.one_of(
    st.sampled_from(BOUNDARY_CODES),
    st.integers(min_value=0, max_value=65535),
)
reasons = st.one_of(
    st.text(max_size=40).map(lambda s: s.encode("utf-8", "surrogatepass")[:128]),
    st.binary(max_size=128),
    st.sampled_from([b"", VALID_REASON, INVALID_REASON, "€".encode() * 41, b"a" * 124]),
)
near_boundary_payloads = st.builds(lambda c, r: struct.pack("!H", c) + r, codes, reasons)


def record(payload: bytes) -> None:
    for row in check_payload(payload):
        event(f"known difference: {row.name}")


@given(st.binary(max_size=130))
@example(b"")
@example(b"\x03")
@example(b"\x03\xf6\xff")
@example(b"\x03\xe8" + b"a" * 124)
def test_arbitrary_payloads(payload: bytes) -> None:
    record(payload)


@given(near_boundary_payloads)
def test_payloads_near_code_boundaries(payload: bytes) -> None:
    record(payload)


@given(st.one_of(st.binary(max_size=130), near_boundary_payloads))
def test_frame_pipelines_match_payload_parsers(payload: bytes) -> None:
    # Each side's real receive pipeline, frame layer first, gives the verdict
    # its payload parser gives: the payload-level comparison loses nothing.
    # (Over 125 bytes the peers' verdicts above already come from their frame
    # layer; closeframe's frame decoder refuses the 126 length field itself.)
    assert websockets_frame_verdict(payload) == websockets_verdict(payload)
    assert wsproto_frame_verdict(payload) == wsproto_verdict(payload)
    assert closeframe_frame_verdict(payload) == closeframe_verdict(payload)
