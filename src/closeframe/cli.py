"""The ``closeframe`` command: decode, encode and explain close payloads; probe a server.

Exit status:

- 0: the input is valid (probe: every verdict is pass or lenient);
- 1: an invalid payload or code (probe: a verdict is fail);
- 2: a usage error (probe: also no connection or no WebSocket at the URL);
- 3: stdout could not be written (disk full, descriptor closed...);
- 141: stdout's reader went away (a closed pipe, ``closeframe codes | head -1``).
  Nothing is printed: the reader has what it wanted.  141 is 128 + SIGPIPE,
  what a shell reports for a writer killed by SIGPIPE.

Errors go to stderr on one line, never a traceback.  Every character that
``str.isprintable`` refuses is escaped in the output, text and JSON alike.
"""

from __future__ import annotations

import argparse
import errno
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO

from . import __version__
from .codes import (
    MAX_CODE,
    MAX_REASON_BYTES,
    CloseCode,
    code_info,
    code_range,
    describe_code,
    is_sendable,
)
from .errors import CloseFrameError, CloseValueError, InvalidFrameError, UnencodableReasonError
from .events import CloseEvent
from .frame import decode_close_frame, encode_close_frame, mask_payload, read_close_frame
from .payload import IMPLEMENTATION, parse_close_payload, serialize_close_payload
from .probe.options import add_parser as add_probe_parser

__all__ = ["main"]

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_OUTPUT = 3
EXIT_BROKEN_PIPE = 141


class _UsageError(Exception):
    pass


class _HelpNeededError(Exception):
    """Nothing to work on: print this help on stderr, then the message, and exit 2."""

    def __init__(self, help_text: str, message: str | None = None) -> None:
        super().__init__(help_text, message)
        self.help_text = help_text
        self.message = message


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage text; one line is easier to read in a
    # script's log, and `--help` still shows everything.
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)

    # --help and --version print through this, and only they do (error()
    # raises instead).  argparse would drop a failed write, and send the text
    # to stderr when stdout is closed; write it like every other output.
    def _print_message(self, message: str, file: object = None) -> None:
        _write(message, _stdout())


class _Formatter(argparse.HelpFormatter):
    # argparse heads the list of commands with a line of its metavar alone
    # ("COMMAND"); the title says it already.
    def _format_action(self, action: argparse.Action) -> str:
        text = super()._format_action(action)
        if isinstance(action, argparse._SubParsersAction):
            return text.split("\n", 1)[1]
        return text


def _parse_hex(words: Sequence[str]) -> bytes:
    # Each token is whole bytes: "03e8", "0x03e8", "03:e8".  Decoding token
    # by token makes "0x3 0xe8" an error rather than the bytes 03 e8.
    data = bytearray()
    for token in " ".join(words).split():
        digits = (token[2:] if token[:2] in ("0x", "0X") else token).replace(":", "")
        if not set(digits) <= _HEX_DIGITS:
            raise _UsageError(f"not hex: {_shown(token)}")
        if len(digits) % 2:
            raise _UsageError(
                f"not whole bytes in hex: {_shown(token)} has an odd number of digits"
            )
        data += bytes.fromhex(digits)
    return bytes(data)


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _shown(token: str) -> str:
    # A word from a file or stdin may be long: enough of it to find it.
    return repr(token) if len(token) <= 40 else repr(token[:37]) + "..."


def _input(args: argparse.Namespace) -> bytes:
    """decode's bytes: hex words, ``-`` (hex on stdin) or ``--file PATH`` (raw)."""
    if args.file is not None:
        if args.hex:
            raise _UsageError("give the bytes as hex or with --file, not both")
        if args.file == "-":
            return _stdin_bytes()
        try:
            with open(args.file, "rb") as file:
                return file.read()
        except OSError as exc:
            raise _UsageError(f"cannot read {args.file!r}: {exc.strerror or exc}") from None
    if not args.hex:
        raise _HelpNeededError(
            args.parser.format_help(),
            "decode needs bytes: hex words, - to read hex from stdin, or --file PATH",
        )
    if "-" in args.hex:
        if len(args.hex) > 1:
            raise _UsageError("- reads the hex from stdin: give it alone")
        # Every byte is a character in latin-1, so whatever is not hex is
        # named as such rather than failing to decode.
        return _parse_hex([_stdin_bytes().decode("latin-1")])
    return _parse_hex(args.hex)


