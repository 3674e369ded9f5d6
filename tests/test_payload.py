"""The payload codec: literal RFC 6455 vectors, both directions, and the errors."""

from __future__ import annotations

import array
import contextlib
import copy
import pickle
import sys
from collections.abc import Callable

import pytest

from closeframe import (
    MAX_PAYLOAD_BYTES,
    MAX_REASON_BYTES,
    Close,
    CloseCode,
    CloseCodec,
    CloseFrameError,
    CloseValueError,
    InvalidCodeError,
    InvalidReasonError,
    PayloadTooLongError,
    ProtocolOnlyCodeError,
    ReasonTooLongError,
    ReasonWithoutCodeError,
    TruncatedPayloadError,
    UnencodableReasonError,
    UnsendableCodeError,
    encode_close_frame,
    parse_close_payload,
    serialize_close_payload,
)


def assert_round_trip(payload: bytes, code: int, reason: str) -> None:
    """Check both directions: parse(payload) == Close(code, reason) and back."""
    close = parse_close_payload(payload)
    assert close == Close(code, reason)
    assert close.code == code
    assert close.reason == reason
    assert serialize_close_payload(code, reason) == payload
    assert serialize_close_payload(*close) == payload
    # The same through a bytearray and a memoryview of the same bytes.
    assert parse_close_payload(bytearray(payload)) == close
    assert parse_close_payload(memoryview(payload)) == close


# RFC 6455 §5.5.1: a 2-byte big-endian code, then UTF-8.
VALID = [
    pytest.param("", 1005, "", id="empty-is-1005"),
    pytest.param("03e8", 1000, "", id="1000"),
    pytest.param("03e8627965", 1000, "bye", id="1000-bye"),
    pytest.param("03e9", 1001, "", id="1001"),
    pytest.param("03f6", 1014, "", id="1014"),
    pytest.param("03f2", 1010, "", id="1010"),
    pytest.param("0bb8", 3000, "", id="3000"),
    pytest.param("0fa1c3a9", 4001, "é", id="4001-2-byte-char"),
    pytest.param("1387e282ac", 4999, "€", id="4999-3-byte-char"),
    pytest.param("03f3f09f9880", 1011, "😀", id="1011-4-byte-char"),
    pytest.param("03e8" + "61" * 123, 1000, "a" * 123, id="125-bytes"),
    pytest.param("03e8" + "e282ac" * 41, 1000, "€" * 41, id="123-byte-reason-multibyte"),
    pytest.param("03e800", 1000, "\x00", id="nul-in-reason"),
    pytest.param("03e8efbbbf", 1000, "\ufeff", id="bom-is-kept"),
]


@pytest.mark.parametrize(("hex_payload", "code", "reason"), VALID)
def test_valid_vectors(hex_payload: str, code: int, reason: str) -> None:
    assert_round_trip(bytes.fromhex(hex_payload), code, reason)


def test_registered_codes_come_back_as_members() -> None:
    assert parse_close_payload(b"\x03\xe8").code is CloseCode.NORMAL_CLOSURE
    assert parse_close_payload(b"\x03\xe9hi").code is CloseCode.GOING_AWAY
    assert parse_close_payload(b"").code is CloseCode.NO_STATUS_RCVD
    assert type(parse_close_payload(b"\x0f\xa0").code) is int


