"""Every public error survives pickle and copy unchanged, and says what it did.

pickle and copy rebuild an exception as ``type(exc)(*exc.args)``: an error
whose ``args`` held its message instead of its fields came back from a
multiprocessing worker with its fields wrong (a str where a bool was).
"""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import pytest

import closeframe
from closeframe import CloseCode, errors
from closeframe.errors import (
    ApplicationCloseError,
    CloseFrameError,
    CloseSyntaxError,
    CloseValueError,
    ClosingHandshakeError,
    ControlFrameTooLongError,
    Error,
    FragmentedControlFrameError,
    IncompleteFrameError,
    InvalidAccessError,
    InvalidCodeError,
    InvalidFrameError,
    InvalidMaskKeyError,
    InvalidReasonError,
    MaskMismatchError,
    NotACloseFrameError,
    PayloadTooLongError,
    ProtocolOnlyCodeError,
    ReasonTooLongError,
    ReasonWithoutCodeError,
    ReservedBitsError,
    TrailingBytesError,
    TruncatedPayloadError,
    UnencodableReasonError,
    UnsendableCodeError,
)

# From __all__, so that a new error class fails test_every_class_has_a_sample
# until it gets one.
ERROR_CLASSES: list[type[BaseException]] = [getattr(errors, name) for name in errors.__all__]

_UNSENDABLE_1005 = (
    "it names a local condition and must never appear on the wire"
    " (1005 with no reason serializes as an empty payload)"
)
_TRUNCATE_HINT = "(pass truncate=True to cut it at a code point)"

# (error, its fields, its message word for word).
SAMPLES: list[tuple[BaseException, dict[str, object], str]] = [
    (Error("anything"), {}, "anything"),
    (CloseFrameError("bad frame"), {}, "bad frame"),
    (CloseValueError("bad close"), {}, "bad close"),
    (ApplicationCloseError("bad call"), {}, "bad call"),
    (InvalidFrameError("bad header"), {}, "bad header"),
    (ClosingHandshakeError("already closed"), {}, "already closed"),
    (
        PayloadTooLongError(126),
        {"length": 126},
        "close payload is 126 bytes; a control frame carries at most 125",
    ),
    (
        TruncatedPayloadError(1),
        {"length": 1},
        "close payload is 1 byte; a status code needs 2 (or send none)",
    ),
    (
        InvalidCodeError(999),
        {"code": 999},
        "close code 999 (not used) is not valid on the wire;"
        " allowed: 1000-1003, 1007-1014, 3000-4999",
    ),
    (
        InvalidCodeError(2000),
        {"code": 2000},
        "close code 2000 (reserved, unassigned) is not valid on the wire;"
        " 1016-2999 are for extensions, allowed only by a CloseCodec that names them",
    ),
    (
        ProtocolOnlyCodeError(1006),
        {"code": 1006},
        "close code 1006 ABNORMAL_CLOSURE (abnormal closure) is not valid on the wire;"
        " it names a local condition and must never be sent",
    ),
    (
        InvalidReasonError(3, "invalid start byte"),
        {"position": 3, "detail": "invalid start byte"},
        "close reason is not valid UTF-8 at byte 3 of the reason (payload offset 5):"
        " invalid start byte",
    ),
    (InvalidMaskKeyError(3), {"length": 3}, "a masking key is 4 bytes, got 3"),
    (
        UnsendableCodeError(1004, "allowed: 1000-1003, 1007-1014, 3000-4999"),
        {"code": 1004, "detail": "allowed: 1000-1003, 1007-1014, 3000-4999"},
        "close code 1004 cannot be sent: allowed: 1000-1003, 1007-1014, 3000-4999",
    ),
    # The code as the caller passed it: a CloseCode stays one.
    (
        UnsendableCodeError(CloseCode.NO_STATUS_RCVD, _UNSENDABLE_1005),
        {"code": CloseCode.NO_STATUS_RCVD, "detail": _UNSENDABLE_1005},
        f"close code 1005 cannot be sent: {_UNSENDABLE_1005}",
    ),
    (
        ReasonWithoutCodeError(),
        {},
        "a close reason needs a status code: the reason follows the code on the wire",
    ),
    (
        ReasonTooLongError(124),
        {"length": 124, "unit": "bytes"},
        f"close reason is 124 bytes in UTF-8; at most 123 fit {_TRUNCATE_HINT}",
    ),
    (
        ReasonTooLongError(200, "characters"),
        {"length": 200, "unit": "characters"},
        "close reason is 200 characters, more than the 123 bytes of UTF-8 that fit"
        f" {_TRUNCATE_HINT}",
    ),
    (
        UnencodableReasonError(2),
        {"position": 2},
        "close reason cannot be encoded as UTF-8: lone surrogate at index 2",
    ),
    (
        InvalidAccessError(1001),
        {"code": 1001},
        "InvalidAccessError: close code 1001 is neither 1000 nor in 3000-4999,"
        " the codes a script may send",
    ),
    (
        InvalidAccessError(CloseCode.GOING_AWAY),
        {"code": CloseCode.GOING_AWAY},
        "InvalidAccessError: close code 1001 is neither 1000 nor in 3000-4999,"
        " the codes a script may send",
    ),
    (
        CloseSyntaxError(124),
        {"length": 124},
        "SyntaxError: close reason is 124 bytes in UTF-8; at most 123 allowed",
    ),
    (
        NotACloseFrameError(0xA),
        {"opcode": 0xA},
        "opcode is 0xa; a close frame has opcode 0x8",
    ),
    (
        FragmentedControlFrameError(),
        {},
        "FIN is clear; a control frame is never fragmented",
    ),
    (
        ReservedBitsError(4),
        {"bits": 4},
        "reserved bits 0b100 are set; no extension defines them here",
    ),
    (
        MaskMismatchError(True),
        {"masked": True},
        "frame is masked; frames from this peer must be unmasked",
    ),
    (
        MaskMismatchError(False),
        {"masked": False},
        "frame is unmasked; frames from this peer must be masked",
    ),
    (
        ControlFrameTooLongError(126),
        {"length_field": 126},
        "length field is 126; a control frame's payload is at most 125 bytes"
        " and never uses the extended lengths",
    ),
    (
        IncompleteFrameError(3),
        {"needed": 3},
        "frame is incomplete: 3 more byte(s) needed",
    ),
    (TrailingBytesError(2), {"extra": 2}, "2 byte(s) follow the close frame"),
]