def _stdin_bytes() -> bytes:
    stdin = sys.stdin
    if stdin is None:  # descriptor 0 closed
        raise _UsageError("cannot read stdin: it is closed")
    buffer = getattr(stdin, "buffer", None)
    if buffer is None:  # a text stream without bytes beneath (io.StringIO)
        return stdin.read().encode("utf-8", "surrogateescape")
    data: bytes = buffer.read()
    return data


def _close_code(text: str) -> int:
    """A code as a user writes it: 1000, 0x3e8, NORMAL_CLOSURE, close_normal."""
    word = text.strip()
    for base in (10, 0):  # 10 first: "01000" is 1000; 0 reads 0x3e8, 0o, 0b
        try:
            return int(word, base)
        except ValueError:
            pass
    key = word.casefold().removeprefix("closecode.")
    values = {int(code) for name, code in CloseCode.__members__.items() if name.casefold() == key}
    if len(values) == 1:
        return values.pop()
    raise argparse.ArgumentTypeError(
        f"not a close code: {_shown(text)} (a number such as 1000 or 0x3e8, or a name"
        " such as NORMAL_CLOSURE; closeframe codes lists the names)"
    )


# --json's keys, command by command: every key in every case, null where a
# field does not apply (no code in one byte, no reason in an invalid payload,
# no frame fields for a payload).
_DECODE_KEYS = (
    "payload",
    "length",
    "code",
    "name",
    "description",
    "range",
    "sendable",
    "reason",
    "valid",
    "error",
    "close_code",
    "frame",
    "masked",
    "mask_key",
)
_ENCODE_KEYS = ("valid", "error", "payload", "frame", "mask_key")
_CODE_KEYS = (
    "code",
    "name",
    "description",
    "range",
    "sendable",
    "iana_name",
    "mdn_name",
    "meaning",
    "reference",
    "sender",
    "normal",
)


def _keyed(result: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    return {key: result.get(key) for key in keys}


def _code_name(code: int) -> str | None:
    info = code_info(code)
    return info.code.name if info else None


def _code_fields(code: int) -> dict[str, Any]:
    return {
        "code": int(code),
        "name": _code_name(code),
        "description": describe_code(code),
        "range": code_range(code).name,
        "sendable": is_sendable(code),
    }


def _strict_failure(exc: CloseFrameError, result: dict[str, Any]) -> list[str]:
    """Record the strict answer to an invalid payload or frame; return its lines."""
    answer = CloseCode(exc.close_code)
    result.update(valid=False, error=str(exc), close_code=int(answer))
    return [
        f"valid:   no: {exc}",
        f"answer:  a strict peer fails the connection with {describe_code(answer)}",
    ]


def _valid_line(frame: bool) -> str:
    return f"valid:   yes, this {'frame' if frame else 'payload'} may appear on the wire"


def _decode(args: argparse.Namespace) -> tuple[int, dict[str, Any], list[str]]:
    if args.stream and args.browsers:
        raise _UsageError(
            "--browsers --frame already reads the bytes as a server's stream, as each"
            " engine does; --stream lists the frames one by one, without --browsers"
        )
    data = _input(args)
    if args.browsers:
        return _decode_browsers(data, frame=args.frame)
    if args.stream:
        return _decode_stream(data)
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
        lines += _strict_failure(exc, result)
        return EXIT_INVALID, _keyed(result, _DECODE_KEYS), lines
    result.update(_code_fields(close.code))
    result.update(reason=close.reason, valid=True, error=None, close_code=None)
    if not data:
        lines.append(f"code:    {describe_code(close.code)}: the frame carried no status code")
    else:
        lines.append(f"code:    {describe_code(close.code)}")
    lines.append(f"reason:  {close.reason!r}")
    lines.append(_valid_line(frame=False))
    return EXIT_VALID, _keyed(result, _DECODE_KEYS), lines


def _frame_line(payload: bytes, mask_key: str | None) -> str:
    return f"frame:   close frame, {len(payload)}-byte payload, " + (
        f"masked with key {mask_key} (from a client)" if mask_key else "unmasked (from a server)"
    )


def _decode_frame(data: bytes) -> tuple[int, dict[str, Any], list[str]]:
    result: dict[str, Any] = {"frame": data.hex(), "length": len(data)}
    masked = len(data) >= 2 and bool(data[1] & 0x80)
    mask_key = data[2:6].hex() if masked else None
    try:
        close = decode_close_frame(data)
    except CloseFrameError as exc:
        lines = []
        if not isinstance(exc, InvalidFrameError):
            # A well-formed frame whose payload is refused: what it holds
            # still helps (its code, whose reason is not UTF-8...).
            payload = data[6:] if masked else data[2:]
            if masked:
                payload = mask_payload(payload, data[2:6])
            result.update(payload=payload.hex(), masked=masked, mask_key=mask_key)
            lines.append(_frame_line(payload, mask_key))
            if len(payload) >= 2:
                code = payload[0] << 8 | payload[1]
                result.update(_code_fields(code))
                lines.append(f"code:    {describe_code(code)}")
        lines += _strict_failure(exc, result)
        return EXIT_INVALID, _keyed(result, _DECODE_KEYS), lines
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
        _frame_line(payload, mask_key),
        f"code:    {describe_code(close.code)}",
        f"reason:  {close.reason!r}",
        _valid_line(frame=True),
    ]
    return EXIT_VALID, _keyed(result, _DECODE_KEYS), lines


