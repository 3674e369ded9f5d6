"""The compiled accelerator against the pure-Python codec, its oracle.

Both are built here from the same tables, whichever one the package runs
(``CLOSEFRAME_NO_EXTENSIONS``), so the comparison runs in every test
environment.  The extension must be built: where it is missing, these tests
fail, loudly, rather than compare the Python codec with itself.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import inspect
import os
import pickle
import subprocess
import sys
import weakref
from types import FunctionType, ModuleType
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import closeframe
from closeframe import CloseCode, CloseFrameError, is_sendable
from closeframe import payload as payload_module
from closeframe import strategies as cfst
from closeframe._impl import load_speedups, text_signature

speedups = importlib.import_module("closeframe._speedups")
ACCEPTED = sorted(code for code in range(65536) if is_sendable(code))
C_PARSE: Any = payload_module.make_parser(ACCEPTED, speedups)
PY_PARSE: Any = payload_module.make_parser(ACCEPTED, None)
C_SERIALIZE: Any = payload_module.make_serializer(ACCEPTED, speedups)
PY_SERIALIZE: Any = payload_module.make_serializer(ACCEPTED, None)


def tables(compiled: Any) -> Any:
    """The object a compiled function is bound to: its tables and its twin."""
    return compiled.__self__


def build(kind: Any, **fields: Any) -> Any:
    """The public function of a compiled object of type *kind* built from *fields*."""
    return kind(**fields).function


def outcome(func: Any, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    """A comparable record of what a call did: its value, or its error."""
    try:
        result = func(*args, **kwargs)
    except (CloseFrameError, ValueError, TypeError) as exc:
        return (
            "error",
            (
                type(exc),
                exc.args,
                str(exc),
                getattr(exc, "close_code", None),
                exc.__context__ is None,
            ),
        )
    # The hash too: CPython 3.14 caches a tuple's hash inside it, and a Close
    # C builds with a wrong cache would equal one Python builds, yet hash apart.
    return "value", (
        type(result), result, [type(item) for item in result], storage(result), hash(result)
    )  # fmt: skip


def storage(result: Any) -> tuple[bool, int | None] | None:
    """How the reason is stored: the compiled decoder sizes the str itself.

    CPython keeps every str in the narrowest storage that holds its widest
    character, and compares storage before contents; a str built wider (or
    marked ASCII wrongly) would break equality and hashing elsewhere.
    """
    if isinstance(result, closeframe.Close):
        reason = result.reason
        # CPython shares one str per Latin-1 character, and its size grows
        # once something asks for its UTF-8 form: only longer ones are fresh.
        return reason.isascii(), sys.getsizeof(reason) if len(reason) > 1 else None
    if isinstance(result, tuple):  # read_close_frame: (Close or None, bytes used)
        return storage(result[0])
    return None  # a serializer's bytes


def test_the_expected_implementation_runs() -> None:
    # tox sets this, so an environment meant to test C cannot test Python.
    expected = os.environ.get("CLOSEFRAME_EXPECT_IMPLEMENTATION", closeframe.IMPLEMENTATION)
    assert expected == closeframe.IMPLEMENTATION
    assert type(tables(C_PARSE)).__module__ == "closeframe._speedups"
    assert type(C_PARSE).__name__ == "builtin_function_or_method"
    assert type(PY_PARSE).__name__ == "function"


def test_every_code_with_three_reasons() -> None:
    for code in range(65536):
        head = code.to_bytes(2, "big")
        for reason in (b"", "ok €".encode(), b"ok\xed\xa0\x80"):
            data = head + reason
            expected = outcome(PY_PARSE, data)
            assert outcome(C_PARSE, data) == expected, data
            assert outcome(C_PARSE, bytearray(data)) == expected, data
            assert outcome(C_PARSE, memoryview(data)) == expected, data


@pytest.mark.parametrize("length", [0, 1, 2, 3, 124, 125, 126, 127, 1000, 10_000_000])
def test_every_length_boundary(length: int) -> None:
    data = (b"\x03\xe8" + b"a" * length)[:length]
    for form in (data, bytearray(data), memoryview(data)):
        assert outcome(C_PARSE, form) == outcome(PY_PARSE, form)


@given(st.binary(max_size=200))
@example(b"\x03\xe8\xc0\x80")
@example(b"\x03\xe8\xf4\x90\x80\x80")
def test_arbitrary_payloads(data: bytes) -> None:
    expected = outcome(PY_PARSE, data)
    assert outcome(C_PARSE, data) == expected
    assert outcome(C_PARSE, bytearray(data)) == expected
    assert outcome(C_PARSE, memoryview(data)) == expected


def test_other_inputs_take_the_python_path() -> None:
    strided = memoryview(b"\x03\x00\xe8\x00h\x00i\x00")[::2]
    words = memoryview(b"\x03\xe8hi").cast("H")
    released = memoryview(b"\x03\xe8")
    released.release()
    for data in (strided, words, released, "\x03\xe8", 1000, None, [3, 232]):
        assert outcome(C_PARSE, data) == outcome(PY_PARSE, data)
    assert outcome(C_PARSE) == outcome(PY_PARSE)
    assert outcome(C_PARSE, b"", b"") == outcome(PY_PARSE, b"", b"")
    assert outcome(C_PARSE, data=b"") == outcome(PY_PARSE, data=b"")


def test_shared_values_are_the_same_objects() -> None:
    # The compiled parser returns the very values its Python twin prebuilt.
    for code in (1000, 1014, 3000, 4999):
        data = code.to_bytes(2, "big")
        assert C_PARSE(data) is tables(C_PARSE).fallback(data)
        assert C_PARSE(bytearray(data)) is C_PARSE(data)
    assert C_PARSE(b"") is tables(C_PARSE).fallback(b"")


CODES = [None, 0, 999, 1000, 1005, 1006, 1014, 1015, 2000, 3000, 4999, 5000, 65535, 65536,
         -1, 2**70, CloseCode.NORMAL_CLOSURE, CloseCode.NO_STATUS_RCVD, True, False, 1000.0,
         "1000"]  # fmt: skip
REASONS = ["", "bye", "€" * 41, "€" * 42, "a" * 123, "a" * 124, "\ud800", b"bye", None, 5,
           "é" * 61, "é" * 62, "😀" * 30, "😀" * 31, "é" * 124, "\ud800" * 124, "a" * 10**5,
           "a" * 120 + "\ud800" + "b", "a" * 121 + "\ud800" + "b", "ok\udfff"]  # fmt: skip


@pytest.mark.parametrize("code", CODES, ids=repr)
@pytest.mark.parametrize("truncate", [False, True, 1])
def test_serialize_agrees(code: Any, truncate: Any) -> None:
    for reason in REASONS:
        expected = outcome(PY_SERIALIZE, code, reason, truncate=truncate)
        assert outcome(C_SERIALIZE, code, reason, truncate=truncate) == expected, reason
        assert outcome(C_SERIALIZE, code=code, reason=reason, truncate=truncate) == expected
        assert outcome(C_SERIALIZE, code, reason=reason, truncate=truncate) == expected


@given(st.integers(-10, 70_000), st.text(max_size=130), st.booleans())
def test_serialize_agrees_everywhere(code: int, reason: str, truncate: bool) -> None:
    assert outcome(C_SERIALIZE, code, reason, truncate=truncate) == outcome(
        PY_SERIALIZE, code, reason, truncate=truncate
    )


@given(
    st.text(st.characters(codec=None, categories=None), max_size=200),
    st.booleans(),
)
def test_serialize_agrees_on_any_str(reason: str, truncate: bool) -> None:
    # Surrogates included, and lengths on both sides of 123 characters.
    assert outcome(C_SERIALIZE, 1000, reason, truncate=truncate) == outcome(
        PY_SERIALIZE, 1000, reason, truncate=truncate
    )
    assert frame_outcome(C_ENCODE, 1000, reason, mask_key=b"abcd") == frame_outcome(
        PY_ENCODE, 1000, reason, mask_key=b"abcd"
    )


# Characters at each UTF-8 length edge, surrogates and their neighbours.
SERIALIZE_EDGES = (
    "\x00\x7f\x80\xff\u0100\u07ff\u0800\ud7ff\ud800\udfff\ue000\uffff\U00010000\U0010ffff"
)


def test_serialize_every_width_at_the_limit() -> None:
    # The compiled encoder writes UTF-8 itself, one loop per storage width:
    # each edge character, after text of each width, at every offset where
    # the reason crosses 123 bytes.
    for prefix in ("", "é", "€", "😀"):
        for char in SERIALIZE_EDGES:
            for fill in range(117, 124):
                reason = prefix + "a" * (fill - len(prefix.encode())) + char
                for truncate in (False, True):
                    expected = outcome(PY_SERIALIZE, 1000, reason, truncate=truncate)
                    assert outcome(C_SERIALIZE, 1000, reason, truncate=truncate) == expected
                assert frame_outcome(C_ENCODE, 4000, reason, mask_key=b"abcd") == frame_outcome(
                    PY_ENCODE, 4000, reason, mask_key=b"abcd"
                )


def test_serialize_argument_forms() -> None:
    forms: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((), {}),
        ((1000,), {}),
        ((), {"code": 1000}),
        ((), {"reason": "x"}),
        ((1000, "x", True), {}),
        ((1000,), {"code": 1000}),
        ((1000,), {"colour": "red"}),
        ((1000, "x"), {"reason": "y"}),
    ]
    for args, kwargs in forms:
        assert outcome(C_SERIALIZE, *args, **kwargs) == outcome(PY_SERIALIZE, *args, **kwargs)


def parameters(function: Any) -> list[tuple[str, Any, Any]]:
    """What a signature says of each parameter, annotations aside (a built-in has none)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def test_introspection_matches_the_python_functions() -> None:
    pairs = [(C_PARSE, PY_PARSE), (C_SERIALIZE, PY_SERIALIZE), (C_DECODE, PY_DECODE),
             (C_READ, PY_READ), (C_ENCODE, PY_ENCODE)]  # fmt: skip
    for compiled, python in pairs:
        # The default rules have one Python function, the compiled one's fallback.
        assert tables(compiled).fallback is python
        assert compiled.__doc__ == python.__doc__
        assert compiled.__name__ == python.__name__
        # A built-in bound to an object is named after the object's type.
        assert compiled.__qualname__ == f"{type(tables(compiled)).__name__}.{python.__name__}"
        assert compiled.__module__ == python.__module__
        assert parameters(compiled) == parameters(python)
        assert repr(compiled).startswith(f"<built-in method {python.__name__} of closeframe.")