CLONERS: list[Callable[[Any], Any]] = [
    *(
        lambda exc, protocol=protocol: pickle.loads(pickle.dumps(exc, protocol))
        for protocol in range(pickle.HIGHEST_PROTOCOL + 1)
    ),
    copy.copy,
    copy.deepcopy,
]
CLONER_IDS = [f"pickle{p}" for p in range(pickle.HIGHEST_PROTOCOL + 1)] + ["copy", "deepcopy"]


def field_names(exc: BaseException) -> set[str]:
    """The error's fields: every property its class defines or inherits."""
    return {
        name
        for cls in type(exc).__mro__
        for name, attr in vars(cls).items()
        if isinstance(attr, property)
    }


def assert_same_error(clone: Any, exc: BaseException) -> None:
    assert type(clone) is type(exc)
    assert clone is not exc
    assert clone.args == exc.args
    assert str(clone) == str(exc)
    for name in field_names(exc):
        value = getattr(exc, name)
        assert getattr(clone, name) == value, name
        assert type(getattr(clone, name)) is type(value), name
    assert isinstance(clone, ValueError) is isinstance(exc, ValueError)
    assert getattr(clone, "close_code", None) == getattr(exc, "close_code", None)
    assert getattr(clone, "dom_exception", None) == getattr(exc, "dom_exception", None)


def test_every_class_has_a_sample() -> None:
    sampled = {type(exc) for exc, _, _ in SAMPLES}
    assert [cls.__name__ for cls in ERROR_CLASSES if cls not in sampled] == []
    assert sampled <= set(ERROR_CLASSES)


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("clone", CLONERS, ids=CLONER_IDS)
def test_round_trip(cls: type[BaseException], clone: Callable[[Any], Any]) -> None:
    samples = [sample for sample in SAMPLES if type(sample[0]) is cls]
    assert samples, f"no sample of {cls.__name__}"
    for exc, fields, message in samples:
        copied = clone(exc)
        assert_same_error(copied, exc)
        assert str(copied) == message
        assert {name: getattr(copied, name) for name in field_names(copied)} == fields