INVALID = [
    # 1. longer than 125 bytes: checked first, whatever else is wrong.
    pytest.param("03e8" + "61" * 124, PayloadTooLongError, 1002, id="126-bytes"),
    pytest.param("03ee" + "ff" * 124, PayloadTooLongError, 1002, id="126-bytes-all-wrong"),
    # 3. one byte.
    pytest.param("03", TruncatedPayloadError, 1002, id="1-byte"),
    pytest.param("00", TruncatedPayloadError, 1002, id="1-zero-byte"),
    # 4. codes that may not be sent, with or without a reason.
    pytest.param("0000", InvalidCodeError, 1002, id="0"),
    pytest.param("03e7", InvalidCodeError, 1002, id="999"),
    pytest.param("03ec", InvalidCodeError, 1002, id="1004-reserved"),
    pytest.param("03ed", ProtocolOnlyCodeError, 1002, id="1005-on-the-wire"),
    pytest.param("03ee", ProtocolOnlyCodeError, 1002, id="1006-on-the-wire"),
    pytest.param("03f7", ProtocolOnlyCodeError, 1002, id="1015-on-the-wire"),
    pytest.param("03ee6279", ProtocolOnlyCodeError, 1002, id="1006-with-reason"),
    pytest.param("03f8", InvalidCodeError, 1002, id="1016"),
    pytest.param("07d0", InvalidCodeError, 1002, id="2000"),
    pytest.param("0bb7", InvalidCodeError, 1002, id="2999"),
    pytest.param("1388", InvalidCodeError, 1002, id="5000"),
    pytest.param("ffff", InvalidCodeError, 1002, id="65535"),
    # The code is checked before the reason: 1002 wins over 1007.
    pytest.param("03e7ff", InvalidCodeError, 1002, id="bad-code-and-bad-utf8"),
    # 5. the reason is not strict UTF-8.
    pytest.param("03e8ff", InvalidReasonError, 1007, id="ff-byte"),
    pytest.param("03e880", InvalidReasonError, 1007, id="stray-continuation"),
    pytest.param("03e8c080", InvalidReasonError, 1007, id="overlong-nul"),
    pytest.param("03e8c1bf", InvalidReasonError, 1007, id="overlong-2-byte"),
    pytest.param("03e8e08080", InvalidReasonError, 1007, id="overlong-3-byte"),
    pytest.param("03e8f0808080", InvalidReasonError, 1007, id="overlong-4-byte"),
    pytest.param("03e8eda080", InvalidReasonError, 1007, id="surrogate-d800"),
    pytest.param("03e8edbfbf", InvalidReasonError, 1007, id="surrogate-dfff"),
    pytest.param("03e8eda0bdedb880", InvalidReasonError, 1007, id="cesu-8-pair"),
    pytest.param("03e8e282", InvalidReasonError, 1007, id="truncated-3-byte"),
    pytest.param("03e8f09f98", InvalidReasonError, 1007, id="truncated-4-byte"),
    pytest.param("03e8f4908080", InvalidReasonError, 1007, id="above-10ffff"),
    pytest.param("03e8f8888080", InvalidReasonError, 1007, id="5-byte-form"),
]


@pytest.mark.parametrize(("hex_payload", "error", "close_code"), INVALID)
def test_invalid_vectors(hex_payload: str, error: type[CloseFrameError], close_code: int) -> None:
    payload = bytes.fromhex(hex_payload)
    for data in (payload, bytearray(payload), memoryview(payload)):
        with pytest.raises(error) as info:
            parse_close_payload(data)
        assert type(info.value) is error
        assert info.value.close_code == close_code
        assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        (999, "allowed: 1000-1003, 1007-1014, 3000-4999"),
        (1004, "allowed: 1000-1003, 1007-1014, 3000-4999"),
        (1016, "allowed only by a CloseCodec that names them"),
        (2999, "allowed only by a CloseCodec that names them"),
        (5000, "allowed: 1000-1003, 1007-1014, 3000-4999"),
    ],
)
def test_a_refused_code_says_what_is_allowed(code: int, rule: str) -> None:
    # An extension codec accepts some of 1016-2999: the message says so
    # there, and lists the default ranges elsewhere.
    for parse in (parse_close_payload, CloseCodec(extension_codes={2001}).parse):
        with pytest.raises(InvalidCodeError) as info:
            parse(code.to_bytes(2, "big"))
        assert str(info.value).startswith(f"close code {code} ")
        assert str(info.value).endswith(rule)