def test_text_signatures() -> None:
    def plain(a: int, b: str = "x", *, c: bool = False, d: None = None, e: int) -> None: ...

    assert text_signature(plain) == "(a, b='x', *, c=False, d=None, e)"
    assert text_signature(PY_PARSE) == "(data)"

    def positional_only(a: int, /) -> None: ...

    def star(*args: int) -> None: ...

    def stars(**kwargs: int) -> None: ...

    def not_literal(a: object = object) -> None: ...

    for function in (positional_only, star, stars):
        with pytest.raises(ValueError, match="only plain and keyword-only"):
            text_signature(function)
    with pytest.raises(ValueError, match="default of a is not a literal"):
        text_signature(not_literal)


def test_a_twin_without_a_docstring() -> None:
    def twin(data: bytes) -> Any: ...

    parse = build(speedups.Parser, **arguments(C_PARSE, PARSER_FIELDS, fallback=twin))
    assert parse.__doc__ is None
    assert parse.__name__ == "twin"
    assert parameters(parse) == [("data", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                  inspect.Parameter.empty)]  # fmt: skip

    class Nameless:
        __name__ = 5

    class Undocumented:
        __name__ = "undocumented"
        __doc__ = 5  # type: ignore[assignment]  # what C must refuse

    odd_twins: list[object] = [Nameless(), Undocumented()]
    for odd in odd_twins:
        with pytest.raises(TypeError, match="str __name__ and __doc__"):
            speedups.Parser(**arguments(C_PARSE, PARSER_FIELDS, fallback=odd), signature="()")
    with pytest.raises(TypeError, match="must be str, not bytes"):
        speedups.Parser(**arguments(C_PARSE, PARSER_FIELDS, fallback=twin, signature=b"()"))
    with pytest.raises(AttributeError, match="__name__"):
        speedups.Parser(**arguments(C_PARSE, PARSER_FIELDS, fallback=1000), signature="()")


