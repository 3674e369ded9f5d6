"""The same argument rules at every entry point, in both implementations.

A reason may be any ``str`` (a ``StrEnum`` member included) and is stored as
a plain ``str``; ``truncate`` and ``was_clean`` must be bools; a masking key
may be any 4-byte buffer; a wrong argument's error names the public
function, never an internal one.
"""

from __future__ import annotations

import array
import enum
import importlib
import pickle
import re
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

import closeframe
from closeframe import (
    Close,
    CloseCodec,
    CloseEvent,
    ClosingHandshake,
    InvalidMaskKeyError,
    Role,
    decode_close_frame,
    encode_close_frame,
    is_sendable,
    parse_close_payload,
    serialize_close_payload,
    validate_application_close,
)
from closeframe import payload as payload_module
from closeframe.browser import ENGINES, BrowserPolicy

speedups = importlib.import_module("closeframe._speedups")
ACCEPTED = sorted(code for code in range(65536) if is_sendable(code))
SERIALIZERS = {
    "c": payload_module.make_serializer(ACCEPTED, speedups),
    "python": payload_module.make_serializer(ACCEPTED, None),
}
PARSERS = {
    "c": payload_module.make_parser(ACCEPTED, speedups),
    "python": payload_module.make_parser(ACCEPTED, None),
}


class Reason(str, enum.Enum):  # what enum.StrEnum (3.11+) is, on 3.10 too
    BYE = "bye"
    LEAVING = "leaving 👋"


class Shouting(str):
    """A str subclass whose own __str__ says something else: never used."""

    __slots__ = ()

    def __str__(self) -> str:
        return "NOT THE REASON"


def client(key: Callable[[], Any] = lambda: b"abcd") -> ClosingHandshake:
    return ClosingHandshake(Role.CLIENT, mask_key=key)


def failed_with(handshake: ClosingHandshake, reason: str) -> str:
    sent = handshake.fail(1002, reason)
    assert sent is not None
    return sent.close.reason


def validated_by(policy: BrowserPolicy, reason: str) -> str:
    return policy.validate_application_close(1000, reason).reason


# Every public way to pass a reason, and what it gives back as the reason.
REASON_TAKERS: dict[str, Callable[[str], str]] = {
    "Close": lambda reason: Close(1000, reason).reason,
    "CloseEvent": lambda reason: CloseEvent(1000, reason, was_clean=True).reason,
    "serialize_close_payload": lambda reason: (
        parse_close_payload(serialize_close_payload(1000, reason)).reason
    ),
    "serialize (c)": lambda reason: PARSERS["c"](SERIALIZERS["c"](1000, reason)).reason,
    "serialize (python)": lambda reason: (
        PARSERS["python"](SERIALIZERS["python"](1000, reason)).reason
    ),
    "serialize, keyword": lambda reason: (
        parse_close_payload(serialize_close_payload(code=1000, reason=reason)).reason
    ),
    "CloseCodec.serialize": lambda reason: (
        CloseCodec().parse(CloseCodec().serialize(1000, reason)).reason
    ),
    "encode_close_frame": lambda reason: (
        decode_close_frame(encode_close_frame(1000, reason)).reason
    ),
    "encode_close_frame, masked": lambda reason: (
        decode_close_frame(encode_close_frame(1000, reason, mask_key=b"abcd")).reason
    ),
    "ClosingHandshake.send_close": lambda reason: client().send_close(1000, reason).close.reason,
    "ClosingHandshake.fail": lambda reason: failed_with(client(), reason),
    "validate_application_close": lambda reason: validate_application_close(1000, reason).reason,
    **{
        f"{name}.validate_application_close": partial(validated_by, policy)
        for name, policy in ENGINES.items()
    },
}


@pytest.mark.parametrize("take", REASON_TAKERS.values(), ids=REASON_TAKERS.keys())
@pytest.mark.parametrize("reason", [Reason.BYE, Reason.LEAVING, Shouting("quiet")])
def test_a_str_subclass_is_a_reason_stored_as_a_plain_str(
    take: Callable[[str], str], reason: str
) -> None:
    got = take(reason)
    assert type(got) is str
    assert got == str.__str__(reason)


