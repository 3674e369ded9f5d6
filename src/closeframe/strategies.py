"""Hypothesis strategies for testing WebSocket close handling, your own included.

Install with the optional extra ``closeframe[hypothesis]``; the core package
never imports hypothesis (this module is not re-exported from ``closeframe``).

Every strategy is tested against this package's codec: each valid example is
accepted and round-trips, each invalid one is refused with exactly the error
it is labelled with.  The invalid strategies yield labelled values
(:class:`InvalidPayload`, :class:`InvalidFrame`), so a test can assert which
failure is due and which close code (1002 or 1007) the peer must be failed
with.  Testing your own parser:

.. code-block:: python

    import pytest
    from hypothesis import given

    from closeframe import strategies as cfst


    @given(cfst.valid_payloads())
    def test_accepts_every_valid_payload(payload: bytes) -> None:
        my_parse(payload)  # must not raise


    @given(cfst.invalid_payloads())
    def test_rejects_every_invalid_payload(bad: cfst.InvalidPayload) -> None:
        with pytest.raises(MyParseError) as failure:
            my_parse(bad.data)
        assert failure.value.close_code == bad.close_code, bad.kind

Whole frames work the same way: :func:`close_frames` and
:func:`invalid_close_frames`, whose examples also say which ``masked=``
expectation the receiver has (a server expects masked frames, a client
unmasked ones).
"""

from __future__ import annotations

try:
    from hypothesis import strategies as st
    from hypothesis.strategies import SearchStrategy
except ImportError as exc:
    raise ImportError(
        "closeframe.strategies needs hypothesis: install the extra 'closeframe[hypothesis]'",
        name=exc.name,
    ) from exc

import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .codes import PROTOCOL_ONLY_CODES, SENDABLE_PROTOCOL_CODES
from .errors import (
    CloseFrameError,
    ControlFrameTooLongError,
    FragmentedControlFrameError,
    IncompleteFrameError,
    InvalidCodeError,
    InvalidReasonError,
    MaskMismatchError,
    NotACloseFrameError,
    PayloadTooLongError,
    ProtocolOnlyCodeError,
    ReservedBitsError,
    TrailingBytesError,
    TruncatedPayloadError,
)
from .frame import CLOSE_OPCODE, encode_close_frame, mask_payload
from .payload import MAX_PAYLOAD_BYTES, MAX_REASON_BYTES, parse_close_payload

__all__ = [
    "FRAME_KINDS",
    "PAYLOAD_KINDS",
    "UTF8_KINDS",
    "InvalidFrame",
    "InvalidPayload",
    "any_codes",
    "any_payloads",
    "close_frames",
    "invalid_close_frames",
    "invalid_codes",
    "invalid_payloads",
    "invalid_utf8",
    "out_of_range_codes",
    "protocol_only_codes",
    "reasons",
    "reserved_codes",
    "sendable_codes",
    "unused_codes",
    "valid_payloads",
]

#: The kinds of invalid UTF-8 :func:`invalid_utf8` makes.
UTF8_KINDS = (
    "overlong",  # a code point in more bytes than it needs: C0 AF for "/"
    "surrogate",  # U+D800-U+DFFF, which UTF-8 may not encode: ED A0 80
    "truncated",  # a multi-byte sequence cut short: E2 82, then the end or a new character
    "stray_continuation",  # a continuation byte 80-BF with no lead byte before it
    "out_of_range",  # a 4-byte form above U+10FFFF: F4 90 80 80, F5-F7 leads
    "invalid_lead",  # F8-FF, which never start a sequence
)

#: The kinds of invalid payload :func:`invalid_payloads` makes, in the order
#: the parser checks them (DESIGN.md): each example is valid in every field
#: checked before its kind, so it fails with exactly the labelled error.
PAYLOAD_KINDS = (
    "too_long",  # 126-200 bytes: PayloadTooLongError, whatever the content
    "one_byte",  # TruncatedPayloadError
    "invalid_code",  # not sendable, not protocol-only; any reason: InvalidCodeError
    "protocol_only_code",  # 1005, 1006, 1015; any reason: ProtocolOnlyCodeError
    "invalid_utf8",  # a sendable code, then invalid UTF-8: InvalidReasonError (1007)
)