# What each compiled type is built from: its constructor's keywords, which
# it keeps as read-only attributes of the same names.
PARSER_FIELDS = ["values", "code_only", "no_status", "close_type", "max_payload", "too_long",
                 "truncated", "bad_reason"]  # fmt: skip
SERIALIZER_FIELDS = ["heads", "code_enum", "max_reason", "checked"]


def arguments(compiled: Any, fields: list[str], **changes: Any) -> dict[str, Any]:
    """The keywords that rebuild *compiled*, with *changes*."""
    kept = {name: getattr(tables(compiled), name) for name in fields}
    result = {**kept, "fallback": tables(compiled).fallback, **changes}
    if isinstance(result["fallback"], FunctionType):
        result.setdefault("signature", text_signature(result["fallback"]))
    return result


def test_constructors_check_their_tables() -> None:
    parser = arguments(C_PARSE, PARSER_FIELDS)
    assert outcome(build(speedups.Parser, **parser), b"\x03\xe8hi") == outcome(
        C_PARSE, b"\x03\xe8hi"
    )
    with pytest.raises(ValueError, match="65536"):
        speedups.Parser(**{**parser, "values": ()})
    with pytest.raises(ValueError, match="65536"):
        speedups.Parser(**{**parser, "code_only": (None,) * 65535})
    with pytest.raises(TypeError, match="tuple"):
        speedups.Parser(**{**parser, "close_type": int})
    for limit in (1, 126):  # the stack buffers hold 125 bytes
        with pytest.raises(ValueError, match="max_payload"):
            speedups.Parser(**{**parser, "max_payload": limit})
    with pytest.raises(TypeError, match="keyword arguments only"):
        speedups.Parser(*parser.values())
    with pytest.raises(TypeError, match="no_status"):
        speedups.Parser(**{name: value for name, value in parser.items() if name != "no_status"})
    serializer = arguments(C_SERIALIZE, SERIALIZER_FIELDS)
    assert build(speedups.Serializer, **serializer)(1000, "hi") == C_SERIALIZE(1000, "hi")
    for heads in (((b"\x03",) * 65536), ("ab",), (bytearray(b"ab"),)):
        with pytest.raises(TypeError, match="2 bytes"):
            speedups.Serializer(**{**serializer, "heads": heads})
    for limit in (-1, 124):
        with pytest.raises(ValueError, match="max_reason"):
            speedups.Serializer(**{**serializer, "max_reason": limit})
    with pytest.raises(TypeError, match="keyword arguments only"):
        speedups.Serializer(*serializer.values())


def test_the_buffers_hold_what_python_allows() -> None:
    # C sizes its stack buffers when it is compiled; the limits it checks
    # are Python's, and a constructor refuses any over the buffers' size.
    assert speedups.MAX_PAYLOAD == closeframe.MAX_PAYLOAD_BYTES
    assert speedups.MAX_REASON == closeframe.MAX_REASON_BYTES
    assert speedups.MAX_FRAME == frame_module._MAX_FRAME_BYTES
    assert tables(C_PARSE).max_payload == closeframe.MAX_PAYLOAD_BYTES
    assert tables(C_SERIALIZE).max_reason == closeframe.MAX_REASON_BYTES


class RefusedError(Exception):
    """An error class of the test's own, to see where C takes its errors from."""