_OPCODE_NAMES = {0x0: "continuation", 0x1: "text", 0x2: "binary", 0x9: "ping", 0xA: "pong"}


def _frame_extent(data: bytes, start: int) -> tuple[int, int]:
    """(opcode, end) of the frame at *start*; end is past len(data) when incomplete."""
    available = len(data) - start
    if available < 2:  # never 0: the caller stops at the end
        return data[start] & 0x0F, start + 2
    opcode, second = data[start] & 0x0F, data[start + 1]
    length = second & 0x7F
    header = 2 + {126: 2, 127: 8}.get(length, 0)
    if available < header:
        return opcode, start + header
    if length >= 126:
        length = int.from_bytes(data[start + 2 : start + header], "big")
    return opcode, start + header + (4 if second & 0x80 else 0) + length


def _decode_stream(data: bytes) -> tuple[int, dict[str, Any], list[str]]:
    """``decode --stream``: every frame in a row, as a capture holds them."""
    status = EXIT_VALID
    frames: list[dict[str, Any]] = []
    lines: list[str] = []
    start = 0
    while start < len(data):
        opcode, end = _frame_extent(data, start)
        entry: dict[str, Any] = {
            "offset": start,
            "length": min(end, len(data)) - start,
            "opcode": opcode,
            "type": "close" if opcode == 0x8 else _OPCODE_NAMES.get(opcode),
            "status": "skipped",
            "needed": None,
            "close": None,
        }
        frames.append(entry)
        where = f"frame {len(frames)} at byte {start}:"
        needed = end - len(data)
        if opcode == 0x8:
            try:
                # A header a peer refuses at once is invalid, not incomplete.
                read_close_frame(data[start:end])
            except CloseFrameError:
                needed = 0
        if needed > 0:
            entry.update(status="incomplete", needed=needed)
            kind = "close frame" if opcode == 0x8 else "frame"
            lines.append(
                f"{where} incomplete {kind}: {needed} more byte(s) to come (a peer waits for them)"
            )
            break
        if opcode != 0x8:
            name = _OPCODE_NAMES.get(opcode, "reserved opcode")
            lines.append(f"{where} {name} (opcode {opcode:#x}), {end - start} bytes: skipped")
            start = end
            continue
        frame_status, result, frame_lines = _decode_frame(data[start:end])
        status = max(status, frame_status)
        entry.update(status="close", close=result)
        lines.append(f"{where} close")
        lines += ["  " + line for line in frame_lines]
        start = end
    if not frames:
        lines.append("no frames: the stream is empty")
    summary = {"stream": data.hex(), "length": len(data), "valid": status == EXIT_VALID}
    return status, {**summary, "frames": frames}, lines