#: The kinds of broken frame :func:`invalid_close_frames` makes, in the
#: order the decoder checks them.  The ``payload_*`` kinds are well-formed
#: frames around an invalid payload of that :data:`PAYLOAD_KINDS` kind.
FRAME_KINDS = (
    "incomplete",  # fewer bytes than the header (or the header itself) needs
    "wrong_opcode",  # opcode other than 0x8: NotACloseFrameError
    "fin_clear",  # FragmentedControlFrameError
    "reserved_bits",  # RSV1-3 set: ReservedBitsError
    "mask_mismatch",  # MASK bit other than the receiver expects: MaskMismatchError
    "extended_length",  # length field 126 or 127: ControlFrameTooLongError
    "trailing_bytes",  # bytes after the frame's end: TrailingBytesError
    "payload_one_byte",
    "payload_invalid_code",
    "payload_protocol_only_code",
    "payload_invalid_utf8",
)


@dataclass(frozen=True)
class InvalidPayload:
    """A close payload :func:`closeframe.parse_close_payload` must refuse.

    ``data`` is the payload, ``kind`` one of :data:`PAYLOAD_KINDS`, ``error``
    the exact :class:`~closeframe.CloseFrameError` subclass the parser raises
    and ``close_code`` the code to fail the connection with (1002 or 1007).
    """

    data: bytes
    kind: str
    error: type[CloseFrameError]
    close_code: int


@dataclass(frozen=True)
class InvalidFrame:
    """A close frame :func:`closeframe.decode_close_frame` must refuse.

    As :class:`InvalidPayload`, with ``kind`` one of :data:`FRAME_KINDS`, and
    ``masked``: the expectation to decode it with
    (``decode_close_frame(frame.data, masked=frame.masked)``).
    """

    data: bytes
    kind: str
    error: type[CloseFrameError]
    close_code: int
    masked: bool | None


# Codes --------------------------------------------------------------------

_pack_code = struct.Struct("!H").pack


def _weighted(edges: Iterable[int], low: int, high: int) -> SearchStrategy[int]:
    # The edges of a range are where off-by-one bugs live: draw them often.
    return st.one_of(st.sampled_from(sorted(edges)), st.integers(low, high))


def sendable_codes() -> SearchStrategy[int]:
    """Codes that may appear on the wire: 1000-1003, 1007-1014, 3000-4999."""
    return st.one_of(
        st.sampled_from(sorted(int(code) for code in SENDABLE_PROTOCOL_CODES)),
        _weighted({3000, 3999, 4000, 4999}, 3000, 4999),
    )


def protocol_only_codes() -> SearchStrategy[int]:
    """1005, 1006 and 1015: codes that name a local condition, never sent."""
    return st.sampled_from(sorted(int(code) for code in PROTOCOL_ONLY_CODES))


def unused_codes() -> SearchStrategy[int]:
    """0-999, which RFC 6455 §7.4.2 leaves unused."""
    return _weighted({0, 1, 999}, 0, 999)


def reserved_codes() -> SearchStrategy[int]:
    """Reserved and unassigned: 1004, and 1016-2999 (for extensions)."""
    return st.one_of(st.just(1004), _weighted({1016, 2999}, 1016, 2999))


def out_of_range_codes() -> SearchStrategy[int]:
    """5000-65535: fits the 2-byte field, but no range of RFC 6455 §7.4.2."""
    return _weighted({5000, 65535}, 5000, 65535)


def _refused_codes() -> SearchStrategy[int]:
    # Not sendable and not protocol-only: InvalidCodeError exactly.
    return st.one_of(unused_codes(), reserved_codes(), out_of_range_codes())


def invalid_codes() -> SearchStrategy[int]:
    """Every code that may not be sent: unused, reserved, protocol-only, out of range."""
    return st.one_of(_refused_codes(), protocol_only_codes())