class InitialisedError(Exception):
    """An error class with an __init__ of its own: C must call the class, not only make it."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.initialised = args


def refusing(error: object) -> Any:
    """The default parser, with every code refused by *error*."""
    return build(
        speedups.Parser,
        **arguments(C_PARSE, PARSER_FIELDS, values=(error,) * 65536, code_only=(error,) * 65536),
    )


def test_errors_are_made_as_their_class_makes_them() -> None:
    # BaseException's own __new__ and __init__ are skipped through; any
    # other construction runs.
    with pytest.raises(InitialisedError) as initialised:
        refusing(InitialisedError)(b"\x03\xe8")
    assert initialised.value.initialised == (1000,)
    assert initialised.value.args == (1000,)
    with pytest.raises(RefusedError) as refused:
        refusing(RefusedError)(b"\x03\xe8hi")
    assert refused.value.args == (1000,)
    assert refused.value.__context__ is None

    class Odd(type):
        """A metaclass whose classes are made through it (type.__call__ differs)."""

        def __call__(cls, *args: object) -> Any:
            return RefusedError("made by the metaclass", *args)

    class OddError(Exception, metaclass=Odd):
        pass

    with pytest.raises(RefusedError, match="made by the metaclass"):
        refusing(OddError)(b"\x03\xe8")
    # Raised while another error is handled: chained as a raise in Python is.
    try:
        raise KeyError("first")
    except KeyError as first:
        with pytest.raises(RefusedError) as chained:
            refusing(RefusedError)(b"\x03\xe8")
        assert chained.value.__context__ is first


def test_the_rules_come_from_python() -> None:
    # Which codes are refused, by which error, and the length limit: all in
    # what Python hands over, none restated in C.
    values = list(tables(C_PARSE).values)
    code_only = list(tables(C_PARSE).code_only)
    values[1000] = code_only[1000] = RefusedError
    values[1005] = code_only[1005] = RefusedError
    parse = build(
        speedups.Parser,
        **arguments(
            C_PARSE, PARSER_FIELDS, values=tuple(values), code_only=tuple(code_only),
            max_payload=10,
        )
    )  # fmt: skip
    for data in (b"\x03\xe8", b"\x03\xe8hi", b"\x03\xed", b"\x03\xedhi"):
        with pytest.raises(RefusedError) as refused:
            parse(data)
        assert refused.value.args == (data[0] << 8 | data[1],)
    assert parse(b"\x03\xe9hi") == C_PARSE(b"\x03\xe9hi")
    assert parse(b"\x03\xe9" + b"a" * 8) == C_PARSE(b"\x03\xe9" + b"a" * 8)
    with pytest.raises(closeframe.PayloadTooLongError) as too_long:
        parse(b"\x03\xe9" + b"a" * 9)
    assert too_long.value.args == (11,)
    # The protocol-only codes are refused by the class Python's table names.
    for code in closeframe.PROTOCOL_ONLY_CODES:
        with pytest.raises(closeframe.ProtocolOnlyCodeError):
            C_PARSE(code.to_bytes(2, "big") + b"x")
    serialize = build(
        speedups.Serializer, **arguments(C_SERIALIZE, SERIALIZER_FIELDS, max_reason=3)
    )
    assert serialize(1000, "abc") == b"\x03\xe8abc"
    # Over the limit: the checked path (Python's own limit) decides.
    assert serialize(1000, "abcd") == C_SERIALIZE(1000, "abcd")
    assert tables(serialize).checked is tables(C_SERIALIZE).checked


def object_fields(compiled: Any) -> dict[str, Any]:
    """The objects a compiled function's tables hold: their members (its twin too), their type."""
    fields = {"type": type(tables(compiled))}
    for name, member in vars(type(tables(compiled))).items():
        value = getattr(tables(compiled), name)
        if type(member).__name__ == "member_descriptor" and not isinstance(value, int | bool):
            fields[name] = value
    return fields


class Holder:
    """A twin that refers back to its compiled function: a reference cycle."""

    __name__ = "holder"  # a twin lends the built-in its name
    compiled: Any = None


def rebuilt(compiled: Any, fallback: Any) -> Any:
    """*compiled* built again, with another fallback."""
    kind = type(tables(compiled)).__name__
    own = {"fallback": fallback, "signature": "()"}
    if kind == "Parser":
        return build(speedups.Parser, **arguments(compiled, PARSER_FIELDS, **own))
    if kind == "Serializer":
        return build(speedups.Serializer, **arguments(compiled, SERIALIZER_FIELDS, **own))
    if kind == "FrameReader":
        return build(
            speedups.FrameReader, parser=tables(compiled).parser,
            prefix=tables(compiled).prefix, **own, **FRAME_ERRORS,
        )  # fmt: skip
    return build(speedups.FrameEncoder, serializer=tables(compiled).serializer, **own)


def test_the_garbage_collector_sees_every_field() -> None:
    # One traverse and one clear serve the four types: each must see every
    # object its type holds, and break a cycle through any of them.
    for compiled in (C_PARSE, C_SERIALIZE, C_DECODE, C_READ, C_ENCODE):
        fields = object_fields(compiled)
        assert len(fields) >= 3, type(compiled)
        assert {id(value) for value in fields.values()} == set(
            map(id, gc.get_referents(tables(compiled)))
        )
        holder = Holder()
        holder.compiled = rebuilt(compiled, holder)
        alive = weakref.ref(holder)
        del holder
        gc.collect()
        assert alive() is None, type(compiled)


