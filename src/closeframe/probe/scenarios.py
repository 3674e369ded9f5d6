"""What the probe sends: one scenario per way a client can close, valid or not.

Each scenario is the frames a client writes in one go after the opening
handshake, then what it does with TCP.  What a server should answer is not
written here: the probe asks :class:`~closeframe.ClosingHandshake` in the
server role about the first frame (judge.py), so the rules stay the codec's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..frame import CLOSE_OPCODE

__all__ = ["SCENARIOS", "SERVER_CLOSE", "FrameSpec", "Scenario"]

_TEXT, _PING = 0x1, 0x9


@dataclass(frozen=True)
class FrameSpec:
    """One frame's fields; the masking key is drawn when it is sent."""

    payload: bytes
    opcode: int = CLOSE_OPCODE
    fin: bool = True
    rsv: int = 0
    masked: bool = True  # a client must mask (§5.3); False to test that


@dataclass(frozen=True)
class Scenario:
    """A named way to close: *frames* written at once, then *then* with TCP.

    ``then``: ``"wait"`` for the server; ``"half-close"``: send FIN at once
    and go on reading; ``"reset"``: reset the connection without a close
    frame (the probe then checks the server still answers a new one);
    ``"wait-for-server"``: send nothing and wait for the server to close
    first (``--wait-for-server-close``).
    """

    name: str
    description: str
    frames: tuple[FrameSpec, ...]
    then: Literal["wait", "half-close", "reset", "wait-for-server"] = "wait"


def _code(code: int, reason: bytes = b"") -> bytes:
    return code.to_bytes(2, "big") + reason


def _close(
    name: str, description: str, payload: bytes, *, rsv: int = 0, masked: bool = True
) -> Scenario:
    return Scenario(name, description, (FrameSpec(payload, rsv=rsv, masked=masked),))


_VALID = [
    # (code, reason): a registered code, the last one IANA added (1014, which
    # libsoup refuses), the library range 3000-3999 and the private range
    # 4000-4999, with and without a reason; 123 bytes is the longest reason.
    (1000, ""),
    (1000, "bye"),
    (1000, "€" * 41),  # 41 three-byte characters: 123 bytes
    (1001, ""),
    (1014, ""),
    (3000, ""),
    (3999, "library code"),
    (4000, ""),
    (4999, "😀" * 30 + "€"),  # four- and three-byte characters: 123 bytes
]


def _valid_name(code: int, reason: str) -> str:
    if not reason:
        return f"code-{code}"
    size = len(reason.encode())
    return f"code-{code}-reason-{size}" if size == 123 else f"code-{code}-reason"


# One of each class of code that may not be sent: 0-999, 1004, the protocol-
# only 1005, 1006 and 1015, the unassigned 1016-2999, and 5000-65535.
_REFUSED = (0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535)

# One example of each kind of invalid UTF-8 closeframe.strategies.UTF8_KINDS
# names, after a valid start, so the error is in the middle of the reason.
_BAD_UTF8 = {
    "overlong": b"\xc0\xaf",  # "/" in two bytes
    "surrogate": b"\xed\xa0\x80",  # U+D800
    "truncated": b"\xe2\x82",  # the first two bytes of "€"
    "stray-continuation": b"\x80",
    "out-of-range": b"\xf4\x90\x80\x80",  # U+110000
    "invalid-lead": b"\xf8",
}

_BYE = FrameSpec(_code(1000, b"bye"))

SCENARIOS: tuple[Scenario, ...] = (
    *(
        _close(
            _valid_name(code, reason),
            f"close {code}" + (f" with a {len(reason.encode())}-byte reason" if reason else ""),
            _code(code, reason.encode()),
        )
        for code, reason in _VALID
    ),
    _close("empty", "close with an empty payload: no status code", b""),
    *(
        _close(f"code-{code}", f"close {code}, which may not be sent", _code(code))
        for code in _REFUSED
    ),
    _close("one-byte", "a 1-byte payload: half a status code", b"\x03"),
    *(
        _close(
            f"utf8-{kind}",
            f"close 1000, the reason invalid UTF-8: {kind}",
            _code(1000, b"ok" + data),
        )
        for kind, data in _BAD_UTF8.items()
    ),
    _close(
        "payload-126",
        "a 126-byte payload, in the 16-bit length form: over a control frame's 125",
        _code(1000, b"a" * 124),
    ),
    Scenario(
        "fragmented",
        "close 1000 'bye' in two fragments: FIN clear, then a continuation",
        (FrameSpec(_code(1000), fin=False), FrameSpec(b"bye", opcode=0x0)),
    ),
    *(
        _close(
            f"rsv{bit}",
            f"close 1000 'bye' with RSV{bit} set",
            _code(1000, b"bye"),
            rsv=1 << (3 - bit),
        )
        for bit in (1, 2, 3)
    ),
    _close(
        "unmasked",
        "close 1000 'bye' unmasked, as only a server may send",
        _code(1000, b"bye"),
        masked=False,
    ),
    Scenario(
        "ping-after-close",
        "close 1000 'bye', then at once a ping",
        (_BYE, FrameSpec(b"late", opcode=_PING)),
    ),
    Scenario(
        "text-after-close",
        "close 1000 'bye', then at once a text frame",
        (_BYE, FrameSpec(b"late", opcode=_TEXT)),
    ),
    Scenario(
        "close-after-close",
        "close 1000 'bye', then at once close 1001",
        (_BYE, FrameSpec(_code(1001))),
    ),
    Scenario(
        "half-close",
        "close 1000 'bye', then at once a TCP half-close (FIN)",
        (_BYE,),
        "half-close",
    ),
    Scenario(
        "drop",
        "reset TCP with no close frame, then close 1000 'bye' on a new connection",
        (),
        "reset",
    ),
)

#: Run only with --wait-for-server-close: it waits for the server.
SERVER_CLOSE = Scenario(
    "server-close",
    "wait for the server to close first, echo its close, wait for TCP to close",
    (),
    "wait-for-server",
)