# What a page sees and what is sent back: the error event, the CloseEvent and
# the reply's payload (None: no close frame reaches the server).
_Outcome = tuple[bool, CloseEvent, "bytes | None"]
_OUTCOME_FIELDS = ("error_event", "close_event", "reply")


def _decode_browsers(data: bytes, *, frame: bool) -> tuple[int, dict[str, Any], list[str]]:
    """``decode --browsers``: each engine's outcome beside the strict peer's."""
    # A tenth of a second to import (it builds each engine's parser): only
    # this command pays it.
    from .browser import ENGINES  # noqa: PLC0415

    strict: dict[str, Any] = {}
    expected: _Outcome
    try:
        close = decode_close_frame(data) if frame else parse_close_payload(data)
    except CloseFrameError as exc:
        status, verdict = EXIT_INVALID, _strict_failure(exc, strict)
        # A strict peer fails the connection: its page sees an error, then 1006.
        reply = serialize_close_payload(exc.close_code)
        expected = (True, CloseEvent.abnormal(), reply)
    else:
        status, verdict = EXIT_VALID, [_valid_line(frame)]
        strict.update(valid=True, error=None, close_code=None)
        # It echoes the code and reason (§5.5.1), an empty payload empty.
        expected = (
            False,
            CloseEvent.from_close(close, was_clean=True),
            serialize_close_payload(*close),
        )
    strict.update(_outcome_fields(expected))
    result: dict[str, Any] = {
        "frame" if frame else "payload": data.hex(),
        "length": len(data),
        "strict": strict,
        "engines": {},
    }
    rows = [["policy", "error event", "close event", "reply"], ["strict", *_cells(expected)]]
    checked_with = ["checked with:"]
    marked = False
    for name, policy in ENGINES.items():
        outcome = policy.receive(data) if frame else policy.outcome(data)
        got: _Outcome = (outcome.error_event, outcome.close_event, outcome.reply)
        differs = [
            f
            for f, mine, theirs in zip(_OUTCOME_FIELDS, got, expected, strict=True)
            if mine != theirs
        ]
        result["engines"][name] = {
            **_outcome_fields(got),
            "differs": differs,
            "uncertain": sorted(outcome.uncertain),
            "checked_with": policy.CHECKED_WITH,
        }
        cells = _cells(got)
        for index, field in enumerate(_OUTCOME_FIELDS):
            if field in differs:
                cells[index] += " *"
                marked = True
            if field in outcome.uncertain:
                cells[index] += " (varies between runs)"
        rows.append([name, *cells])
        checked_with.append(f"  {name:<10}{policy.CHECKED_WITH}")
    lines = _table(rows)
    if marked:
        lines.append("* differs from the strict answer")
    lines += verdict
    lines += checked_with
    return status, result, lines


def _outcome_fields(outcome: _Outcome) -> dict[str, Any]:
    error_event, event, reply = outcome
    fields: dict[str, Any] = {
        "error_event": error_event,
        "close_event": {
            "code": int(event.code),
            "name": _code_name(event.code),
            "reason": event.reason,
            "was_clean": event.was_clean,
        },
        "reply": None,
    }
    if reply is not None:
        code, reason = _reply_close(reply)
        fields["reply"] = {"payload": reply.hex(), "code": code, "reason": reason}
    return fields


def _reply_close(reply: bytes) -> tuple[int | None, str]:
    # What a reply's bytes say, read as they are: an engine may echo a code the
    # strict parser refuses (Chromium echoes 5000).  Every reply's reason is
    # UTF-8, since each engine checks it first; "replace" only keeps this total.
    if not reply:
        return None, ""
    return reply[0] << 8 | reply[1], reply[2:].decode("utf-8", "replace")