def test_each_import_of_the_module_has_its_own_state() -> None:
    # Multi-phase initialisation: loading the extension again makes a new
    # module, with its own types and state, instead of sharing one.
    spec = importlib.util.spec_from_file_location(speedups.__name__, speedups.__file__)
    assert spec is not None
    assert spec.loader is not None
    other = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other)
    assert other is not speedups
    assert other.Parser is not speedups.Parser
    parse = build(other.Parser, **arguments(C_PARSE, PARSER_FIELDS))
    for data in (b"\x03\xe8\xff", b"\x03\xe8\xe2\x82", b"\x03\xe8\xe2(", b"\x03\xe8ok"):
        assert outcome(parse, data) == outcome(C_PARSE, data)
    serialize = build(other.Serializer, **arguments(C_SERIALIZE, SERIALIZER_FIELDS))
    assert serialize(1000) == C_SERIALIZE(1000)
    encode = build(
        other.FrameEncoder, serializer=tables(serialize), fallback=PY_ENCODE,
        signature=text_signature(PY_ENCODE),
    )  # fmt: skip
    assert encode(1000, mask_key=b"abcd") == C_ENCODE(1000, mask_key=b"abcd")
    # Each module's frame types take only its own payload types.
    with pytest.raises(TypeError):
        other.FrameReader(
            parser=tables(C_PARSE), prefix=False, fallback=PY_DECODE, signature="()",
            **FRAME_ERRORS,
        )  # fmt: skip
    with pytest.raises(TypeError):
        other.FrameEncoder(serializer=tables(C_SERIALIZE), fallback=PY_ENCODE, signature="()")


SUBINTERPRETER = '''
try:
    import _interpreters as interpreters  # 3.13
except ImportError:
    import _xxsubinterpreters as interpreters  # 3.10-3.12
# Isolated, with a GIL of its own, from 3.12; before, sharing the main one:
# either way the module is initialised again, with state of its own.
interpreter = interpreters.create()
failure = interpreters.run_string(interpreter, """
from closeframe import _speedups, payload
parse = payload.make_parser([1000], _speedups)
assert type(parse.__self__) is _speedups.Parser
assert tuple(parse(bytes.fromhex("03e86869"))) == (1000, "hi")
""")
assert failure is None, failure
interpreters.destroy(interpreter)
print("ok")
'''


def test_a_subinterpreter_imports_it() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SUBINTERPRETER], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout) == (0, "ok\n"), result.stderr


def test_compiled_functions_pickle_as_their_modules_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # In every environment, whichever implementation the package runs: a
    # compiled function pickles by reference when it is its module's own
    # (made so here), and is refused as a Python function would be otherwise.
    with pytest.raises(pickle.PicklingError, match=r"not the same object as closeframe\.payload"):
        pickle.dumps(C_PARSE)
    monkeypatch.setattr(payload_module, "parse_close_payload", C_PARSE)
    assert pickle.loads(pickle.dumps(C_PARSE)) is C_PARSE


def test_errors_pickle_alike() -> None:
    for data in (b"\x03", b"\x03\xee", b"\x03\xe8\xff", b"x" * 200):
        with pytest.raises(CloseFrameError) as c_error:
            C_PARSE(data)
        clone = pickle.loads(pickle.dumps(c_error.value))
        assert (type(clone), clone.args, str(clone)) == outcome(PY_PARSE, data)[1][:3]