_BOUNDARY_CODES = (0, 999, 1000, 1003, 1004, 1007, 1014, 1015, 1016, 2999, 3000, 4999, 5000, 65535)


def any_codes() -> SearchStrategy[int]:
    """Any 2-byte code, 0-65535, weighted towards the edges of the ranges."""
    return _weighted(_BOUNDARY_CODES, 0, 65535)


# Reasons ------------------------------------------------------------------

# Characters of each UTF-8 width, drawn equally often: most text a
# generator makes is ASCII, and the bugs are in the multi-byte characters.
_WIDTHS = {1: (0, 0x7F), 2: (0x80, 0x7FF), 3: (0x800, 0xFFFF), 4: (0x10000, 0x10FFFF)}
_CHARS_OF_WIDTH = {
    width: st.characters(min_codepoint=low, max_codepoint=high, codec="utf-8")
    for width, (low, high) in _WIDTHS.items()
}
_CHARS = st.one_of(*_CHARS_OF_WIDTH.values())


def _check_max_bytes(max_bytes: int, least: int) -> None:
    if type(max_bytes) is not int or max_bytes < least:
        raise ValueError(f"max_bytes must be an int of at least {least}, got {max_bytes!r}")


def _cut(text: str, max_bytes: int) -> str:
    # Cut at the last whole character that fits.
    return text.encode()[:max_bytes].decode(errors="ignore")


@st.composite
def _exact_text(draw: st.DrawFn, size: int) -> str:
    """Valid text of exactly *size* UTF-8 bytes."""
    text = _cut(draw(st.text(_CHARS, max_size=size)), size)
    left = size - len(text.encode())
    while left:
        width = draw(st.integers(1, min(left, 4)))
        text += draw(_CHARS_OF_WIDTH[width])
        left -= width
    return text


def reasons(max_bytes: int = MAX_REASON_BYTES) -> SearchStrategy[str]:
    """Valid reasons: text whose UTF-8 encoding is at most *max_bytes* long.

    Weighted towards 2-, 3- and 4-byte characters, and towards reasons of
    exactly *max_bytes* bytes (123 by default: a 125-byte payload), ending
    on a character of any width.  No lone surrogates: they cannot be encoded.
    """
    _check_max_bytes(max_bytes, 0)
    return st.one_of(
        st.text(_CHARS, max_size=max_bytes).map(lambda text: _cut(text, max_bytes)),
        _exact_text(max_bytes),
    )


def _encode_at(code_point: int, width: int) -> bytes:
    # The UTF-8 bit pattern for any code point in any width, even the ones
    # UTF-8 forbids (overlong forms, surrogates, beyond U+10FFFF).
    if width == 2:
        return bytes((0xC0 | code_point >> 6, 0x80 | code_point & 0x3F))
    if width == 3:
        return bytes(
            (0xE0 | code_point >> 12, 0x80 | code_point >> 6 & 0x3F, 0x80 | code_point & 0x3F)
        )
    return bytes(
        (
            0xF0 | code_point >> 18,
            0x80 | code_point >> 12 & 0x3F,
            0x80 | code_point >> 6 & 0x3F,
            0x80 | code_point & 0x3F,
        )
    )


_CONTINUATION = st.integers(0x80, 0xBF)


@st.composite
def _overlong(draw: st.DrawFn) -> bytes:
    width = draw(st.sampled_from([2, 3, 4]))
    # The code point needs fewer bytes than *width*; "/" and NUL are the
    # classic path-traversal and string-truncation attacks.
    below = {2: 0x80, 3: 0x800, 4: 0x10000}[width]
    code_point = draw(st.one_of(st.sampled_from([0x00, 0x2F]), st.integers(0, below - 1)))
    return _encode_at(code_point, width)


@st.composite
def _surrogate(draw: st.DrawFn) -> bytes:
    # One surrogate, or a CESU-8 style pair: both are invalid UTF-8.
    high = draw(st.integers(0xD800, 0xDFFF))
    encoded = _encode_at(high, 3)
    if draw(st.booleans()):
        encoded += _encode_at(draw(st.integers(0xDC00, 0xDFFF)), 3)
    return encoded