def test_error_details() -> None:
    with pytest.raises(PayloadTooLongError) as too_long:
        parse_close_payload(b"\x03\xe8" + b"a" * 200)
    assert too_long.value.length == 202
    assert "202 bytes" in str(too_long.value)
    assert "125" in str(too_long.value)

    with pytest.raises(TruncatedPayloadError) as truncated:
        parse_close_payload(b"\x03")
    assert truncated.value.length == 1

    with pytest.raises(InvalidCodeError) as bad_code:
        parse_close_payload(b"\x07\xd0")
    assert bad_code.value.code == 2000
    assert "2000" in str(bad_code.value)
    assert "1016-2999 are for extensions" in str(bad_code.value)

    with pytest.raises(ProtocolOnlyCodeError) as local:
        parse_close_payload(b"\x03\xee")
    assert local.value.code == 1006
    assert "ABNORMAL_CLOSURE" in str(local.value)

    with pytest.raises(InvalidReasonError) as bad_utf8:
        parse_close_payload(b"\x03\xe8ok\xc3(")
    assert bad_utf8.value.position == 2
    assert "byte 2 of the reason" in str(bad_utf8.value)
    assert "payload offset 4" in str(bad_utf8.value)
    # No chained UnicodeDecodeError: the error is the whole story.
    assert bad_utf8.value.__cause__ is None
    assert bad_utf8.value.__context__ is None


class TestInputTypes:
    def test_large_memoryview_rejected_without_copy(self) -> None:
        big = bytearray(10_000_000)
        with pytest.raises(PayloadTooLongError) as info:
            parse_close_payload(big)
        assert info.value.length == 10_000_000
        # No view of the buffer is left behind: it can be resized again.
        big.extend(b"x")
        with pytest.raises(PayloadTooLongError) as info:
            parse_close_payload(memoryview(big))
        assert info.value.length == 10_000_001

    def test_memoryview_slice_of_a_larger_buffer(self) -> None:
        frame = b"\x88\x05\x03\xe8bye\x00\x00"
        assert parse_close_payload(memoryview(frame)[2:7]) == Close(1000, "bye")

    def test_non_contiguous_memoryview(self) -> None:
        data = bytes([0x03, 0, 0xE8, 0, ord("h"), 0, ord("i"), 0])
        assert parse_close_payload(memoryview(data)[::2]) == Close(1000, "hi")

    def test_multi_byte_format_is_read_as_bytes(self) -> None:
        words = array.array("H", [0, 0])
        raw = bytes.fromhex("03e86869")
        words = array.array("H")
        words.frombytes(raw)
        assert parse_close_payload(words) == Close(1000, "hi")  # type: ignore[arg-type]
        assert parse_close_payload(memoryview(words)) == Close(1000, "hi")

    def test_bytes_subclass(self) -> None:
        class Payload(bytes):
            pass

        assert parse_close_payload(Payload(b"\x03\xe8ok")) == Close(1000, "ok")

    def test_caller_buffer_is_not_modified(self) -> None:
        buffer = bytearray(b"\x03\xe8hello")
        parse_close_payload(buffer)
        parse_close_payload(memoryview(buffer))
        assert buffer == b"\x03\xe8hello"

    @pytest.mark.parametrize("bad", ["\x03\xe8", 1000, None, [3, 232], (3, 232), 3.5])
    def test_not_bytes_like(self, bad: object) -> None:
        with pytest.raises(TypeError, match="close payload must be bytes") as info:
            parse_close_payload(bad)  # type: ignore[arg-type]
        assert not isinstance(info.value, CloseFrameError)