@pytest.mark.parametrize(
    ("exc", "fields", "message"), SAMPLES, ids=[type(exc).__name__ for exc, _, _ in SAMPLES]
)
def test_sample(exc: BaseException, fields: dict[str, object], message: str) -> None:
    assert str(exc) == message
    assert field_names(exc) == set(fields)
    if type(exc).__str__ is BaseException.__str__:
        # A family's own class, raised with a message: that is its argument.
        assert exc.args == (message,)
    else:
        # The fields, in the constructor's order: what pickle calls it with.
        assert exc.args == tuple(fields.values())
    for name, value in fields.items():
        assert getattr(exc, name) == value
        assert type(getattr(exc, name)) is type(value)
        with pytest.raises(AttributeError):
            setattr(exc, name, value)


def test_families() -> None:
    families = {
        CloseFrameError: ValueError,
        CloseValueError: ValueError,
        ApplicationCloseError: ValueError,
        ClosingHandshakeError: RuntimeError,
    }
    for cls in ERROR_CLASSES:
        # One root: `except closeframe.Error` catches every one of them.
        assert issubclass(cls, Error), cls.__name__
        if cls is Error:
            continue
        family = [base for base in families if issubclass(cls, base)]
        assert len(family) == 1, cls.__name__
        assert issubclass(cls, families[family[0]])
    assert InvalidReasonError.close_code == 1007
    assert {cls.close_code for cls in ERROR_CLASSES if issubclass(cls, CloseFrameError)} == {
        1002,
        1007,
    }
    assert InvalidAccessError.dom_exception == "InvalidAccessError"
    assert CloseSyntaxError.dom_exception == "SyntaxError"


class TestReasonTooLong:
    def test_unit_defaults_to_bytes_and_is_kept_in_args(self) -> None:
        exc = ReasonTooLongError(124)
        assert exc.args == (124, "bytes")
        assert exc.unit == "bytes"
        assert str(exc) == str(ReasonTooLongError(124, "bytes"))

    def test_unit_by_keyword(self) -> None:
        exc = ReasonTooLongError(150, unit="characters")
        assert exc.args == (150, "characters")
        assert_same_error(pickle.loads(pickle.dumps(exc)), exc)

    @pytest.mark.parametrize("unit", ["", "Bytes", "byte", "chars", "code points"])
    def test_other_units_are_refused(self, unit: str) -> None:
        with pytest.raises(ValueError, match="unit is 'bytes' or 'characters'") as info:
            ReasonTooLongError(124, unit)
        assert type(info.value) is ValueError


