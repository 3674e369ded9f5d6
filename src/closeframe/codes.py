"""The close-code registry: every code from 0 to 65535, classified.

Sources: RFC 6455 §7.4.1 (the registered codes), §7.4.2 (the ranges),
§11.7 (registration policy) and the IANA "WebSocket Close Code Number
Registry" (1012-1014, added after the RFC).
"""

from __future__ import annotations

import enum
from collections import namedtuple

from ._util import check_code

# typing costs ~4 ms to import, a third of this package's import budget
# (benchmarks/): the names it offers are needed by type checkers only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple

__all__ = [
    "PROTOCOL_ONLY_CODES",
    "SENDABLE_CODES",
    "SENDABLE_PROTOCOL_CODES",
    "CloseCode",
    "CodeInfo",
    "CodeRange",
    "Sender",
    "code_info",
    "code_range",
    "describe_code",
    "is_extension_code",
    "is_normal_closure",
    "is_protocol_only",
    "is_script_allowed",
    "is_sendable",
]


class CloseCode(enum.IntEnum):
    """Every IANA-registered close code (1000-1015, without the reserved 1004).

    The canonical names are the RFC/IANA ones.  MDN's ``CLOSE_*`` constant
    names and the wsproto/websockets spellings that differ are aliases, so
    ``CloseCode.CLOSE_NORMAL is CloseCode.NORMAL_CLOSURE``.
    """

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    # 1004 is reserved (RFC 6455 §7.4.1) and deliberately not a member.
    NO_STATUS_RCVD = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_FRAME_PAYLOAD_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015

    # MDN's constant names (the CloseEvent page's historical table).
    CLOSE_NORMAL = 1000
    CLOSE_GOING_AWAY = 1001
    CLOSE_PROTOCOL_ERROR = 1002
    CLOSE_UNSUPPORTED = 1003
    CLOSE_NO_STATUS = 1005
    CLOSE_ABNORMAL = 1006
    CLOSE_TOO_LARGE = 1009

    # Spellings used by websockets (INVALID_DATA) and wsproto (the others).
    INVALID_DATA = 1007
    MANDATORY_EXT = 1010
    TLS_HANDSHAKE_FAILED = 1015


class CodeRange(enum.Enum):
    """The six classes every integer 0-65535 falls into (RFC 6455 §7.4.2).

    Each member's value describes it; ``label`` is the short form
    :func:`describe_code` uses.
    """

    UNUSED = "not used (0-999)", "not used"
    REGISTERED = "registered protocol code", "registered"
    RESERVED = "reserved for the protocol and its extensions, unassigned", "reserved, unassigned"
    LIBRARY = (
        "libraries and frameworks, registered with IANA (3000-3999)",
        "library/framework code",
    )
    PRIVATE = "private use by applications (4000-4999)", "private use"
    OUT_OF_RANGE = "out of range (5000-65535)", "out of range"

    label: str

    def __new__(cls, description: str, label: str) -> CodeRange:
        member = object.__new__(cls)
        member._value_ = description
        member.label = label
        return member


class Sender(enum.Enum):
    """Which endpoint may put a registered code in a close frame."""

    EITHER = "either endpoint"
    CLIENT = "client only"
    NOBODY = "nobody: it names a local condition, never sent"


if TYPE_CHECKING:

    class _CodeInfoFields(NamedTuple):
        code: CloseCode
        iana_name: str
        mdn_name: str | None
        description: str
        reference: str
        sender: Sender
        is_normal: bool

else:
    _CodeInfoFields = namedtuple(
        "_CodeInfoFields",
        "code iana_name mdn_name description reference sender is_normal",
    )


class CodeInfo(_CodeInfoFields):
    """What the registry knows about one registered code.

    ``code`` (a :class:`CloseCode`), ``iana_name`` (the IANA registry's
    name, e.g. ``"Normal Closure"``), ``mdn_name`` (MDN's ``CLOSE_*``
    constant, or ``None``), ``description`` (one line, in this project's
    words), ``reference``, ``sender`` (a :class:`Sender`) and ``is_normal``
    (1000, 1001 and 1005: an ending that is not an error).
    """

    __slots__ = ()


_RFC = "RFC 6455 §7.4.1"
_IANA = "IANA WebSocket Close Code Number Registry"