def _cells(outcome: _Outcome) -> list[str]:
    error_event, event, reply = outcome
    name = _code_name(event.code)
    words = [str(int(event.code)), *([name] if name else []), repr(event.reason)]
    close = " ".join([*words, "clean" if event.was_clean else "unclean"])
    if reply is None:
        sent = "none"
    elif not reply:
        sent = "empty"
    else:
        code, reason = _reply_close(reply)
        sent = f"{reply.hex()} ({code} {reason!r})"
    return ["yes" if error_event else "no", close, sent]


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _encode(args: argparse.Namespace) -> tuple[int, dict[str, Any], list[str]]:
    mask_key = None
    if args.mask is not None:
        mask_key = _parse_hex([args.mask])
        if len(mask_key) != 4:
            raise _UsageError(f"a masking key is 4 bytes (8 hex digits), got {args.mask!r}")
    try:
        payload = serialize_close_payload(args.code, args.reason, truncate=args.truncate)
    except CloseValueError as exc:
        message = _value_error(exc, args.reason)
        failed = {"valid": False, "error": message}
        return EXIT_INVALID, _keyed(failed, _ENCODE_KEYS), [f"error: {message}"]
    result: dict[str, Any] = {"valid": True, "payload": payload.hex()}
    if not args.frame and mask_key is None:
        return EXIT_VALID, _keyed(result, _ENCODE_KEYS), [payload.hex()]
    frame = encode_close_frame(args.code, args.reason, mask_key=mask_key, truncate=args.truncate)
    result.update(frame=frame.hex(), mask_key=mask_key.hex() if mask_key is not None else None)
    return EXIT_VALID, _keyed(result, _ENCODE_KEYS), [frame.hex()]


def _value_error(exc: CloseValueError, reason: str) -> str:
    """The library's message in the command's terms: options, bytes, not str internals."""
    if isinstance(exc, UnencodableReasonError):
        # On POSIX a byte of argv that is not UTF-8 reaches the command as a
        # lone surrogate (surrogateescape): U+DC80-U+DCFF stand for 0x80-0xff.
        char = ord(reason[exc.position])
        at = len(reason[: exc.position].encode("utf-8"))
        what = f"byte {char - 0xDC00:#04x}" if 0xDC80 <= char <= 0xDCFF else f"U+{char:04X}"
        return f"close reason is not valid UTF-8 text: {what} at byte {at} of the reason"
    return str(exc).replace(
        "pass truncate=True to cut it at a code point",
        "pass --truncate to cut it at a character boundary",
    )


def _explain(args: argparse.Namespace) -> tuple[int, dict[str, Any], list[str]]:
    code = args.code
    if not 0 <= code <= MAX_CODE:
        raise _UsageError(f"a close code is 0-{MAX_CODE}, got {code}")
    fields, lines = _explain_code(code)
    return EXIT_VALID, fields, lines


def _explain_code(code: int) -> tuple[dict[str, Any], list[str]]:
    """explain's object (codes' rows too) and its lines."""
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
    return _keyed(fields, _CODE_KEYS), lines


def _codes(args: argparse.Namespace) -> tuple[int, dict[str, Any], list[str]]:
    rows = []
    lines = []
    for code in sorted({int(member) for member in CloseCode}):
        info = code_info(code)
        assert info is not None  # every CloseCode member is registered
        rows.append(_explain_code(code)[0])
        wire = "sendable" if is_sendable(code) else "never on the wire"
        lines.append(f"{code}  {info.code.name:<28} {info.iana_name:<28} {wire}")
    return EXIT_VALID, {"codes": rows}, lines


def _probe(args: argparse.Namespace) -> tuple[int, dict[str, Any], list[str]]:
    # socket, ssl and the browser policies: loaded for this command only.
    from .probe.command import run  # noqa: PLC0415

    return run(args)