@pytest.mark.parametrize("take", REASON_TAKERS.values(), ids=REASON_TAKERS.keys())
@pytest.mark.parametrize("reason", [b"bye", 7, ["bye"]])
def test_anything_else_is_refused_with_one_message(
    take: Callable[[Any], str], reason: Any
) -> None:
    with pytest.raises(
        TypeError, match=f"^close reason must be a str, not {type(reason).__name__}$"
    ):
        take(reason)


TRUNCATE_TAKERS: dict[str, Callable[..., Any]] = {
    "serialize_close_payload": serialize_close_payload,
    "serialize (c)": SERIALIZERS["c"],
    "serialize (python)": SERIALIZERS["python"],
    "CloseCodec.serialize": CloseCodec().serialize,
    "encode_close_frame": encode_close_frame,
    "encode_close_frame, masked": lambda code, reason, truncate: encode_close_frame(
        code, reason, mask_key=b"abcd", truncate=truncate
    ),
    "ClosingHandshake.send_close": lambda code, reason, truncate: client().send_close(
        code, reason, truncate=truncate
    ),
}


@pytest.mark.parametrize("take", TRUNCATE_TAKERS.values(), ids=TRUNCATE_TAKERS.keys())
@pytest.mark.parametrize("truncate", ["no", 1, 0, None])
@pytest.mark.parametrize("reason", ["", "fits", "é" * 62])
def test_truncate_must_be_a_bool(take: Callable[..., Any], truncate: Any, reason: str) -> None:
    # Even where it would change nothing (an empty or short reason): "no" is truthy.
    with pytest.raises(
        TypeError, match=f"^truncate must be a bool, not {type(truncate).__name__}$"
    ):
        take(1000, reason, truncate=truncate)


@pytest.mark.parametrize("take", TRUNCATE_TAKERS.values(), ids=TRUNCATE_TAKERS.keys())
def test_truncate_true_and_false_still_work(take: Callable[..., Any]) -> None:
    take(1000, "é" * 61, truncate=False)
    take(1000, "é" * 62, truncate=True)
    with pytest.raises(closeframe.ReasonTooLongError):
        take(1000, "é" * 62, truncate=False)


def test_was_clean_must_be_a_bool_everywhere() -> None:
    close = Close(1000)
    makers: list[Callable[[Any], CloseEvent]] = [
        lambda flag: CloseEvent(1000, "", flag),
        lambda flag: CloseEvent.from_close(close, was_clean=flag),
        lambda flag: CloseEvent.from_payload(b"\x03\xe8", was_clean=flag),
    ]
    for make in makers:
        with pytest.raises(TypeError, match=r"^was_clean must be a bool, not int$"):
            make(1)
        assert make(True).was_clean is True


KEYS: dict[str, Any] = {
    "bytes": b"\x01\x02\x03\x04",
    "bytearray": bytearray(b"\x01\x02\x03\x04"),
    "memoryview": memoryview(b"\x01\x02\x03\x04"),
    "memoryview slice": memoryview(b"xx\x01\x02\x03\x04")[2:],
    "array": array.array("B", [1, 2, 3, 4]),
}


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS.keys())
def test_a_mask_key_is_any_four_byte_buffer(key: Any) -> None:
    expected = encode_close_frame(1000, "bye", mask_key=b"\x01\x02\x03\x04")
    assert encode_close_frame(1000, "bye", mask_key=key) == expected
    assert client(lambda: key).send_close(1000, "bye").frame == expected