@st.composite
def _truncated(draw: st.DrawFn) -> bytes:
    width = draw(st.integers(2, 4))
    whole = draw(_CHARS_OF_WIDTH[width]).encode()
    return whole[: draw(st.integers(1, width - 1))]


def _stray_continuation() -> SearchStrategy[bytes]:
    return st.lists(_CONTINUATION, min_size=1, max_size=3).map(bytes)


def _out_of_range() -> SearchStrategy[bytes]:
    return st.one_of(st.just(0x110000), st.integers(0x110000, 0x1FFFFF)).map(
        lambda code_point: _encode_at(code_point, 4)
    )


@st.composite
def _invalid_lead(draw: st.DrawFn) -> bytes:
    lead = draw(st.integers(0xF8, 0xFF))
    return bytes([lead, *draw(st.lists(_CONTINUATION, max_size=3))])


_UTF8_CORES: dict[str, Callable[[], SearchStrategy[bytes]]] = {
    "overlong": _overlong,
    "surrogate": _surrogate,
    "truncated": _truncated,
    "stray_continuation": _stray_continuation,
    "out_of_range": _out_of_range,
    "invalid_lead": _invalid_lead,
}
_LONGEST_CORE = 6  # a surrogate pair


def _choose(kind: str | Iterable[str] | None, known: tuple[str, ...]) -> tuple[str, ...]:
    chosen = known if kind is None else (kind,) if isinstance(kind, str) else tuple(kind)
    unknown = sorted(set(chosen) - set(known))
    if unknown or not chosen:
        raise ValueError(f"unknown kind(s) {unknown}; choose from {', '.join(known)}")
    return chosen


@st.composite
def _around(draw: st.DrawFn, core: SearchStrategy[bytes], max_bytes: int) -> bytes:
    # Valid text before and after the bad bytes, all within max_bytes.
    bad = draw(core)
    prefix = draw(reasons(max_bytes - len(bad))).encode()
    suffix = draw(reasons(max_bytes - len(bad) - len(prefix))).encode()
    return prefix + bad + suffix


def invalid_utf8(
    kind: str | Iterable[str] | None = None, *, max_bytes: int = MAX_REASON_BYTES
) -> SearchStrategy[bytes]:
    """Bytes that are not valid UTF-8, at most *max_bytes* (at least 6) long.

    *kind* picks one or more of :data:`UTF8_KINDS` (all by default).  The
    invalid sequence may sit between valid text, so that a decoder must
    find it; what comes before it is always valid.
    """
    _check_max_bytes(max_bytes, _LONGEST_CORE)
    return st.one_of(
        *(_around(_UTF8_CORES[name](), max_bytes) for name in _choose(kind, UTF8_KINDS))
    )


# Payloads -----------------------------------------------------------------


def _payload(code: int, reason: bytes = b"") -> bytes:
    return _pack_code(code) + reason


def valid_payloads() -> SearchStrategy[bytes]:
    """Payloads :func:`closeframe.parse_close_payload` accepts.

    Empty (no status code), a sendable code alone, or a sendable code and a
    valid reason, often filling the payload to its 125-byte limit.
    """
    return st.one_of(
        st.just(b""),
        st.builds(_payload, sendable_codes()),
        st.builds(_payload, sendable_codes(), reasons().map(str.encode)),
    )


def _any_reason() -> SearchStrategy[bytes]:
    # For kinds decided before the reason is read: any reason at all.
    return st.one_of(
        st.just(b""),
        reasons().map(str.encode),
        invalid_utf8(),
        st.binary(max_size=MAX_REASON_BYTES),
    )


def _too_long() -> SearchStrategy[bytes]:
    return st.one_of(
        st.binary(min_size=MAX_PAYLOAD_BYTES + 1, max_size=200),
        # Valid in every way but the length: a reason of 124 bytes or more.
        st.builds(
            _payload,
            sendable_codes(),
            st.one_of(st.just(124), st.integers(124, 198)).flatmap(_exact_text).map(str.encode),
        ),
    )