class TestSerialize:
    def test_no_code(self) -> None:
        assert serialize_close_payload() == b""
        assert serialize_close_payload(None, "") == b""

    @pytest.mark.parametrize("code", [1005, CloseCode.NO_STATUS_RCVD])
    def test_1005_without_reason_is_empty(self, code: int) -> None:
        assert serialize_close_payload(code) == b""
        assert serialize_close_payload(code, "") == b""

    def test_1005_with_reason_is_refused(self) -> None:
        with pytest.raises(UnsendableCodeError, match="1005") as info:
            serialize_close_payload(1005, "why")
        assert info.value.code == 1005

    def test_reason_without_code(self) -> None:
        with pytest.raises(ReasonWithoutCodeError, match="needs a status code"):
            serialize_close_payload(None, "bye")

    @pytest.mark.parametrize("code", [1006, 1015, CloseCode.ABNORMAL_CLOSURE])
    def test_protocol_only_codes_never_rewritten(self, code: int) -> None:
        for reason in ("", "x"):
            with pytest.raises(UnsendableCodeError, match="local condition") as info:
                serialize_close_payload(code, reason)
            assert info.value.code == code

    @pytest.mark.parametrize("code", [0, 999, 1004, 1016, 2000, 2999, 5000, 65535, -1, 65536])
    def test_unsendable_codes(self, code: int) -> None:
        with pytest.raises(UnsendableCodeError) as info:
            serialize_close_payload(code)
        assert info.value.code == code
        assert isinstance(info.value, CloseValueError)
        assert isinstance(info.value, ValueError)

    def test_extension_range_points_to_the_codec(self) -> None:
        with pytest.raises(UnsendableCodeError, match="CloseCodec"):
            serialize_close_payload(2000)

    def test_reason_limit(self) -> None:
        assert len(serialize_close_payload(1000, "a" * 123)) == 125
        with pytest.raises(ReasonTooLongError) as info:
            serialize_close_payload(1000, "a" * 124)
        assert info.value.length == 124
        assert "123" in str(info.value)
        with pytest.raises(ReasonTooLongError):
            serialize_close_payload(1000, "€" * 42)  # 126 bytes, 42 characters

    @pytest.mark.parametrize(
        ("reason", "kept"),
        [
            ("a" * 123, "a" * 123),
            ("a" * 124, "a" * 123),
            ("€" * 42, "€" * 41),
            ("a" * 122 + "é", "a" * 122),
            ("a" * 121 + "é", "a" * 121 + "é"),
            ("a" * 120 + "😀", "a" * 120),
            ("a" * 119 + "😀", "a" * 119 + "😀"),
            ("a" * 121 + "€", "a" * 121),
            ("😀" * 40, "😀" * 30),
            ("", ""),
        ],
    )
    def test_truncate_cuts_at_a_code_point(self, reason: str, kept: str) -> None:
        payload = serialize_close_payload(1000, reason, truncate=True)
        assert payload == b"\x03\xe8" + kept.encode()
        assert parse_close_payload(payload) == Close(1000, kept)

    def test_lone_surrogate(self) -> None:
        with pytest.raises(UnencodableReasonError) as info:
            serialize_close_payload(1000, "ok\ud800")
        assert info.value.position == 2
        with pytest.raises(UnencodableReasonError):
            serialize_close_payload(1000, "\udfff" * 200, truncate=True)

    def test_a_surrogate_only_counts_where_it_is_kept(self) -> None:
        # truncate=True sends what fits: a lone surrogate in that part is
        # refused (it takes the 3 bytes "surrogatepass" gives it), one in
        # the part cut off is never looked at.
        kept = serialize_close_payload(1000, "a" * 121 + "\ud800" + "b" * 10, truncate=True)
        assert kept == b"\x03\xe8" + b"a" * 121
        with pytest.raises(UnencodableReasonError) as info:
            serialize_close_payload(1000, "a" * 120 + "\ud800" + "b" * 10, truncate=True)
        assert info.value.position == 120
        long_tail = "ok" + "\udfff" * 10**6
        with pytest.raises(UnencodableReasonError) as info:
            serialize_close_payload(1000, long_tail, truncate=True)
        assert info.value.position == 2

    def test_too_many_characters_is_too_long_unencoded(self) -> None:
        with pytest.raises(ReasonTooLongError) as info:
            serialize_close_payload(1000, "é" * 124)
        assert (info.value.length, info.value.unit) == (124, "characters")
        assert "124 characters" in str(info.value)
        # Even a surrogate does not matter then: no encoding was attempted.
        with pytest.raises(ReasonTooLongError):
            serialize_close_payload(1000, "\ud800" * 124)
        with pytest.raises(ReasonTooLongError) as info:
            serialize_close_payload(1000, "é" * 62)  # 62 characters, 124 bytes
        assert (info.value.length, info.value.unit) == (124, "bytes")

    @pytest.mark.parametrize("truncate", [False, True])
    @pytest.mark.parametrize("character", ["a", "é", "€", "😀", "\ud800"])
    def test_a_huge_reason_is_never_encoded_whole(self, truncate: bool, character: str) -> None:
        import tracemalloc  # here, not at the top: PyPy has none (tox.ini's pypy3)

        reason = "ok" + character * 2_000_000
        size = sys.getsizeof(reason)
        tracemalloc.start()
        try:
            with contextlib.suppress(CloseValueError):
                serialize_close_payload(1000, reason, truncate=truncate)
            with contextlib.suppress(CloseValueError):
                encode_close_frame(1000, reason, mask_key=b"abcd", truncate=truncate)
            with contextlib.suppress(CloseValueError):
                Close(1000, reason)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        # Encoding it would take 2 MB or more; a cut reason is 123 bytes.
        assert peak < 64 * 1024
        assert sys.getsizeof(reason) == size

    @pytest.mark.parametrize(
        "reason",
        ["bye", "é" * 10, "€" * 41, "😀" * 30, "é" * 62, "é" * 10**5, "ok\ud800", "€" * 42],
        ids=repr,
    )
    def test_the_callers_str_does_not_grow(self, reason: str) -> None:
        # CPython caches a str's UTF-8 inside it once C code asks for it
        # (PyUnicode_AsUTF8AndSize): the caller's object would grow for
        # as long as it lives, up to 3 times its size.
        reason = reason[:1] + reason[1:]  # a fresh str, no cache yet
        size = sys.getsizeof(reason)
        calls: list[Callable[[], object]] = [
            lambda: serialize_close_payload(1000, reason),
            lambda: serialize_close_payload(1000, reason, truncate=True),
            lambda: serialize_close_payload(code=4000, reason=reason),
            lambda: encode_close_frame(1000, reason),
            lambda: encode_close_frame(1000, reason, mask_key=b"abcd"),
        ]
        for call in calls:
            with contextlib.suppress(CloseValueError):
                call()
            assert sys.getsizeof(reason) == size

    @pytest.mark.parametrize("code", [True, False, 1000.0, "1000", b"\x03\xe8"])
    def test_wrong_code_type(self, code: object) -> None:
        with pytest.raises(TypeError, match="close code must be an int"):
            serialize_close_payload(code, "")  # type: ignore[arg-type]

    @pytest.mark.parametrize("reason", [b"bye", None, 1])
    def test_wrong_reason_type(self, reason: object) -> None:
        with pytest.raises(TypeError, match="close reason must be a str"):
            serialize_close_payload(1000, reason)  # type: ignore[arg-type]

    def test_enum_and_int_agree(self) -> None:
        for member in CloseCode:
            try:
                expected = serialize_close_payload(int(member), "r")
            except UnsendableCodeError:
                with pytest.raises(UnsendableCodeError):
                    serialize_close_payload(member, "r")
            else:
                assert serialize_close_payload(member, "r") == expected


