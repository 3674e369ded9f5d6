"""The strategies themselves, tested against the codec they describe."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import closeframe
from closeframe import (
    Close,
    CloseFrameError,
    decode_close_frame,
    encode_close_frame,
    is_protocol_only,
    is_sendable,
    parse_close_payload,
    serialize_close_payload,
)
from closeframe import strategies as cfst

T = TypeVar("T")

# Derandomized, so that the "every kind shows up" assertions cannot flake.
FIXED = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def draw_many(strategy: st.SearchStrategy[T], count: int = 300) -> list[T]:
    """Run *strategy* for *count* examples with a fixed seed; return them all."""
    drawn: list[T] = []

    @settings(FIXED, max_examples=count)
    @given(strategy)
    def collect(value: T) -> None:
        drawn.append(value)

    collect()
    return drawn


# Import --------------------------------------------------------------------


def test_not_imported_by_the_package() -> None:
    assert "strategies" not in closeframe.__all__
    check = (
        "import sys, closeframe;"
        " assert 'closeframe.strategies' not in sys.modules;"
        " assert 'hypothesis' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", check], check=True)


def test_import_without_hypothesis_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    before = dict(sys.modules)
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "hypothesis", None)  # an import of it now fails
        patch.delitem(sys.modules, "closeframe.strategies")
        with pytest.raises(ImportError, match=r"closeframe\[hypothesis\]") as failure:
            importlib.import_module("closeframe.strategies")
        assert failure.value.name == "hypothesis"
    assert sys.modules == before
    assert sys.modules["closeframe.strategies"] is cfst
    assert closeframe.strategies is cfst


def test_all_names_exist() -> None:
    for name in cfst.__all__:
        assert getattr(cfst, name) is not None


# Codes --------------------------------------------------------------------

CODE_CLASSES: list[tuple[Callable[[], st.SearchStrategy[int]], Callable[[int], bool]]] = [
    (cfst.sendable_codes, is_sendable),
    (cfst.protocol_only_codes, is_protocol_only),
    (cfst.unused_codes, lambda code: 0 <= code <= 999),
    (cfst.reserved_codes, lambda code: code == 1004 or 1016 <= code <= 2999),
    (cfst.out_of_range_codes, lambda code: 5000 <= code <= 65535),
    (cfst.invalid_codes, lambda code: 0 <= code <= 65535 and not is_sendable(code)),
    (cfst.any_codes, lambda code: 0 <= code <= 65535),
]


@pytest.mark.parametrize(("strategy", "belongs"), CODE_CLASSES)
def test_codes_stay_in_their_class(
    strategy: Callable[[], st.SearchStrategy[int]], belongs: Callable[[int], bool]
) -> None:
    codes = draw_many(strategy(), 200)
    assert all(type(code) is int and belongs(code) for code in codes)


def test_codes_reach_the_edges() -> None:
    edges = {999, 1000, 1003, 1004, 1007, 1014, 1015, 1016, 2999, 3000, 4999, 5000, 65535}
    assert edges <= set(draw_many(cfst.any_codes(), 300))
    assert {1000, 1003, 1007, 1014, 3000, 4999} <= set(draw_many(cfst.sendable_codes()))
    assert {999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535} <= set(
        draw_many(cfst.invalid_codes(), 500)
    )


# Reasons ------------------------------------------------------------------


@pytest.mark.parametrize("max_bytes", [0, 1, 5, 123])
def test_reasons_fit_and_encode(max_bytes: int) -> None:
    for reason in draw_many(cfst.reasons(max_bytes), 100):
        assert len(reason.encode()) <= max_bytes  # strict: no lone surrogates
        assert serialize_close_payload(1000, reason) == b"\x03\xe8" + reason.encode()


def test_reasons_reach_the_123_byte_edge_and_every_width() -> None:
    sizes = Counter(len(reason.encode()) for reason in draw_many(cfst.reasons(), 200))
    assert sizes[123] >= 20  # a good share of the examples sit exactly on the edge
    assert len(sizes) > 10  # and the others spread out
    # The edge is reached with a last character of every width.
    last_widths = {
        len(reason[-1].encode())
        for reason in draw_many(cfst.reasons(), 200)
        if len(reason.encode()) == 123
    }
    assert last_widths == {1, 2, 3, 4}


def test_reasons_are_mostly_multi_byte() -> None:
    text = "".join(draw_many(cfst.reasons(), 100))
    assert sum(ord(char) > 0x7F for char in text) > len(text) / 2


# Invalid UTF-8 --------------------------------------------------------------


def continuation(byte: int) -> bool:
    return 0x80 <= byte <= 0xBF


# What the bytes at the first error look like, for each kind (RFC 3629 §4).
def looks_like(kind: str, bad: bytes) -> bool:
    lead, after = bad[0], bad[1:2]
    follows = after[0] if after else None
    if kind == "overlong":
        if lead in (0xC0, 0xC1):
            return True
        return follows is not None and (
            (lead == 0xE0 and follows <= 0x9F) or (lead == 0xF0 and follows <= 0x8F)
        )
    if kind == "surrogate":
        return lead == 0xED and follows is not None and 0xA0 <= follows <= 0xBF
    if kind == "truncated":
        needed = 2 if lead <= 0xDF else 3 if lead <= 0xEF else 4
        present = 1
        while present < len(bad) and continuation(bad[present]):
            present += 1
        return 0xC2 <= lead <= 0xF4 and present < needed
    if kind == "stray_continuation":
        return continuation(lead)
    if kind == "out_of_range":
        return 0xF5 <= lead <= 0xF7 or (lead == 0xF4 and follows is not None and follows >= 0x90)
    assert kind == "invalid_lead"
    return lead >= 0xF8


@pytest.mark.parametrize("kind", cfst.UTF8_KINDS)
def test_invalid_utf8_of_each_kind_fails_strict_decoding(kind: str) -> None:
    for data in draw_many(cfst.invalid_utf8(kind), 50):
        assert len(data) <= 123
        with pytest.raises(UnicodeDecodeError) as failure:
            data.decode("utf-8")
        start = failure.value.start
        data[:start].decode("utf-8")  # what comes before is valid
        assert looks_like(kind, data[start:]), data.hex()


@given(cfst.invalid_utf8(["surrogate", "truncated"], max_bytes=6))
@settings(max_examples=50)
def test_invalid_utf8_respects_max_bytes(data: bytes) -> None:
    assert len(data) <= 6
    with pytest.raises(UnicodeDecodeError):
        data.decode()


def test_invalid_utf8_mixes_in_valid_text() -> None:
    examples = draw_many(cfst.invalid_utf8(), 100)
    assert any(len(data) > 50 and data[0] < 0x80 for data in examples)


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: cfst.invalid_utf8("latin-1"), "latin-1"),
        (lambda: cfst.invalid_utf8([]), "choose from"),
        (lambda: cfst.invalid_utf8(max_bytes=5), "at least 6"),
        (lambda: cfst.reasons(-1), "at least 0"),
        (lambda: cfst.reasons(True), "True"),
        (lambda: cfst.invalid_payloads("too_short"), "too_short"),
        (lambda: cfst.invalid_close_frames("payload_too_long"), "payload_too_long"),
    ],
)
def test_bad_arguments_are_refused_at_once(make: Callable[[], object], argument: str) -> None:
    with pytest.raises(ValueError, match=argument):
        make()


# Payloads -----------------------------------------------------------------


def test_valid_payloads_parse_and_round_trip() -> None:
    payloads = draw_many(cfst.valid_payloads(), 200)
    for data in payloads:
        close = parse_close_payload(data)
        assert serialize_close_payload(*close) == data
    lengths = {len(data) for data in payloads}
    assert {0, 2, 125} <= lengths


def test_invalid_payloads_raise_exactly_their_label() -> None:
    seen: Counter[str] = Counter()
    examples = draw_many(cfst.invalid_payloads(), 300)
    for bad in examples:
        assert type(bad) is cfst.InvalidPayload
        seen[bad.kind] += 1
        with pytest.raises(CloseFrameError) as failure:
            parse_close_payload(bad.data)
        assert type(failure.value) is bad.error, bad
        assert failure.value.close_code == bad.close_code
        assert bad.close_code == (1007 if bad.kind == "invalid_utf8" else 1002)
        if bad.kind == "too_long":
            assert 126 <= len(bad.data) <= 200
        else:
            assert len(bad.data) <= 125
    assert set(seen) == set(cfst.PAYLOAD_KINDS)
    # The hard cases: exactly one byte over; too long although code and
    # reason are valid; an invalid code with and without a reason, and with
    # a broken reason (the code is checked first).
    assert any(len(bad.data) == 126 for bad in examples)
    assert any(
        bad.kind == "too_long" and is_sendable(int.from_bytes(bad.data[:2], "big"))
        for bad in examples
    )
    codes = [bad.data for bad in examples if bad.kind == "invalid_code"]
    assert any(len(data) == 2 for data in codes)
    assert any(len(data) > 2 for data in codes)
    assert any(not is_utf8(data[2:]) for data in codes)


def is_utf8(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("kind", cfst.PAYLOAD_KINDS)
def test_invalid_payloads_of_one_kind(kind: str) -> None:
    for bad in draw_many(cfst.invalid_payloads(kind), 30):
        assert bad.kind == kind


def test_any_payloads_mix_valid_and_invalid() -> None:
    verdicts: Counter[str] = Counter()
    for data in draw_many(cfst.any_payloads(), 150):
        try:
            parse_close_payload(data)
        except CloseFrameError as exc:
            verdicts[type(exc).__name__] += 1
        else:
            verdicts["valid"] += 1
    # A mix, not a split: the exact shares vary with hypothesis's state.
    invalid = sum(verdicts.values()) - verdicts["valid"]
    assert verdicts["valid"] >= 10
    assert invalid >= 10
    assert len(verdicts) >= 4


def test_labels_are_frozen() -> None:
    bad = cfst.InvalidPayload(b"\x03", "one_byte", closeframe.TruncatedPayloadError, 1002)
    with pytest.raises(AttributeError):
        bad.kind = "too_long"  # type: ignore[misc]


# Frames ---------------------------------------------------------------------


@pytest.mark.parametrize("masked", [True, False, None])
def test_valid_close_frames_decode_and_round_trip(masked: bool | None) -> None:
    mask_bits = set()
    for frame in draw_many(cfst.close_frames(masked=masked), 80):
        close = decode_close_frame(frame, masked=masked)
        assert type(close) is Close
        is_masked = bool(frame[1] & 0x80)
        mask_bits.add(is_masked)
        key = frame[2:6] if is_masked else None
        assert encode_close_frame(close, mask_key=key) == frame
    assert mask_bits == ({True, False} if masked is None else {masked})


def test_invalid_close_frames_raise_exactly_their_label() -> None:
    seen: set[str] = set()
    expectations: set[tuple[str, bool | None]] = set()
    for bad in draw_many(cfst.invalid_close_frames(), 300):
        assert type(bad) is cfst.InvalidFrame
        seen.add(bad.kind)
        expectations.add((bad.kind, bad.masked))
        with pytest.raises(CloseFrameError) as failure:
            decode_close_frame(bad.data, masked=bad.masked)
        assert type(failure.value) is bad.error, bad
        assert failure.value.close_code == bad.close_code
    assert seen == set(cfst.FRAME_KINDS)
    assert {("mask_mismatch", True), ("mask_mismatch", False)} <= expectations
    assert ("mask_mismatch", None) not in expectations


@pytest.mark.parametrize("kind", cfst.FRAME_KINDS)
def test_invalid_close_frames_of_one_kind(kind: str) -> None:
    for bad in draw_many(cfst.invalid_close_frames(kind), 40):
        assert bad.kind == kind
        with pytest.raises(bad.error):
            decode_close_frame(bad.data, masked=bad.masked)


@pytest.mark.parametrize("masked", [True, False, None])
def test_close_frames_not_valid_all_fail(masked: bool | None) -> None:
    errors = set()
    for frame in draw_many(cfst.close_frames(masked=masked, valid=False), 150):
        with pytest.raises(CloseFrameError) as failure:
            decode_close_frame(frame, masked=masked)
        errors.add(type(failure.value).__name__)
    assert ("MaskMismatchError" in errors) is (masked is not None)
    assert len(errors) >= 8


def test_masked_payload_frames_hide_the_payload() -> None:
    # A broken payload inside a masked frame is really masked: unmasked,
    # the parser sees the labelled error.
    for bad in draw_many(cfst.invalid_close_frames("payload_invalid_utf8"), 50):
        if bad.data[1] & 0x80:
            payload = closeframe.mask_payload(bad.data[6:], bad.data[2:6])
        else:
            payload = bad.data[2:]
        with pytest.raises(closeframe.InvalidReasonError):
            parse_close_payload(payload)


# The documented example ------------------------------------------------------


class ToyParseError(ValueError):
    def __init__(self, close_code: int) -> None:
        super().__init__(close_code)
        self.close_code = close_code


def toy_parse(data: bytes) -> tuple[int, str] | None:
    """A parser written straight from RFC 6455, independent of closeframe."""
    if len(data) > 125 or len(data) == 1:
        raise ToyParseError(1002)
    if not data:
        return None
    code = int.from_bytes(data[:2], "big")
    if not (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999):
        raise ToyParseError(1002)
    try:
        return code, data[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise ToyParseError(1007) from None


def toy_parse_lenient(data: bytes) -> tuple[int, str] | None:
    """The toy parser with a classic bug: it replaces invalid UTF-8."""
    if len(data) > 125 or len(data) == 1:
        raise ToyParseError(1002)
    return (int.from_bytes(data[:2], "big"), data[2:].decode(errors="replace")) if data else None


def documented_example() -> str:
    doc = cfst.__doc__
    assert doc is not None
    block = doc.split(".. code-block:: python\n", 1)[1]
    lines = []
    for line in block.splitlines()[1:]:
        if line and not line.startswith("    "):
            break
        lines.append(line)
    return textwrap.dedent("\n".join(lines))


def run_documented_example(parse: Callable[[bytes], object]) -> None:
    namespace: dict[str, Any] = {"my_parse": parse, "MyParseError": ToyParseError}
    exec(documented_example(), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_")]
    assert len(tests) == 2
    for test in tests:
        # Bounded, and without shrinking: the buggy parser fails fast.
        settings(FIXED, max_examples=100, phases=[Phase.generate])(test)()


def test_documented_example_runs() -> None:
    run_documented_example(toy_parse)


def test_documented_example_catches_a_buggy_parser() -> None:
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        run_documented_example(toy_parse_lenient)