# The registry, one row per code: the IANA name, MDN's constant, a short
# label (describe_code's), what it means, and where it is defined.  Who may
# send it and whether it is a normal ending are stated once, below the
# table, as the exceptions they are.
_TABLE = (
    (CloseCode.NORMAL_CLOSURE, "Normal Closure", "CLOSE_NORMAL",
     "normal closure", "the purpose of the connection is fulfilled", _RFC),
    (CloseCode.GOING_AWAY, "Going Away", "CLOSE_GOING_AWAY",
     "going away", "a server shutting down or a page being left", _RFC),
    (CloseCode.PROTOCOL_ERROR, "Protocol error", "CLOSE_PROTOCOL_ERROR",
     "protocol error", "the peer broke the WebSocket protocol", _RFC),
    (CloseCode.UNSUPPORTED_DATA, "Unsupported Data", "CLOSE_UNSUPPORTED",
     "unsupported data", "a message type the endpoint cannot accept", _RFC),
    (CloseCode.NO_STATUS_RCVD, "No Status Rcvd", "CLOSE_NO_STATUS",
     "no status received", "the close frame carried no code", _RFC),
    (CloseCode.ABNORMAL_CLOSURE, "Abnormal Closure", "CLOSE_ABNORMAL",
     "abnormal closure", "the connection ended without a close frame", _RFC),
    (CloseCode.INVALID_FRAME_PAYLOAD_DATA, "Invalid frame payload data", None,
     "invalid payload data", "e.g. a text message that is not UTF-8", _RFC),
    (CloseCode.POLICY_VIOLATION, "Policy Violation", None,
     "policy violation", "a message broke the endpoint's policy", _RFC),
    (CloseCode.MESSAGE_TOO_BIG, "Message Too Big", "CLOSE_TOO_LARGE",
     "message too big", "a message was too large to process", _RFC),
    (CloseCode.MANDATORY_EXTENSION, "Mandatory Ext.", None,
     "mandatory extension",
     "the server did not negotiate an extension the client requires", _RFC),
    (CloseCode.INTERNAL_ERROR, "Internal Error", None,
     "internal error", "an unexpected condition stopped the endpoint", _RFC),
    (CloseCode.SERVICE_RESTART, "Service Restart", None,
     "service restart", "the server is restarting, reconnect later", _IANA),
    (CloseCode.TRY_AGAIN_LATER, "Try Again Later", None,
     "try again later", "a temporary condition, such as overload", _IANA),
    (CloseCode.BAD_GATEWAY, "Bad Gateway", None,
     "bad gateway", "a gateway or proxy got an invalid upstream response", _IANA),
    (CloseCode.TLS_HANDSHAKE, "TLS handshake", None,
     "TLS handshake failure", "the certificate could not be verified, for example", _RFC),
)  # fmt: skip

#: Codes that name a local condition and must never appear on the wire
#: (RFC 6455 §7.4.1: 1005, 1006 and 1015 "MUST NOT be set as a status code").
#:
#: :meta hide-value:
PROTOCOL_ONLY_CODES: frozenset[int] = frozenset(
    {CloseCode.NO_STATUS_RCVD, CloseCode.ABNORMAL_CLOSURE, CloseCode.TLS_HANDSHAKE}
)
# Only a client sends 1010: the server did not agree to what it needs (§7.4.1).
_CLIENT_ONLY = frozenset({CloseCode.MANDATORY_EXTENSION})
# Endings that are not errors: 1005 counts, as a bare ws.close() sends no code.
_NORMAL = frozenset({CloseCode.NORMAL_CLOSURE, CloseCode.GOING_AWAY, CloseCode.NO_STATUS_RCVD})


def _sender(code: CloseCode) -> Sender:
    if code in PROTOCOL_ONLY_CODES:
        return Sender.NOBODY
    return Sender.CLIENT if code in _CLIENT_ONLY else Sender.EITHER


_REGISTRY: dict[int, CodeInfo] = {
    code: CodeInfo(
        code, iana, mdn, f"{label}: {meaning}", reference, _sender(code), code in _NORMAL
    )
    for code, iana, mdn, label, meaning, reference in _TABLE
}
# describe_code's short form of each registered code.
_LABELS = {row[0]: row[3] for row in _TABLE}

#: The registered codes an endpoint may send: 1000-1003 and 1007-1014.
#:
#: :meta hide-value:
SENDABLE_PROTOCOL_CODES: frozenset[int] = frozenset(
    code for code in _REGISTRY if code not in PROTOCOL_ONLY_CODES
)