def _build_parser() -> _Parser:
    parser = _Parser(
        prog="closeframe",
        description="Decode, encode and explain WebSocket close payloads (RFC 6455 §5.5.1),"
        " and probe a live server's close handling.",
        epilog="closeframe COMMAND --help shows a command's options.",
        formatter_class=_Formatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"closeframe {__version__} ({IMPLEMENTATION} implementation)",
    )
    parser.set_defaults(parser=parser, run=None)
    commands = parser.add_subparsers(
        dest="command", title="commands", metavar="COMMAND", parser_class=_Parser
    )

    decode = commands.add_parser(
        "decode",
        help="decode a close payload or frame: is it valid, what does it say?",
        description="Decode a close payload (or with --frame a whole frame): its code,"
        " its reason, and whether it is valid on the wire.",
    )
    decode.add_argument(
        "hex",
        nargs="*",
        help="the bytes in hex, e.g. 03e8 or '0x03 0xe8 62 79 65'; - reads hex from stdin"
        " (whitespace, 0x and colons ignored as here)",
    )
    decode.add_argument(
        "--file", metavar="PATH", help="read the bytes raw from a file (- for stdin)"
    )
    decode.add_argument(
        "--frame",
        action="store_true",
        help="the bytes are a whole close frame, masked or not (with --browsers: a server's"
        " byte stream, one frame or several)",
    )
    decode.add_argument(
        "--stream",
        action="store_true",
        help="the bytes are frames in a row, as a capture holds them (implies --frame):"
        " each close frame decoded, others listed and skipped",
    )
    decode.add_argument(
        "--browsers",
        action="store_true",
        help="what Chromium, Firefox and WebKit do with it, beside the strict answer",
    )
    decode.set_defaults(run=_decode, parser=decode)

    code_help = "a number (1000, 0x3e8) or a name (NORMAL_CLOSURE, close_normal)"
    encode = commands.add_parser(
        "encode",
        help="encode a code and reason as a close payload or frame, in hex",
        description="Encode a close payload (or frame) by the sending rules.",
    )
    encode.add_argument("code", type=_close_code, help=code_help)
    encode.add_argument("reason", nargs="?", default="")
    encode.add_argument(
        "--truncate",
        action="store_true",
        help=f"cut a reason over {MAX_REASON_BYTES} bytes at a character boundary",
    )
    encode.add_argument("--frame", action="store_true", help="print a whole close frame")
    encode.add_argument(
        "--mask",
        metavar="KEY",
        help="mask the frame with this 4-byte key in hex (implies --frame)",
    )
    encode.set_defaults(run=_encode)

    explain = commands.add_parser(
        "explain",
        help=f"explain any close code 0-{MAX_CODE}: range, meaning, sender",
        description="Explain a close code: its range, and for a registered code its meaning.",
    )
    explain.add_argument("code", type=_close_code, help=code_help)
    explain.set_defaults(run=_explain)

    codes = commands.add_parser(
        "codes",
        help="list the registered close codes",
        description="List the registered close codes.",
    )
    codes.set_defaults(run=_codes)

    probe = add_probe_parser(commands)
    probe.set_defaults(run=_probe, parser=probe)

    for sub in (decode, encode, explain, codes, probe):
        sub.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        return _run(argv)
    except BrokenPipeError:
        # The reader went away (`closeframe codes | head -1`): it has what it
        # wanted, so no message.  Not SIG_DFL for SIGPIPE, which would kill a
        # process that calls main() in-process (the docs, the tests) the next
        # time it writes to any closed pipe or socket, and which Windows lacks;
        # 141 is the status a shell reports for a writer SIGPIPE killed
        # (`yes | head`), which `set -o pipefail` scripts already expect.
        _discard_buffered(sys.stdout)
        return EXIT_BROKEN_PIPE
    except OSError as exc:  # only writes to stdout raise here: see _stdout, _message
        _discard_buffered(sys.stdout)
        _message(f"closeframe: error: cannot write to stdout: {exc.strerror or exc}")
        return EXIT_OUTPUT


