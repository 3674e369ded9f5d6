"""The close payload: a 2-byte status code and a UTF-8 reason (RFC 6455 §5.5.1).

:func:`parse_close_payload` and :func:`serialize_close_payload` apply the
strict wire rules.  :class:`CloseCodec` applies the same rules with extra
codes a negotiated extension defines in 1016-2999; the default functions are
simply the methods of a codec with no extension codes, so the opt-in costs
them nothing.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from itertools import repeat
from operator import itemgetter
from types import FunctionType

from ._impl import load_speedups, text_signature
from ._record import MEMBERS, Record, new_record
from ._util import bytes_view, check_bool, check_code, check_reason
from .codes import (
    MAX_CODE,
    MAX_PAYLOAD_BYTES,
    MAX_PROTOCOL_CODE,
    MAX_REASON_BYTES,
    MIN_EXTENSION_CODE,
    PROTOCOL_ONLY_CODES,
    SENDABLE_CODES,
    CloseCode,
    code_range,
    describe_code,
    is_extension_code,
)
from .errors import (
    InvalidCodeError,
    InvalidReasonError,
    PayloadTooLongError,
    ProtocolOnlyCodeError,
    ReasonTooLongError,
    ReasonWithoutCodeError,
    TruncatedPayloadError,
    UnencodableReasonError,
    UnsendableCodeError,
)

__all__ = [
    "IMPLEMENTATION",
    "MAX_PAYLOAD_BYTES",
    "MAX_REASON_BYTES",
    "Close",
    "CloseCodec",
    "parse_close_payload",
    "serialize_close_payload",
]


# bytes, bytearray, memoryview, or anything else with the buffer protocol.
Buffer = bytes | bytearray | memoryview


# typing costs ~4 ms to import, a third of this package's import budget
# (benchmarks/): the names it offers are needed by type checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType
    from typing import Any, Protocol

    class Serializer(Protocol):
        """The signature of :func:`serialize_close_payload` and ``CloseCodec.serialize``."""

        def __call__(
            self, code: int | None = None, reason: str = "", *, truncate: bool = False
        ) -> bytes: ...


_pack_code = struct.Struct("!H").pack
# The C accelerator, when it was built and not disabled (closeframe._impl).
_speedups = load_speedups()
#: ``"c"`` when the compiled accelerator runs, ``"python"`` otherwise
#: (not built, or disabled with ``CLOSEFRAME_NO_EXTENSIONS=1``).  Both give
#: identical results, errors included.
#:
#: :meta hide-value:
IMPLEMENTATION = "python" if _speedups is None else "c"


class Close(Record, tuple[int, str]):
    """An immutable close payload: ``.code`` and ``.reason``.

    ``code`` is a :class:`CloseCode` member when the code is registered.
    A close frame without a status code parses as ``Close(1005, "")``
    (RFC 6455 §7.1.5), and serializes back to an empty payload.

    The constructor checks only that the value can be spelled as a payload
    (a code in 0-65535, a reason of at most 123 UTF-8 bytes); whether it may
    be *sent* is the serializer's rule.  A ``Close`` unpacks as
    ``code, reason``, so ``serialize_close_payload(*close)`` works.  It
    equals only another ``Close``, and its class cannot be changed: the
    parser shares one prebuilt value per code.
    """

    __slots__ = ()

    if TYPE_CHECKING:

        @property
        def code(self) -> int: ...

        @property
        def reason(self) -> str: ...

    else:
        # itemgetter properties run in C: attribute access stays cheap.
        code = property(itemgetter(0), doc="The status code.")
        reason = property(itemgetter(1), doc="The reason, possibly empty.")

    def __new__(cls, code: int, reason: str = "") -> Close:
        code_range(code)  # an int in 0-65535
        reason = check_reason(reason)
        _encode_reason(reason, truncate=False)
        return new_record(cls, (MEMBERS.get(code, code), reason))

    def __repr__(self) -> str:
        return f"Close(code={self[0]!r}, reason={self[1]!r})"

    def __str__(self) -> str:
        text = describe_code(self[0])
        return f"{text}: {self[1]}" if self[1] else text


def _encode_reason(reason: str, *, truncate: bool) -> bytes:
    """The reason in UTF-8, at most 123 bytes, or the error that says why not.

    A reason of more than 123 characters is too long whatever it holds (each
    character takes a byte or more): it is refused, or cut, without encoding
    the whole of it, however long it is.
    """
    if len(reason) > MAX_REASON_BYTES:
        if not truncate:
            raise ReasonTooLongError(len(reason), "characters")
        reason = _truncated(reason)
    try:
        encoded = reason.encode()
    except UnicodeEncodeError as exc:
        raise UnencodableReasonError(exc.start) from None
    if len(encoded) <= MAX_REASON_BYTES:
        return encoded
    if not truncate:
        raise ReasonTooLongError(len(encoded))
    return _truncated(reason).encode()


def _truncated(reason: str) -> str:
    """The longest start of *reason* that fits in 123 bytes of UTF-8.

    Only what is kept is ever encoded, and a lone surrogate counts as the 3
    bytes "surrogatepass" gives it: one in the kept part is still refused
    (by the caller's strict encode), one in the part cut off is never seen.
    """
    # 124 characters make at least 124 bytes: enough to find the cut.
    encoded = reason[: MAX_REASON_BYTES + 1].encode("utf-8", "surrogatepass")
    # Byte 123 is the first one cut off.  If it continues a character
    # (0b10xxxxxx), that character straddles the limit: back up to its lead byte.
    end = MAX_REASON_BYTES
    while encoded[end] & 0xC0 == 0x80:
        end -= 1
    return encoded[:end].decode("utf-8", "surrogatepass")


def _as_bytes(data: object) -> bytes:
    """The slow path for anything but ``bytes``: copy at most 125 bytes."""
    with bytes_view(data, "payload") as view:
        # Checked before copying, so a huge buffer is rejected without a copy.
        if view.nbytes > MAX_PAYLOAD_BYTES:
            raise PayloadTooLongError(view.nbytes)
        return view.tobytes()


# The error class for a refused code: one dict lookup on the error path.
_CODE_ERRORS: dict[int, type[InvalidCodeError]] = dict.fromkeys(
    PROTOCOL_ONLY_CODES, ProtocolOnlyCodeError
)


class CloseCodec:
    """The wire rules, with the extension codes a connection negotiated.

    RFC 6455 §7.4.2 leaves 1016-2999 to extensions.  A stack that negotiated
    one that defines such codes builds a codec for it once and uses its
    ``parse`` and ``serialize`` exactly like the module-level functions:

    >>> codec = CloseCodec(extension_codes={2001})
    >>> codec.parse(b"\\x07\\xd1done")
    Close(code=2001, reason='done')
    >>> codec.serialize(2001)
    b'\\x07\\xd1'

    Each codec has its own lookup tables, built once here, so the default
    functions never pay for a check they do not need.
    """

    __slots__ = ("extension_codes", "parse", "serialize")

    extension_codes: frozenset[int]
    #: Same contract as :func:`parse_close_payload`.
    parse: Callable[[Buffer], Close]
    #: Same contract as :func:`serialize_close_payload`.
    serialize: Serializer

    def __init__(self, *, extension_codes: Iterable[int] = ()) -> None:
        if not isinstance(extension_codes, Iterable) or isinstance(extension_codes, str | bytes):
            raise TypeError(
                "extension_codes must be an iterable of codes (such as {2001}),"
                f" not {type(extension_codes).__name__}"
            )
        extra = frozenset(extension_codes)
        for code in extra:
            if not is_extension_code(code):
                raise ValueError(
                    "extension codes must be unregistered codes in"
                    f" {MIN_EXTENSION_CODE}-{MAX_PROTOCOL_CODE}, got {code}"
                )
        self.extension_codes = extra
        if not extra:  # the default rules: the module's own functions
            self.parse, self.serialize = parse_close_payload, serialize_close_payload
            return
        accepted = sorted(SENDABLE_CODES | extra)
        self.parse = make_parser(accepted)
        self.serialize = make_serializer(accepted)

    def __repr__(self) -> str:
        return f"CloseCodec(extension_codes={sorted(self.extension_codes)})"


# ---------------------------------------------------------------------------
# The codec.  parse_close_payload and serialize_close_payload below are the
# reference implementation, written once: they read their tables (which
# codes they accept) as module globals.  A CloseCodec, or a browser policy,
# with other codes runs the same two functions over tables of its own
# (make_parser, make_serializer: the same code objects, given a namespace
# holding those tables), and the C accelerator takes the same tables.


def _parser_tables(accepted: list[int]) -> dict[str, Any]:
    """What parse_close_payload reads, for the *accepted* codes (a sorted list)."""
    # Built at import time for the default rules, so part of its cost:
    # map() and zip() keep the per-code loops in C where they can.
    members = list(map(MEMBERS.get, accepted, accepted))
    # Every payload that is a bare code gets a prebuilt value (about 2,000,
    # bounded by the registry and the ranges): no allocation per call.
    closes = list(map(new_record, repeat(Close), zip(members, repeat(""))))
    # code -> the value to put in Close.code, or None where the code is
    # refused: one index replaces a chain of range checks.
    by_code: list[int | None] = [None] * (MAX_CODE + 1)
    for code, member in zip(accepted, members, strict=True):
        by_code[code] = member
    values = tuple(by_code)
    # The same table as rows[high byte][low byte], for Python: two tuple
    # subscripts, which the interpreter specializes, cost about 30 ns less
    # than shifting and or-ing the bytes into one index (benchmarks/).  The
    # rows that accept no code share one tuple: the default rules build 10.
    refused_row = (None,) * 256
    used = {code >> 8 for code in accepted}
    return {
        "_CODE_ONLY": dict(zip(map(_pack_code, accepted), closes, strict=True)),
        "_ROWS": tuple(
            values[high << 8 : (high + 1) << 8] if high in used else refused_row
            for high in range(256)
        ),
        # For the C parser: the same values, indexed by code.
        "members": members,
        "closes": closes,
    }


_DEFAULT_CODES = sorted(SENDABLE_CODES)
_tables = _parser_tables(_DEFAULT_CODES)
# b"\x03\xe8" -> Close(1000, ""): the prebuilt value of each code-only payload.
_CODE_ONLY: dict[bytes, Close] = _tables["_CODE_ONLY"]
# _ROWS[high byte][low byte]: the code's value in Close.code, or None if refused.
_ROWS: tuple[tuple[int | None, ...], ...] = _tables["_ROWS"]
_NO_STATUS = Close(CloseCode.NO_STATUS_RCVD)


def parse_close_payload(data: Buffer) -> Close:
    """Parse a close frame's payload (RFC 6455 §5.5.1) into a :class:`Close`.

    Accepts ``bytes``, ``bytearray`` or ``memoryview``.  Raises a
    :class:`CloseFrameError` subclass for anything RFC 6455 forbids,
    checking in this order: longer than 125 bytes (1002), 1 byte
    (1002), a code that may not be sent (1002), a reason that is not
    strict UTF-8 (1007).  An empty payload is ``Close(1005, "")``.

    >>> parse_close_payload(bytes.fromhex("03e8") + b"bye")
    Close(code=<CloseCode.NORMAL_CLOSURE: 1000>, reason='bye')
    """
    if type(data) is not bytes:
        data = _as_bytes(data)
    length = len(data)
    if length == 2:
        close = _CODE_ONLY.get(data)
        if close is None:
            refused = data[0] << 8 | data[1]
            raise _CODE_ERRORS.get(refused, InvalidCodeError)(refused)
        return close
    if 2 < length <= MAX_PAYLOAD_BYTES:
        code = _ROWS[data[0]][data[1]]
        if code is None:
            refused = data[0] << 8 | data[1]
            raise _CODE_ERRORS.get(refused, InvalidCodeError)(refused)
        try:
            reason = data[2:].decode()
        except UnicodeDecodeError as exc:
            position, detail = exc.start, exc.reason
        else:
            # Checked above: skip Close.__new__'s validation.
            return new_record(Close, (code, reason))
        # Raised here, not inside `except`: that would chain the decode
        # error as __context__, costing about 130 ns (benchmarks/) and
        # showing the caller a traceback from inside the codec.  (Keep
        # no exception in a local: its traceback would hold this frame
        # in a reference cycle, left for the garbage collector.)
        raise InvalidReasonError(position, detail)
    if length == 0:
        return _NO_STATUS
    if length == 1:
        raise TruncatedPayloadError(1)
    raise PayloadTooLongError(length)


# b"\x03\xe8" for every code the default rules send.
_HEADS: dict[int, bytes] = dict(zip(_DEFAULT_CODES, map(_pack_code, _DEFAULT_CODES), strict=True))


def serialize_close_payload(
    code: int | None = None, reason: str = "", *, truncate: bool = False
) -> bytes:
    """Serialize a close payload: the 2-byte code, then the UTF-8 reason.

    ``code=None`` with no reason, and ``1005`` with no reason, give
    ``b""`` (a close frame without a status code).  A reason over 123
    UTF-8 bytes raises :class:`ReasonTooLongError`, unless ``truncate``
    is true: then it is cut at the last whole character that fits.

    >>> serialize_close_payload(1000, "bye").hex()
    '03e8627965'
    """
    # The common case in as few steps as possible: an int or CloseCode
    # that may be sent, and a str reason that fits.  The exact type test
    # keeps out 1000.0 and True, which hash like ints.  Anything else,
    # every error included, takes the checked path.
    # (_HEADS[code] in a try costs less than _HEADS.get(code): the
    # subscript is specialized by the interpreter, the method call not.)
    kind = type(code)
    if kind is int or kind is CloseCode:
        try:
            head = _HEADS[code]  # type: ignore[index]  # narrowed by kind
        except KeyError:
            pass  # not sendable: the checked path says why
        else:
            # truncate is checked even where it changes nothing.
            if type(reason) is str and (truncate is False or truncate is True):
                if not reason:
                    return head
                # Over 123 characters is too long unencoded: never
                # encode a huge reason only to refuse it.
                if len(reason) <= MAX_REASON_BYTES:
                    try:
                        payload = head + reason.encode()
                    except UnicodeEncodeError:
                        pass  # a lone surrogate: the checked path says where
                    else:
                        if len(payload) <= MAX_PAYLOAD_BYTES:
                            return payload
    return _checked(code, reason, truncate)


def _checked(code: int | None, reason: str, truncate: bool) -> bytes:
    """serialize_close_payload's every other case: each check, and why it fails."""
    reason = check_reason(reason)
    check_bool("truncate", truncate)
    if code is None:
        if reason:
            raise ReasonWithoutCodeError()
        return b""
    check_code(code)
    head = _HEADS.get(code)
    if head is None:
        if code == CloseCode.NO_STATUS_RCVD and not reason:
            return b""
        raise UnsendableCodeError.for_code(code)
    return head + _encode_reason(reason, truncate=truncate)


def _over(function: Callable[..., Any], namespace: dict[str, Any]) -> Any:
    """*function* again, reading its globals from *namespace*: the same code, other tables."""
    clone = FunctionType(function.__code__, namespace, function.__name__)
    clone.__kwdefaults__ = function.__kwdefaults__
    clone.__defaults__ = function.__defaults__
    clone.__doc__ = function.__doc__
    clone.__qualname__ = function.__qualname__
    return clone


def make_parser(
    accepted: list[int], speedups: ModuleType | None = _speedups
) -> Callable[[Buffer], Close]:
    """A parse_close_payload that accepts exactly the *accepted* codes (sorted).

    Internal (not in ``__all__``): what :class:`CloseCodec` and the browser
    policies (closeframe.browser) build their parsers with; *speedups* None
    builds the pure-Python one (the tests compare the two).
    """
    tables = _tables if accepted == _DEFAULT_CODES else _parser_tables(accepted)
    python_parse = _PYTHON_PARSE
    if tables is not _tables:
        python_parse = _over(_PYTHON_PARSE, {**globals(), **tables})
    if speedups is None:
        return python_parse
    # The same tables, indexed by code for C, with the same shared values.
    # A refused code's entry is the class of the error that refuses it:
    # C knows no code, limit or error of its own.
    refusals: list[object] = [InvalidCodeError] * (MAX_CODE + 1)
    for code, error in _CODE_ERRORS.items():
        refusals[code] = error
    values_by_code = refusals.copy()
    code_only_by_code = refusals.copy()
    for code, member, close in zip(accepted, tables["members"], tables["closes"], strict=True):
        values_by_code[code] = member
        code_only_by_code[code] = close
    return speedups.Parser(  # type: ignore[no-any-return]
        values=tuple(values_by_code),
        code_only=tuple(code_only_by_code),
        no_status=_NO_STATUS,
        close_type=Close,
        max_payload=MAX_PAYLOAD_BYTES,
        too_long=PayloadTooLongError,
        truncated=TruncatedPayloadError,
        bad_reason=InvalidReasonError,
        fallback=python_parse,  # for other input types, and its name and docstring
        signature=text_signature(python_parse),
    ).function


def make_serializer(accepted: list[int], speedups: ModuleType | None = _speedups) -> Serializer:
    """A serialize_close_payload that sends exactly the *accepted* codes (see make_parser)."""
    heads = dict(zip(accepted, map(_pack_code, accepted), strict=True))
    python_serialize, checked = _PYTHON_SERIALIZE, _checked
    if heads != _HEADS:
        namespace = {**globals(), "_HEADS": heads}
        checked = namespace["_checked"] = _over(_checked, namespace)
        python_serialize = _over(_PYTHON_SERIALIZE, namespace)
    if speedups is None:
        return python_serialize
    heads_by_code: list[bytes | None] = [None] * (MAX_CODE + 1)
    for code, head in heads.items():
        heads_by_code[code] = head
    return speedups.Serializer(  # type: ignore[no-any-return]
        heads=tuple(heads_by_code),
        code_enum=CloseCode,
        max_reason=MAX_REASON_BYTES,
        checked=checked,
        fallback=python_serialize,
        signature=text_signature(python_serialize),
    ).function


# The functions above are the pure-Python codec; with the accelerator the
# public names become the compiled ones, which fall back to them (without
# it, make_parser and make_serializer return those very functions).
_PYTHON_PARSE, _PYTHON_SERIALIZE = parse_close_payload, serialize_close_payload
# (The same signatures: the compiled objects are typed as the functions.)
parse_close_payload = make_parser(_DEFAULT_CODES)  # type: ignore[assignment]
serialize_close_payload = make_serializer(_DEFAULT_CODES)
