"""The ``closeframe`` command: decode, encode and explain close payloads.

Exit status: 0 for a valid input, 1 for an invalid payload or code,
2 for a usage error.  Errors go to stderr on one line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

from . import __version__
from .codes import CloseCode, code_info, code_range, describe_code, is_sendable
from .errors import CloseFrameError, CloseValueError
from .frame import decode_close_frame, encode_close_frame
from .payload import IMPLEMENTATION, parse_close_payload, serialize_close_payload

__all__ = ["main"]

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage text; one line is easier to read in a
    # script's log, and `--help` still shows everything.
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _parse_hex(words: Sequence[str]) -> bytes:
    # Each token is whole bytes: "03e8", "0x03e8", "03:e8".  Decoding token
    # by token makes "0x3 0xe8" an error rather than the bytes 03 e8.
    data = bytearray()
    for token in " ".join(words).split():
        digits = token[2:] if token[:2] in ("0x", "0X") else token
        try:
            data += bytes.fromhex(digits.replace(":", ""))
        except ValueError:
            raise _UsageError(f"not whole bytes in hex: {token!r}") from None
    return bytes(data)


def _code_fields(code: int) -> dict[str, Any]:
    info = code_info(code)
    return {
        "code": int(code),
        "name": info.code.name if info else None,
        "description": describe_code(code),
        "range": code_range(code).name,
        "sendable": is_sendable(code),
    }


def _decode(args: argparse.Namespace) -> tuple[int, dict[str, Any], list[str]]:
    data = _parse_hex(args.hex)
    if args.frame:
        return _decode_frame(data)
    result: dict[str, Any] = {"payload": data.hex(), "length": len(data)}
    lines = []
    try:
        close = parse_close_payload(data)
    except CloseFrameError as exc:
        if len(data) >= 2:
            code = data[0] << 8 | data[1]
            result.update(_code_fields(code))
            lines.append(f"code:    {describe_code(code)}")
        answer = CloseCode(exc.close_code)
        result.update(valid=False, error=str(exc), close_code=int(answer))
        lines.append(f"valid:   no: {exc}")
        lines.append(f"answer:  a strict peer fails the connection with {describe_code(answer)}")
        return EXIT_INVALID, result, lines
    result.update(_code_fields(close.code))
    result.update(reason=close.reason, valid=True, error=None, close_code=None)
    if not data:
        lines.append(f"code:    {describe_code(close.code)}: the frame carried no status code")
    else:
        lines.append(f"code:    {describe_code(close.code)}")
    lines.append(f"reason:  {close.reason!r}")
    lines.append("valid:   yes, this payload may appear on the wire")
    return EXIT_VALID, result, lines


def _decode_frame(data: bytes) -> tuple[int, dict[str, Any], list[str]]:
    result: dict[str, Any] = {"frame": data.hex(), "length": len(data)}
    try:
        close = decode_close_frame(data)
    except CloseFrameError as exc:
        answer = CloseCode(exc.close_code)
        result.update(valid=False, error=str(exc), close_code=int(answer))
        lines = [
            f"valid:   no: {exc}",
            f"answer:  a strict peer fails the connection with {describe_code(answer)}",
        ]
        return EXIT_INVALID, result, lines
    masked = bool(data[1] & 0x80)
    mask_key = data[2:6].hex() if masked else None
    payload = serialize_close_payload(*close)
    result.update(_code_fields(close.code))
    result.update(
        payload=payload.hex(),
        masked=masked,
        mask_key=mask_key,
        reason=close.reason,
        valid=True,
        error=None,
        close_code=None,
    )
    lines = [
        f"frame:   close frame, {len(payload)}-byte payload, "
        + (
            f"masked with key {mask_key} (from a client)" if masked else "unmasked (from a server)"
        ),
        f"code:    {describe_code(close.code)}",
        f"reason:  {close.reason!r}",
        "valid:   yes, this frame may appear on the wire",
    ]
    return EXIT_VALID, result, lines


def _encode(args: argparse.Namespace) -> tuple[int, dict[str, Any], list[str]]:
    mask_key = None
    if args.mask is not None:
        mask_key = _parse_hex([args.mask])
        if len(mask_key) != 4:
            raise _UsageError(f"a masking key is 4 bytes (8 hex digits), got {args.mask!r}")
    try:
        payload = serialize_close_payload(args.code, args.reason, truncate=args.truncate)
    except CloseValueError as exc:
        return EXIT_INVALID, {"valid": False, "error": str(exc)}, [f"error: {exc}"]
    result: dict[str, Any] = {"valid": True, "payload": payload.hex()}
    if not args.frame and mask_key is None:
        return EXIT_VALID, result, [payload.hex()]
    frame = encode_close_frame(args.code, args.reason, mask_key=mask_key, truncate=args.truncate)
    result.update(frame=frame.hex(), mask_key=mask_key.hex() if mask_key is not None else None)
    return EXIT_VALID, result, [frame.hex()]


def _explain(args: argparse.Namespace) -> tuple[int, dict[str, Any], list[str]]:
    code = args.code
    if not 0 <= code <= 65535:
        raise _UsageError(f"a close code is 0-65535, got {code}")
    fields = _code_fields(code)
    info = code_info(code)
    lines = [describe_code(code), f"range:    {code_range(code).value}"]
    if info is not None:
        fields.update(
            iana_name=info.iana_name,
            mdn_name=info.mdn_name,
            meaning=info.description,
            reference=info.reference,
            sender=info.sender.name,
            normal=info.is_normal,
        )
        lines.append(f"meaning:  {info.description}")
        lines.append(f"sent by:  {info.sender.value}")
        lines.append(f"source:   {info.reference}")
    lines.append(f"on wire:  {'allowed' if fields['sendable'] else 'never valid'}")
    return EXIT_VALID, fields, lines


def _codes(args: argparse.Namespace) -> tuple[int, dict[str, Any], list[str]]:
    rows = []
    lines = []
    for code in sorted({int(member) for member in CloseCode}):
        info = code_info(code)
        assert info is not None  # every CloseCode member is registered
        rows.append(
            {
                **_code_fields(code),
                "iana_name": info.iana_name,
                "mdn_name": info.mdn_name,
                "sender": info.sender.name,
            }
        )
        wire = "sendable" if is_sendable(code) else "never on the wire"
        lines.append(f"{code}  {info.code.name:<28} {info.iana_name:<28} {wire}")
    return EXIT_VALID, {"codes": rows}, lines


def _build_parser() -> _Parser:
    parser = _Parser(
        prog="closeframe",
        description="Decode, encode and explain WebSocket close payloads (RFC 6455 §5.5.1).",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"closeframe {__version__} ({IMPLEMENTATION} implementation)",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    decode = commands.add_parser("decode", help="decode a close payload given in hex")
    decode.add_argument("hex", nargs="+", help="payload bytes, e.g. 03e8 or '0x03 0xe8 62 79 65'")
    decode.add_argument(
        "--frame", action="store_true", help="the bytes are a whole close frame, masked or not"
    )
    decode.set_defaults(run=_decode)

    encode = commands.add_parser("encode", help="encode a close payload as hex")
    encode.add_argument("code", type=int)
    encode.add_argument("reason", nargs="?", default="")
    encode.add_argument(
        "--truncate",
        action="store_true",
        help="cut a reason over 123 bytes at a character boundary",
    )
    encode.add_argument("--frame", action="store_true", help="print a whole close frame")
    encode.add_argument(
        "--mask",
        metavar="KEY",
        help="mask the frame with this 4-byte key in hex (implies --frame)",
    )
    encode.set_defaults(run=_encode)

    explain = commands.add_parser("explain", help="explain any close code 0-65535")
    explain.add_argument("code", type=int)
    explain.set_defaults(run=_explain)

    codes = commands.add_parser("codes", help="list the registered close codes")
    codes.set_defaults(run=_codes)

    for sub in (decode, encode, explain, codes):
        sub.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        args = _build_parser().parse_args(argv)
        status: int
        status, result, lines = args.run(args)
    except _UsageError as exc:
        print(f"closeframe: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        text = json.dumps(result, ensure_ascii=False)
        if not _can_encode(text, sys.stdout):
            text = json.dumps(result)  # \u escapes: valid JSON in any encoding
        print(text)
    else:
        stream = sys.stdout if status == EXIT_VALID else sys.stderr
        if args.command == "decode":
            stream = sys.stdout  # the decoded fields are the output, valid or not
        text = "\n".join(lines)
        if not _can_encode(text, stream):
            # An ASCII or legacy code-page terminal: escape, never crash.
            encoding = stream.encoding
            text = text.encode(encoding, "backslashreplace").decode(encoding)
        print(text, file=stream)
    return status


def _can_encode(text: str, stream: TextIO) -> bool:
    try:
        text.encode(stream.encoding or "utf-8")
    except UnicodeEncodeError:
        return False
    return True