class TestLoading:
    def test_disabled_by_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CLOSEFRAME_NO_EXTENSIONS", "1")
        assert load_speedups() is None

    @pytest.mark.parametrize("value", ["", "0"])
    def test_enabled(self, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
        monkeypatch.setenv("CLOSEFRAME_NO_EXTENSIONS", value)
        assert load_speedups() is speedups

    def test_not_built(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("CLOSEFRAME_NO_EXTENSIONS", raising=False)
        monkeypatch.setitem(sys.modules, "closeframe._speedups", None)  # import fails
        monkeypatch.delattr(closeframe, "_speedups", raising=False)
        assert load_speedups() is None

    def test_the_package_reports_what_it_runs(self) -> None:
        module: ModuleType = closeframe.payload
        assert ("python" if module._speedups is None else "c") == closeframe.IMPLEMENTATION


# --- frames ------------------------------------------------------------------

from closeframe import frame as frame_module  # noqa: E402

C_DECODE, C_READ, C_ENCODE = frame_module._compiled(speedups, C_PARSE, C_SERIALIZE)
PY_DECODE: Any = frame_module._python_decode
PY_READ: Any = frame_module._python_read
PY_ENCODE: Any = frame_module._python_encode


def frame_outcome(func: Any, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        result = func(*args, **kwargs)
    except (CloseFrameError, ValueError, TypeError) as exc:
        return "error", (type(exc), exc.args, str(exc), getattr(exc, "close_code", None))
    return "value", (type(result), result, storage(result), hash(result))


BODIES = [
    b"",
    b"\x03\xe8",
    b"\x03\xe8bye",
    b"\x03\xee",
    b"\x03\xe8\xff",
    b"\x37\xfa\x21\x3d\x34\x12",
]


def test_every_frame_header() -> None:
    # Both header bytes take all 256 values; the bodies cover short, exact,
    # long and masked-looking remainders.
    for first in range(256):
        for second in range(256):
            for body in BODIES:
                data = bytes((first, second)) + body
                for masked in (None, True, False):
                    for c_func, py_func in ((C_DECODE, PY_DECODE), (C_READ, PY_READ)):
                        expected = frame_outcome(py_func, data, masked=masked)
                        assert frame_outcome(c_func, data, masked=masked) == expected, data


@given(st.binary(max_size=140), st.sampled_from([None, True, False]))
@example(b"\x88\x85\x37\xfa\x21\x3d\x34\x12\x43\x44\x52", True)
def test_arbitrary_frames(data: bytes, masked: bool | None) -> None:
    for c_func, py_func in ((C_DECODE, PY_DECODE), (C_READ, PY_READ)):
        expected = frame_outcome(py_func, data, masked=masked)
        assert frame_outcome(c_func, data, masked=masked) == expected
        assert frame_outcome(c_func, bytearray(data), masked=masked) == expected
        assert frame_outcome(c_func, memoryview(data), masked=masked) == expected


def test_frame_readers_fall_back_for_other_arguments() -> None:
    frame = b"\x88\x02\x03\xe8"
    strided = memoryview(bytes(b for byte in frame for b in (byte, 0)))[::2]
    forms: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((strided,), {}),
        (("\x88\x00",), {}),
        ((frame,), {"masked": 1}),
        ((frame,), {"other": True}),
        ((frame, False), {}),
        ((), {"data": frame}),
    ]
    for args, kwargs in forms:
        for c_func, py_func in ((C_DECODE, PY_DECODE), (C_READ, PY_READ)):
            assert frame_outcome(c_func, *args, **kwargs) == frame_outcome(
                py_func, *args, **kwargs
            )


def test_keywords_spelled_at_run_time() -> None:
    # C compares a keyword with its interned name by identity first; a name
    # built at run time is another object, and must still be recognised.
    def fresh(name: str) -> str:
        built = "".join(list(name))
        assert built == name
        assert built is not name
        return built

    frame = b"\x88\x82abcd" + bytes(x ^ y for x, y in zip(b"\x03\xe8", b"ab", strict=True))
    for c_func, py_func in ((C_DECODE, PY_DECODE), (C_READ, PY_READ)):
        for masked in (True, False, None):
            flag: dict[str, Any] = {fresh("masked"): masked}
            assert frame_outcome(c_func, frame, **flag) == frame_outcome(
                py_func, frame, masked=masked
            )
    forms: list[dict[str, Any]] = [
        {fresh("code"): 1000, fresh("reason"): "hi"},
        {fresh("truncate"): True},
    ]
    for keywords in forms:
        assert outcome(C_SERIALIZE, **keywords) == outcome(PY_SERIALIZE, **keywords)
        assert outcome(C_SERIALIZE, **keywords) != outcome(C_SERIALIZE, colour=1)
    key: dict[str, Any] = {fresh("mask_key"): b"abcd"}
    assert frame_outcome(C_ENCODE, 1000, "hi", **key) == frame_outcome(
        PY_ENCODE, 1000, "hi", mask_key=b"abcd"
    )
    assert C_ENCODE(1000, **key) == closeframe.encode_close_frame(1000, mask_key=b"abcd")


@pytest.mark.parametrize("code", CODES, ids=repr)
def test_encode_agrees(code: Any) -> None:
    for reason in REASONS:
        for mask_key in (None, b"\x37\xfa\x21\x3d", bytearray(b"abcd"), b"abc", "abcd"):
            expected = frame_outcome(PY_ENCODE, code, reason, mask_key=mask_key)
            assert frame_outcome(C_ENCODE, code, reason, mask_key=mask_key) == expected
    close = closeframe.Close(1000, "x")
    assert frame_outcome(C_ENCODE, close) == frame_outcome(PY_ENCODE, close)
    assert frame_outcome(C_ENCODE, 1000, "x" * 200, truncate=True) == frame_outcome(
        PY_ENCODE, 1000, "x" * 200, truncate=True
    )
    assert frame_outcome(C_ENCODE, 1, 2, 3) == frame_outcome(PY_ENCODE, 1, 2, 3)


FRAME_ERRORS = {
    "not_close": closeframe.NotACloseFrameError,
    "fragmented": closeframe.FragmentedControlFrameError,
    "reserved_bits": closeframe.ReservedBitsError,
    "mask_mismatch": closeframe.MaskMismatchError,
    "too_long": closeframe.ControlFrameTooLongError,
    "incomplete": closeframe.IncompleteFrameError,
    "trailing": closeframe.TrailingBytesError,
}


def test_frame_constructors_check_their_arguments() -> None:
    reader = {"parser": tables(C_PARSE), "prefix": False, "fallback": PY_DECODE,
              "signature": text_signature(PY_DECODE), **FRAME_ERRORS}  # fmt: skip
    assert build(speedups.FrameReader, **reader)(b"\x88\x00") == C_DECODE(b"\x88\x00")
    for name in FRAME_ERRORS:
        with pytest.raises(TypeError, match=name):
            speedups.FrameReader(**{key: value for key, value in reader.items() if key != name})
    with pytest.raises(TypeError):
        speedups.FrameReader(**{**reader, "parser": PY_PARSE})
    with pytest.raises(TypeError):  # the public function, not the tables it is bound to
        speedups.FrameReader(**{**reader, "parser": C_PARSE})
    with pytest.raises(TypeError, match="keyword arguments only"):
        speedups.FrameReader(tables(C_PARSE), prefix=False)
    with pytest.raises(TypeError):
        speedups.FrameEncoder(serializer=PY_SERIALIZE, fallback=PY_ENCODE, signature="()")
    with pytest.raises(TypeError, match="keyword arguments only"):
        speedups.FrameEncoder(tables(C_SERIALIZE), PY_ENCODE)


def test_frame_errors_are_the_ones_handed_over() -> None:
    # Each frame error class is named, not placed: swap two and C raises
    # them swapped.
    swapped = {**FRAME_ERRORS, "fragmented": RefusedError, "trailing": RefusedError}
    decode = build(
        speedups.FrameReader, parser=tables(C_PARSE), prefix=False, fallback=PY_DECODE,
        signature="()", **swapped,
    )  # fmt: skip
    for frame, args in ((b"\x08\x00", ()), (b"\x88\x00\x00", (1,))):
        with pytest.raises(RefusedError) as refused:
            decode(frame)
        assert refused.value.args == args
    with pytest.raises(closeframe.ControlFrameTooLongError):
        decode(b"\x88\x7e")
    assert tables(decode).parser is tables(C_PARSE)
    assert tables(C_READ).prefix is True
    assert tables(C_DECODE).prefix is False


def test_multi_dimensional_views() -> None:
    frame = closeframe.encode_close_frame(1000, "hi")  # 6 bytes
    grid = memoryview(frame).cast("B", (3, 2))
    for c_func, py_func in ((C_DECODE, PY_DECODE), (C_READ, PY_READ)):
        assert frame_outcome(c_func, grid) == frame_outcome(py_func, grid)
    assert PY_DECODE(grid) == closeframe.Close(1000, "hi")


# --- UTF-8: the compiled check against CPython's decoder ---------------------

EDGES = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xF0, 0xFF]


def utf8_samples() -> list[bytes]:
    """Every 1- and 2-byte string, and 3- and 4-byte ones around every range edge."""
    samples = [bytes((a,)) for a in range(256)]
    samples += [bytes((a, b)) for a in range(256) for b in range(256)]
    leads = [*range(0xC0, 0x100), 0x80, 0xBF]
    samples += [bytes((a, b, c)) for a in leads for b in range(256) for c in EDGES]
    samples += [bytes((a, b, c, d)) for a in range(0xF0, 0xF8) for b in range(256) for c in EDGES
                for d in EDGES[:8]]  # fmt: skip
    return samples


# Text before the sample moves the error's position and sets the narrowest
# storage the reason can have: ASCII, Latin-1, 2 and 4 bytes per character.
PREFIXES = [b"", "é".encode(), "é€".encode(), "a🔒".encode()]


def test_every_short_utf8_sequence() -> None:
    # Reasons of 1-4 bytes, alone and after valid text, so every branch of
    # the compiled decoder, and of its check, is compared with CPython's.
    for sample in utf8_samples():
        for prefix in PREFIXES:
            reason = prefix + sample
            data = b"\x03\xe8" + reason
            assert outcome(C_PARSE, data) == outcome(PY_PARSE, data), data


# One sequence of each kind, valid and not, for test_every_position.
SEQUENCES = [b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x94\x92", b"\x80", b"\xe2\x82", b"\xe2(\xa1"]


def test_every_position_in_plain_text() -> None:
    # The compiled check skips ASCII a word at a time: a sequence at each
    # offset, in ASCII text of each length, meets every word boundary.
    for sequence in SEQUENCES:
        for before in range(124 - len(sequence)):
            for after in (0, 1, 7, 8, 9, 123):
                reason = (b"a" * before + sequence + b"z" * after)[:123]
                data = b"\x03\xe8" + reason
                assert outcome(C_PARSE, data) == outcome(PY_PARSE, data), data


@given(st.text(max_size=123))
@example("Schließung · 終了しました · 🔒")
def test_valid_text_of_every_width(text: str) -> None:
    data = (b"\x0f\xa0" + text.encode())[:125]
    assert outcome(C_PARSE, data) == outcome(PY_PARSE, data)


@given(cfst.invalid_utf8(), st.text(max_size=20))
def test_invalid_utf8_of_every_kind(bad: bytes, text: str) -> None:
    data = (b"\x0f\xa0" + text.encode() + bad)[:125]
    assert outcome(C_PARSE, data) == outcome(PY_PARSE, data)


# --- UTF-8: the edges of the one-pass decoder (_utf8.h, utf8_decode) -------
#
# It finds the ASCII prefix a word at a time, copies the rest to the stack
# with three 0xFF bytes after it (so a sequence cut by the end fails like
# any bad byte), decodes into code points while ORing them (which picks
# the str's storage), and on a refusal asks the CPython-faithful check,
# from the refused sequence on, for the error's position and words.

# The characters on each side of each storage width's limit, and at the
# edges of each sequence length.
WIDTH_EDGES = "\x7f\x80\xff\u0100\u07ff\u0800\ud7ff\ue000\uffff\U00010000\U0010ffff"


def parse_forms(reason: bytes) -> None:
    """The compiled parse of *reason* equals the Python one, from bytes and from a buffer."""
    data = b"\x03\xe8" + reason
    expected = outcome(PY_PARSE, data)
    assert outcome(C_PARSE, data) == expected, data
    assert outcome(C_PARSE, bytearray(data)) == expected, data
    assert outcome(C_PARSE, memoryview(data)) == expected, data


def test_storage_width_at_every_limit() -> None:
    # Every pair of edge characters, in both orders and with ASCII between,
    # so the widest character comes first, last, or alone; the OR of two
    # narrower ones (U+0080 | U+007F, U+8000 | U+7FFF) stays in their width.
    pairs = [a + b for a in WIDTH_EDGES for b in WIDTH_EDGES]
    pairs += ["\x80\x7f", "\u8000\u7fff", "\u00ff\u0080", "\U00010000\uffff"]
    for pair in pairs:
        for between in ("", "a", "abcdefgh"):
            reason = pair[0] + between + pair[1:]
            parse_forms(reason.encode())
            parse_forms(("x" * 9 + reason).encode())
            decoded = C_PARSE(b"\x03\xe8" + reason.encode()).reason
            assert decoded == reason
            assert sys.getsizeof(decoded) == sys.getsizeof(reason.encode().decode())


def test_widest_character_last_at_the_limit() -> None:
    # A 123-byte reason whose one wide character ends it, for each width.
    for char in ("\x80", "\xff", "\u0100", "\uffff", "\U00010000", "\U0010ffff"):
        for prefix in ("", "é", "€"):
            fill = 123 - len(prefix.encode()) - len(char.encode())
            reason = prefix + "a" * fill + char
            assert len(reason.encode()) == 123
            parse_forms(reason.encode())
            assert C_PARSE(b"\x03\xe8" + reason.encode()).reason == reason


def test_reasons_of_exactly_123_bytes() -> None:
    # 123 characters (all ASCII, the prefix path alone), 122 (one 2-byte),
    # and each width filling the reason to its last byte.
    reasons = [
        "a" * 123,
        "a" * 121 + "é",
        "é" * 61 + "a",
        "€" * 41,
        "😀" * 30 + "abc",
        "a" + "😀" * 30 + "bc",
        "\U0010ffff" * 30 + "\uffff",
    ]
    for reason in reasons:
        assert len(reason.encode()) == 123
        parse_forms(reason.encode())
        assert C_PARSE(b"\x03\xe8" + reason.encode()).reason == reason
    # One byte more is over the limit whatever it holds.
    for reason in reasons:
        data = b"\x03\xe8" + reason.encode() + b"a"
        assert outcome(C_PARSE, data) == outcome(PY_PARSE, data)
        assert outcome(C_PARSE, data)[0] == "error"


def test_truncation_at_every_position() -> None:
    # The benchmark's kind of reason (Latin, Cyrillic, Japanese, an emoji)
    # cut after every byte: each cut either ends on a character boundary or
    # inside a sequence, which the decoder meets at the end of its copy
    # (the 0xFF after it), or, with a byte added, in the middle.
    text = "Schließung · 終了しました · 🔒 переподключение Schließung · 終了しました · 🔒 пере"
    whole = text.encode()[:123]
    for cut in range(1, len(whole) + 1):
        parse_forms(whole[:cut])
        parse_forms(whole[:cut] + b"a")
        parse_forms(whole[:cut] + b"\x80")
    # Each sequence cut at each of its bytes, at the end of the reason and
    # before ASCII, after a prefix of each width and length.
    for char in ("é", "€", "\U00010000", "\U0010ffff", "\ud7ff", "\ue000"):
        encoded = char.encode()
        for keep in range(1, len(encoded)):
            for prefix in (b"", b"a" * 7, b"a" * 8, "é".encode(), "é€😀".encode() * 3):
                parse_forms(prefix + encoded[:keep])
                parse_forms(prefix + encoded[:keep] + b"z" * 9)


def test_refused_sequences_name_their_first_byte() -> None:
    # Each refusal the one-pass check makes through a code point's range,
    # after text of each width; compared (position and words) with CPython.
    refused = [
        b"\xed\xa0\x80",  # U+D800, a surrogate
        b"\xed\xbf\xbf",  # U+DFFF
        b"\xc0\xaf",  # overlong '/'
        b"\xc1\xbf",  # overlong U+007F
        b"\xe0\x80\xaf",  # overlong, 3 bytes
        b"\xe0\x9f\xbf",  # overlong U+07FF
        b"\xf0\x80\x80\xaf",  # overlong, 4 bytes
        b"\xf0\x8f\xbf\xbf",  # overlong U+FFFF
        b"\xf4\x90\x80\x80",  # U+110000
        b"\xf5\x80\x80\x80",  # F5: past U+10FFFF
        b"\xf7\xbf\xbf\xbf",
        b"\xf8\x88\x80\x80\x80",  # a 5-byte form
        b"\xff",
        b"\x80",
        b"\xbf",
    ]
    for bad in refused:
        for prefix in (b"", b"ok ", "é".encode(), "€".encode() * 5, "🔒".encode()):
            for after in (b"", b"a", "é".encode()):
                parse_forms(prefix + bad + after)
                data = b"\x03\xe8" + prefix + bad + after
                with pytest.raises(CloseFrameError) as caught:
                    C_PARSE(data)
                try:
                    (prefix + bad + after).decode()
                except UnicodeDecodeError as exc:
                    assert caught.value.args[:2] == (exc.start, exc.reason)
                else:
                    pytest.fail(f"CPython decoded {bad!r}")