_PAYLOAD_BUILDERS: dict[str, tuple[Callable[[], SearchStrategy[bytes]], type[CloseFrameError]]] = {
    "too_long": (_too_long, PayloadTooLongError),
    "one_byte": (lambda: st.binary(min_size=1, max_size=1), TruncatedPayloadError),
    "invalid_code": (
        lambda: st.builds(_payload, _refused_codes(), _any_reason()),
        InvalidCodeError,
    ),
    "protocol_only_code": (
        lambda: st.builds(_payload, protocol_only_codes(), _any_reason()),
        ProtocolOnlyCodeError,
    ),
    "invalid_utf8": (
        lambda: st.builds(_payload, sendable_codes(), invalid_utf8()),
        InvalidReasonError,
    ),
}


def _labelled_payloads(name: str) -> SearchStrategy[InvalidPayload]:
    build, error = _PAYLOAD_BUILDERS[name]
    return build().map(lambda data: InvalidPayload(data, name, error, error.close_code))


def invalid_payloads(kind: str | Iterable[str] | None = None) -> SearchStrategy[InvalidPayload]:
    """Labelled payloads :func:`closeframe.parse_close_payload` refuses.

    *kind* picks one or more of :data:`PAYLOAD_KINDS` (all by default).  Each
    example is an :class:`InvalidPayload` naming the exact error class and
    close code due.  The parser's check order decides the label: a payload
    over 125 bytes is ``too_long`` whatever it holds, one with an invalid
    code is ``invalid_code`` whatever its reason, and ``invalid_utf8``
    examples always have a sendable code.
    """
    return st.one_of(*(_labelled_payloads(name) for name in _choose(kind, PAYLOAD_KINDS)))


def any_payloads() -> SearchStrategy[bytes]:
    """Valid and invalid payloads mixed, plus arbitrary bytes up to 130 long."""
    return st.one_of(
        valid_payloads(),
        invalid_payloads().map(lambda bad: bad.data),
        st.binary(max_size=130),
    )


# Frames -------------------------------------------------------------------

_MASK_KEYS = st.binary(min_size=4, max_size=4)
_EXPECTATIONS: SearchStrategy[bool | None] = st.sampled_from([None, True, False])


def _first_byte(fin: bool, rsv: int, opcode: int) -> int:
    return fin << 7 | rsv << 4 | opcode


def _second_byte(mask: bool, length: int) -> int:
    return mask << 7 | length


@st.composite
def _valid_frame(draw: st.DrawFn, masked: bool | None) -> bytes:
    close = parse_close_payload(draw(valid_payloads()))
    mask = draw(st.booleans()) if masked is None else masked
    return encode_close_frame(close, mask_key=draw(_MASK_KEYS) if mask else None)


def _frame_around(payload: bytes, mask: bool, key: bytes) -> bytes:
    head = bytes((_first_byte(True, 0, CLOSE_OPCODE), _second_byte(mask, len(payload))))
    return head + key + mask_payload(payload, key) if mask else head + payload


@st.composite
def _broken_header(draw: st.DrawFn, kind: str, expect: bool | None) -> tuple[bytes, bool | None]:
    # Fields the decoder checks before *kind* are right, the one of *kind* is
    # wrong, and the ones after it are anything at all.
    fin, rsv, opcode = draw(st.booleans()), draw(st.integers(0, 7)), CLOSE_OPCODE
    mask, length = draw(st.booleans()), draw(st.integers(0, 127))
    if kind == "wrong_opcode":
        opcode = draw(st.sampled_from([0x0, 0x1, 0x2, 0x3, 0x7, 0x9, 0xA, 0xB, 0xF]))
    else:
        fin = kind != "fin_clear"
        if kind == "reserved_bits":
            rsv = draw(st.integers(1, 7))
        elif kind == "mask_mismatch":
            rsv = 0
            if expect is None:
                expect = draw(st.booleans())
            mask = not expect
        else:  # extended_length
            rsv = 0
            mask = draw(st.booleans()) if expect is None else expect
            length = draw(st.sampled_from([126, 127]))
    head = bytes((_first_byte(fin, rsv, opcode), _second_byte(mask, length)))
    return head + draw(st.binary(max_size=140)), expect