def test_a_mask_key_that_is_not_a_buffer_says_so() -> None:
    wrong: list[tuple[Any, str]] = [(1234, "int"), ("abcd", "str"), ([1, 2, 3, 4], "list")]
    for key, name in wrong:
        with pytest.raises(TypeError, match=f"^mask_key must be bytes-like, not {name}$"):
            encode_close_frame(1000, mask_key=key)
        with pytest.raises(TypeError, match=f"^mask_key\\(\\) must return 4 bytes, not {name}$"):
            client(partial(lambda made: made, key)).send_close(1000)
    released = memoryview(b"abcd")
    released.release()
    with pytest.raises(TypeError, match=r"^mask_key must be a readable bytes-like object"):
        encode_close_frame(1000, mask_key=released)
    with pytest.raises(InvalidMaskKeyError):
        encode_close_frame(1000, mask_key=memoryview(b"abc"))
    wide: Any = array.array("H", [1, 2, 3, 4])  # 8 bytes
    with pytest.raises(InvalidMaskKeyError):
        encode_close_frame(1000, mask_key=wide)


@pytest.mark.parametrize("wrong", [2000, None, "2001", 2001.0])
def test_close_codec_wants_an_iterable_of_codes(wrong: Any) -> None:
    message = (
        "extension_codes must be an iterable of codes (such as {2001}),"
        f" not {type(wrong).__name__}"
    )
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        CloseCodec(extension_codes=wrong)
    assert CloseCodec(extension_codes=[2001, 2002]).extension_codes == {2001, 2002}


@pytest.mark.parametrize("implementation", ["c", "python"])
def test_errors_and_reprs_name_the_public_functions(implementation: str) -> None:
    parse: Any = PARSERS[implementation]
    serialize: Any = SERIALIZERS[implementation]
    with pytest.raises(TypeError, match=r"^parse_close_payload\(\) takes 1 positional argument"):
        parse(b"", b"")
    with pytest.raises(
        TypeError, match=r"^serialize_close_payload\(\) takes from 0 to 2 positional"
    ):
        serialize(1000, "", True)
    with pytest.raises(TypeError, match=r"^serialize_close_payload\(\) got an unexpected keyword"):
        serialize(1000, colour="red")
    if implementation == "c":
        # Built-ins bound to their tables (see _speedups.c), as random.random is.
        assert repr(parse).startswith(
            "<built-in method parse_close_payload of closeframe._speedups.Parser object at 0x"
        )
        assert repr(serialize).startswith(
            "<built-in method serialize_close_payload of closeframe._speedups.Serializer object"
        )
    else:
        assert repr(parse).startswith("<function parse_close_payload at 0x")
        assert repr(serialize).startswith("<function serialize_close_payload at 0x")


def test_the_public_functions_repr_like_functions() -> None:
    functions: list[Any] = [
        parse_close_payload,
        serialize_close_payload,
        closeframe.decode_close_frame,
        closeframe.read_close_frame,
        closeframe.encode_close_frame,
    ]
    for func in functions:
        name = func.__name__
        if closeframe.IMPLEMENTATION == "c":
            assert repr(func).startswith(f"<built-in method {name} of closeframe._speedups.")
        else:
            assert repr(func).startswith(f"<function {name} at 0x")


PUBLIC_FUNCTIONS = [
    "parse_close_payload",
    "serialize_close_payload",
    "decode_close_frame",
    "read_close_frame",
    "encode_close_frame",
]


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_the_public_functions_pickle_by_reference(name: str) -> None:
    # As any module-level function does, whichever implementation runs
    # (py311 runs the compiled ones, pure the Python ones): what
    # multiprocessing needs to send one to a worker process.
    func = getattr(closeframe, name)
    assert pickle.loads(pickle.dumps(func)) is func
    assert name.encode() in pickle.dumps(func)
    # In a fresh interpreter, it is that interpreter's own function.
    script = (
        "import pickle, sys, closeframe;"
        f"f = pickle.loads(sys.stdin.buffer.read()); print(f is closeframe.{name})"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], input=pickle.dumps(func), capture_output=True, check=False
    )
    assert (done.returncode, done.stdout) == (0, b"True\n"), done.stderr


def test_a_codecs_functions_do_not_pickle() -> None:
    # A CloseCodec's functions are not their module's own: in Python pickle
    # refuses them, and the compiled ones say the same.
    codec = closeframe.CloseCodec(extension_codes=[2000])
    for func in (codec.parse, codec.serialize):
        with pytest.raises(pickle.PicklingError, match="not the same object as closeframe"):
            pickle.dumps(func)