def _run(argv: Sequence[str] | None) -> int:
    try:
        args = _build_parser().parse_args(argv)
        if args.run is None:
            raise _HelpNeededError(args.parser.format_help())
        status: int
        status, result, lines = args.run(args)
    except _UsageError as exc:
        _message(f"closeframe: error: {exc}")
        return EXIT_USAGE
    except _HelpNeededError as exc:
        # Run with nothing to do: what it can do, on stderr, as a usage error.
        help_lines = exc.help_text.rstrip("\n").split("\n")
        _message(*help_lines, *([f"closeframe: error: {exc.message}"] if exc.message else []))
        return EXIT_USAGE
    if args.json:
        text = json.dumps(result, ensure_ascii=False)
        if not _can_encode(text, _stdout()):
            text = json.dumps(result)  # \u escapes: valid JSON in any encoding
        # Outside its strings JSON is printable ASCII, so every character
        # escaped here is inside a string, where \uXXXX means the same.
        _write(_escape_unprintable(text, _json_escape) + "\n", _stdout())
    elif status == EXIT_VALID or args.command in ("decode", "probe"):
        # decode's fields and probe's verdicts are their output, valid or not.
        _write(_text(lines), _stdout())
    else:
        _message(*lines)
    return status


def _escape_unprintable(text: str, escape: Callable[[str], str]) -> str:
    """Replace each character ``str.isprintable()`` refuses with ``escape(char)``.

    The one rule for what the command writes raw.  It is ``repr()``'s (Python
    defines ``isprintable`` as what ``repr`` leaves alone), so text mode, which
    shows a reason as its ``repr``, and ``--json`` escape the same characters:
    C0 and C1 controls, DEL, bidi and other format characters (U+061C,
    U+200E-U+200F, U+202A-U+202E, U+2066-U+2069, U+FEFF...), line and
    paragraph separators, separators other than the space, unassigned and
    private-use code points.  None can then move the cursor, start a line or
    reorder what a terminal shows.
    """
    return "".join(char if char.isprintable() else escape(char) for char in text)


def _python_escape(char: str) -> str:
    return repr(char)[1:-1]  # \x1b, \u202e, \U000e0001


def _json_escape(char: str) -> str:
    return json.dumps(char)[1:-1]  # \u001b, \u202e, \udb40\udc01


def _text(lines: Sequence[str]) -> str:
    # Lines hold registry text, error messages, repr'd reasons and, in usage
    # errors, words of argv: escaping every line keeps the rule in one place
    # whatever a line embeds.
    return "".join(_escape_unprintable(line, _python_escape) + "\n" for line in lines)


def _stdout() -> TextIO:
    # Python sets sys.stdout to None when it starts with descriptor 1 closed
    # (`closeframe codes >&-`): the same failure as a write to it.
    if sys.stdout is None:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))
    return sys.stdout


def _write(text: str, stream: TextIO) -> None:
    if not _can_encode(text, stream):
        # An ASCII or legacy code-page terminal: escape, never crash.
        encoding = stream.encoding
        text = text.encode(encoding, "backslashreplace").decode(encoding)
    raw = getattr(stream, "buffer", None)
    if isinstance(raw, io.RawIOBase):
        # python -u (PYTHONUNBUFFERED): the text layer writes to the file
        # itself and drops what a short write leaves, as when a pipe's reader
        # goes away mid-write (CPython gh-85393).  Loop: the next write raises.
        stream.flush()
        data = memoryview(text.replace("\n", os.linesep).encode(stream.encoding))
        while data:
            data = data[raw.write(data) or 0 :]  # None: non-blocking and full
        return
    stream.write(text)
    # A pipe or file is block-buffered: flush so that a failure raises here,
    # where main() handles it, not in Python's flush at exit.
    stream.flush()


def _message(*lines: str) -> None:
    # Messages on stderr are best effort: when stderr cannot be written
    # either, the exit status is all that is left to say what happened.
    try:
        if sys.stderr is not None:  # None when descriptor 2 was closed
            _write(_text(lines), sys.stderr)
    except OSError:
        _discard_buffered(sys.stderr)


def _discard_buffered(stream: TextIO | None) -> None:
    # What could not be written is still in the stream's buffer, and Python
    # flushes stdout and stderr again at exit: that flush would fail too,
    # print "Exception ignored ..." and exit 120.  Pointing the descriptor at
    # /dev/null lets it succeed (the Python docs' note on SIGPIPE).
    if stream is None:
        return
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # no descriptor (a StringIO), or closed
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _can_encode(text: str, stream: TextIO) -> bool:
    try:
        text.encode(stream.encoding or "utf-8")
    except UnicodeEncodeError:
        return False
    return True