@st.composite
def _wrong_length(draw: st.DrawFn, kind: str, expect: bool | None) -> bytes:
    # A sound header whose length disagrees with the bytes that follow.
    mask = draw(st.booleans()) if expect is None else expect
    short = kind == "incomplete"
    length = draw(st.integers(0 if mask or not short else 1, MAX_PAYLOAD_BYTES))
    head = bytes((_first_byte(True, 0, CLOSE_OPCODE), _second_byte(mask, length)))
    body = 4 * mask + length
    if short:
        # One byte short is the likeliest bug; 0 and 1 bytes of anything at all
        # are incomplete before the header is even read.
        if draw(st.booleans()):
            return draw(st.binary(max_size=1))
        cut = draw(st.one_of(st.just(body - 1), st.integers(0, body - 1)))
        return head + draw(st.binary(min_size=cut, max_size=cut))
    extra = draw(st.binary(min_size=1, max_size=20))
    return head + draw(st.binary(min_size=body, max_size=body)) + extra


_FRAME_ERRORS: dict[str, type[CloseFrameError]] = {
    "incomplete": IncompleteFrameError,
    "wrong_opcode": NotACloseFrameError,
    "fin_clear": FragmentedControlFrameError,
    "reserved_bits": ReservedBitsError,
    "mask_mismatch": MaskMismatchError,
    "extended_length": ControlFrameTooLongError,
    "trailing_bytes": TrailingBytesError,
}


@st.composite
def _invalid_frame(
    draw: st.DrawFn, kind: str, expectations: SearchStrategy[bool | None]
) -> InvalidFrame:
    expect = draw(expectations)
    if kind.startswith("payload_"):
        bad = draw(_labelled_payloads(kind.removeprefix("payload_")))
        mask = draw(st.booleans()) if expect is None else expect
        frame = _frame_around(bad.data, mask, draw(_MASK_KEYS))
        return InvalidFrame(frame, kind, bad.error, bad.close_code, expect)
    error = _FRAME_ERRORS[kind]
    if kind in ("incomplete", "trailing_bytes"):
        frame = draw(_wrong_length(kind, expect))
    else:
        frame, expect = draw(_broken_header(kind, expect))
    return InvalidFrame(frame, kind, error, error.close_code, expect)


def invalid_close_frames(kind: str | Iterable[str] | None = None) -> SearchStrategy[InvalidFrame]:
    """Labelled close frames :func:`closeframe.decode_close_frame` refuses.

    *kind* picks one or more of :data:`FRAME_KINDS` (all by default): a
    broken header field, a length that disagrees with the bytes, or a sound
    frame around an invalid payload (masked with a random key when the
    frame is masked).  Each example is an :class:`InvalidFrame`; decode it
    with ``masked=example.masked`` to get exactly ``example.error``.
    """
    return st.one_of(*(_invalid_frame(name, _EXPECTATIONS) for name in _choose(kind, FRAME_KINDS)))


def close_frames(masked: bool | None = None, valid: bool = True) -> SearchStrategy[bytes]:
    """Whole close frames for a receiver that expects *masked*.

    ``masked=True``: masked frames, as a client sends and a server expects,
    each with a random 4-byte key; ``False``: unmasked frames, as a server
    sends; ``None``: either.  With ``valid=True`` every frame decodes with
    ``decode_close_frame(frame, masked=masked)``; with ``valid=False`` none
    does (every kind of :func:`invalid_close_frames`, unlabelled).
    """
    if valid:
        return _valid_frame(masked)
    kinds = [name for name in FRAME_KINDS if masked is not None or name != "mask_mismatch"]
    return st.one_of(*(_invalid_frame(name, st.just(masked)) for name in kinds)).map(
        lambda bad: bad.data
    )