# Real errors, from the public functions: with the C accelerator some of
# these are built in C, so this is what compares the two implementations.
RAISERS: list[tuple[str, Callable[[], object], type[BaseException], dict[str, object]]] = [
    (
        "payload-too-long",
        lambda: closeframe.parse_close_payload(b"\x03\xe8" + b"x" * 124),
        PayloadTooLongError,
        {"length": 126},
    ),
    (
        "truncated",
        lambda: closeframe.parse_close_payload(b"\x03"),
        TruncatedPayloadError,
        {"length": 1},
    ),
    (
        "invalid-code",
        lambda: closeframe.parse_close_payload(b"\x03\xe7"),
        InvalidCodeError,
        {"code": 999},
    ),
    (
        "extension-code",
        lambda: closeframe.parse_close_payload(b"\x07\xd0"),
        InvalidCodeError,
        {"code": 2000},
    ),
    (
        "protocol-only-code",
        lambda: closeframe.parse_close_payload(b"\x03\xee"),
        ProtocolOnlyCodeError,
        {"code": 1006},
    ),
    (
        "invalid-reason",
        lambda: closeframe.parse_close_payload(b"\x03\xe8ok\xff"),
        InvalidReasonError,
        {"position": 2},
    ),
    (
        "unsendable-code",
        lambda: closeframe.serialize_close_payload(CloseCode.NO_STATUS_RCVD, "x"),
        UnsendableCodeError,
        {"code": CloseCode.NO_STATUS_RCVD},
    ),
    (
        "unsendable-extension-code",
        lambda: closeframe.serialize_close_payload(2000),
        UnsendableCodeError,
        {"code": 2000},
    ),
    (
        "reason-without-code",
        lambda: closeframe.serialize_close_payload(None, "bye"),
        ReasonWithoutCodeError,
        {},
    ),
    (
        # 62 characters, 124 bytes: only the encoding shows it is too long.
        "reason-too-long-bytes",
        lambda: closeframe.serialize_close_payload(1000, "é" * 62),
        ReasonTooLongError,
        {"length": 124, "unit": "bytes"},
    ),
    (
        "unencodable-reason",
        lambda: closeframe.serialize_close_payload(1000, "ab\ud800"),
        UnencodableReasonError,
        {"position": 2},
    ),
    (
        "invalid-mask-key",
        lambda: closeframe.encode_close_frame(1000, mask_key=b"abc"),
        InvalidMaskKeyError,
        {"length": 3},
    ),
    (
        "frame-reason-too-long",
        lambda: closeframe.encode_close_frame(1000, "é" * 62),
        ReasonTooLongError,
        {"length": 124, "unit": "bytes"},
    ),
    (
        "not-a-close-frame",
        lambda: closeframe.decode_close_frame(b"\x89\x00"),
        NotACloseFrameError,
        {"opcode": 0x9},
    ),
    (
        "fragmented",
        lambda: closeframe.decode_close_frame(b"\x08\x00"),
        FragmentedControlFrameError,
        {},
    ),
    (
        "reserved-bits",
        lambda: closeframe.decode_close_frame(b"\xc8\x00"),
        ReservedBitsError,
        {"bits": 4},
    ),
    (
        "mask-mismatch-masked",
        lambda: closeframe.decode_close_frame(b"\x88\x80abcd", masked=False),
        MaskMismatchError,
        {"masked": True},
    ),
    (
        "mask-mismatch-unmasked",
        lambda: closeframe.decode_close_frame(b"\x88\x00", masked=True),
        MaskMismatchError,
        {"masked": False},
    ),
    (
        "control-frame-too-long",
        lambda: closeframe.decode_close_frame(b"\x88\x7e\x00\x7e" + b"x" * 126),
        ControlFrameTooLongError,
        {"length_field": 126},
    ),
    (
        "incomplete-header",
        lambda: closeframe.decode_close_frame(b"\x88"),
        IncompleteFrameError,
        {"needed": 1},
    ),
    (
        "incomplete-payload",
        lambda: closeframe.decode_close_frame(b"\x88\x05\x03\xe8"),
        IncompleteFrameError,
        {"needed": 3},
    ),
    (
        "trailing-bytes",
        lambda: closeframe.decode_close_frame(b"\x88\x00\x88\x00"),
        TrailingBytesError,
        {"extra": 2},
    ),
    (
        "frame-invalid-reason",
        lambda: closeframe.decode_close_frame(b"\x88\x03\x03\xe8\x80"),
        InvalidReasonError,
        {"position": 0},
    ),
    (
        "invalid-access",
        lambda: closeframe.validate_application_close(CloseCode.GOING_AWAY),
        InvalidAccessError,
        {"code": CloseCode.GOING_AWAY},
    ),
    (
        "close-syntax",
        lambda: closeframe.validate_application_close(1000, "é" * 62),
        CloseSyntaxError,
        {"length": 124},
    ),
]


@pytest.mark.parametrize(
    ("raiser", "expected", "fields"),
    [raiser[1:] for raiser in RAISERS],
    ids=[raiser[0] for raiser in RAISERS],
)
@pytest.mark.parametrize("clone", CLONERS, ids=CLONER_IDS)
def test_raised_errors_round_trip(
    raiser: Callable[[], object],
    expected: type[BaseException],
    fields: dict[str, object],
    clone: Callable[[Any], Any],
) -> None:
    with pytest.raises(expected) as info:
        raiser()
    exc = info.value
    assert type(exc) is expected
    for name, value in fields.items():
        assert getattr(exc, name) == value
        assert type(getattr(exc, name)) is type(value)
    assert_same_error(clone(exc), exc)


def test_a_reason_with_too_many_characters_round_trips() -> None:
    # 200 ASCII characters are 200 bytes: the length is right whichever
    # unit the serializer measured in.
    with pytest.raises(ReasonTooLongError) as info:
        closeframe.serialize_close_payload(1000, "x" * 200)
    exc = info.value
    assert exc.length == 200
    assert exc.unit in {"bytes", "characters"}
    assert str(exc).startswith(f"close reason is 200 {exc.unit}")
    for clone in CLONERS:
        assert_same_error(clone(exc), exc)