class TestClose:
    def test_defaults_and_members(self) -> None:
        close = Close(1000)
        assert close.reason == ""
        assert close.code is CloseCode.NORMAL_CLOSURE
        assert Close(4000).code == 4000

    def test_unpacks(self) -> None:
        code, reason = Close(1001, "bye")
        assert (code, reason) == (1001, "bye")

    def test_equality_is_by_type_and_value(self) -> None:
        assert Close(1000, "x") == Close(CloseCode.NORMAL_CLOSURE, "x")
        assert Close(1000, "x") != Close(1000, "y")
        assert Close(1000, "x") != (1000, "x")
        assert (1000, "x") != Close(1000, "x")  # noqa: SIM300 - the reflected operand
        assert not Close(1000, "x") != Close(1000, "x")  # noqa: SIM202 - tests __ne__
        assert len({Close(1000, "x"), Close(1000, "x"), Close(1001, "x")}) == 2

    def test_immutable(self) -> None:
        close = Close(1000)
        with pytest.raises(AttributeError):
            close.code = 1001  # type: ignore[misc]
        with pytest.raises(AttributeError):
            close.extra = 1  # type: ignore[attr-defined]

    def test_pickle_and_copy(self) -> None:
        close = Close(1001, "bye")
        for clone in (pickle.loads(pickle.dumps(close)), copy.copy(close), copy.deepcopy(close)):
            assert clone == close
            assert type(clone) is Close
            assert clone.code is CloseCode.GOING_AWAY

    def test_repr_and_str(self) -> None:
        assert repr(Close(4001, "x")) == "Close(code=4001, reason='x')"
        assert repr(Close(1000)) == "Close(code=<CloseCode.NORMAL_CLOSURE: 1000>, reason='')"
        assert str(Close(1001, "bye")) == "1001 GOING_AWAY (going away): bye"
        assert str(Close(1000)) == "1000 NORMAL_CLOSURE (normal closure)"
        assert str(Close(4001, "x")) == "4001 (private use): x"

    @pytest.mark.parametrize(
        ("args", "error"),
        [
            ((True,), TypeError),
            ((1000.0,), TypeError),
            ((1000, b"x"), TypeError),
            ((-1,), ValueError),
            ((65536,), ValueError),
            ((1000, "a" * 124), ReasonTooLongError),
            ((1000, "\ud800"), UnencodableReasonError),
        ],
    )
    def test_constructor_checks(self, args: tuple[object, ...], error: type[Exception]) -> None:
        with pytest.raises(error):
            Close(*args)  # type: ignore[arg-type]

    def test_any_two_byte_code_can_be_spelled(self) -> None:
        # Whether it may be *sent* is the serializer's decision, not Close's.
        assert Close(2000).code == 2000
        with pytest.raises(UnsendableCodeError):
            serialize_close_payload(*Close(2000))