# Named bounds of the ranges in RFC 6455 §7.4.2.
MIN_PROTOCOL_CODE = 1000
MAX_PROTOCOL_CODE = 2999
MIN_LIBRARY_CODE = 3000
MIN_PRIVATE_CODE = 4000
MAX_PRIVATE_CODE = 4999
MAX_CODE = 65535  # the field is two bytes (RFC 6455 §5.5.1)
# The payload limits: defined here, beside the codes, because both the
# errors' messages and the codec (payload.py, which re-exports them) use them.
#: A control frame's payload is at most 125 bytes (RFC 6455 §5.5).
MAX_PAYLOAD_BYTES = 125
#: What is left for the reason after the 2-byte status code.
MAX_REASON_BYTES = MAX_PAYLOAD_BYTES - 2
#: Every code the strict rules let on the wire: :data:`SENDABLE_PROTOCOL_CODES`
#: and 3000-4999 (RFC 6455 §7.4).  The one list :func:`is_sendable`, the
#: parser and the serializer all use.
#:
#: :meta hide-value:
SENDABLE_CODES: frozenset[int] = SENDABLE_PROTOCOL_CODES | frozenset(
    range(MIN_LIBRARY_CODE, MAX_PRIVATE_CODE + 1)
)
#: A masking key is 4 bytes (RFC 6455 §5.3).
MASK_KEY_BYTES = 4
# 1016-2999 are left to extensions (§7.4.2): only a CloseCodec that names
# them accepts them.
MIN_EXTENSION_CODE = 1016


def is_extension_code(code: int) -> bool:
    """``True`` for 1016-2999, the codes RFC 6455 §7.4.2 leaves to extensions.

    None may be sent or received unless the connection negotiated an
    extension that defines it: see :class:`closeframe.CloseCodec`.
    """
    return MIN_EXTENSION_CODE <= check_code(code) <= MAX_PROTOCOL_CODE


def code_range(code: int) -> CodeRange:
    """Classify any integer 0-65535 (RFC 6455 §7.4.2).

    >>> code_range(1000), code_range(1004), code_range(4001)
    (<CodeRange.REGISTERED: ...>, <CodeRange.RESERVED: ...>, <CodeRange.PRIVATE: ...>)
    """
    check_code(code)
    if not 0 <= code <= MAX_CODE:
        raise ValueError(f"close code must be in 0-65535, got {code}")
    if code < MIN_PROTOCOL_CODE:
        return CodeRange.UNUSED
    if code in _REGISTRY:
        return CodeRange.REGISTERED
    if code <= MAX_PROTOCOL_CODE:
        return CodeRange.RESERVED
    if code < MIN_PRIVATE_CODE:
        return CodeRange.LIBRARY
    if code <= MAX_PRIVATE_CODE:
        return CodeRange.PRIVATE
    return CodeRange.OUT_OF_RANGE


def code_info(code: int) -> CodeInfo | None:
    """The registry entry for a registered code, ``None`` for any other."""
    return _REGISTRY.get(check_code(code))


def is_protocol_only(code: int) -> bool:
    """``True`` for 1005, 1006 and 1015: local conditions, never on the wire."""
    return check_code(code) in PROTOCOL_ONLY_CODES


def is_sendable(code: int) -> bool:
    """``True`` where *code* may appear in a close frame on the wire.

    That is 1000-1003, 1007-1014 and 3000-4999 (RFC 6455 §7.4).  Codes in
    1016-2999 belong to extensions; see :class:`closeframe.CloseCodec`.
    """
    return check_code(code) in SENDABLE_CODES


def is_script_allowed(code: int) -> bool:
    """May a browser script pass *code* to ``WebSocket.close()``?

    Only 1000 and 3000-4999 (WHATWG WebSockets, the ``close()`` method).
    """
    check_code(code)
    return code == CloseCode.NORMAL_CLOSURE or MIN_LIBRARY_CODE <= code <= MAX_PRIVATE_CODE


def is_normal_closure(code: int) -> bool:
    """``True`` for 1000, 1001 and 1005: endings that are not errors.

    1005 counts because a browser's bare ``ws.close()`` sends an empty close
    frame, which the peer reports as 1005.
    """
    info = code_info(code)
    return info is not None and info.is_normal


def describe_code(code: int) -> str:
    """A short human description of any code, e.g. ``"1001 GOING_AWAY (going away)"``.

    >>> describe_code(1001)
    '1001 GOING_AWAY (going away)'
    >>> describe_code(4001)
    '4001 (private use)'
    """
    info = code_info(code)
    if info is not None:
        return f"{code} {info.code.name} ({_LABELS[info.code]})"
    return f"{code} ({code_range(code).label})"