class TestCodec:
    def test_extension_codes_opt_in(self) -> None:
        codec = CloseCodec(extension_codes=[2001, 1016, 2999])
        assert codec.extension_codes == frozenset({1016, 2001, 2999})
        assert codec.parse(b"\x07\xd1done") == Close(2001, "done")
        assert codec.parse(b"\x03\xf8") == Close(1016)
        assert codec.serialize(2999, "x") == b"\x0b\xb7x"
        # The defaults are untouched.
        with pytest.raises(InvalidCodeError):
            parse_close_payload(b"\x07\xd1done")
        # Everything else keeps the strict rules.
        with pytest.raises(InvalidCodeError):
            codec.parse(b"\x07\xd2")
        with pytest.raises(ProtocolOnlyCodeError):
            codec.parse(b"\x03\xee")
        assert codec.parse(b"\x03\xe8") == Close(1000)
        assert codec.parse(b"") == Close(1005)
        assert repr(codec) == "CloseCodec(extension_codes=[1016, 2001, 2999])"

    def test_default_codec_matches_functions(self) -> None:
        codec = CloseCodec()
        for payload in (b"", b"\x03\xe8", b"\x03\xe8hi", b"\x0f\xa0"):
            assert codec.parse(payload) == parse_close_payload(payload)
        assert codec.serialize(1000, "x") == serialize_close_payload(1000, "x")

    @pytest.mark.parametrize("code", [999, 1000, 1004, 1005, 1015, 3000, 4000, 5000])
    def test_only_unassigned_reserved_codes(self, code: int) -> None:
        with pytest.raises(ValueError, match="1016-2999"):
            CloseCodec(extension_codes=[code])

    def test_extension_code_type(self) -> None:
        with pytest.raises(TypeError):
            CloseCodec(extension_codes=[2000.0])  # type: ignore[list-item]


def test_limits() -> None:
    assert MAX_PAYLOAD_BYTES == 125
    assert MAX_REASON_BYTES == 123
