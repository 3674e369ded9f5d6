"""Coverage-guided fuzz target (atheris/libFuzzer) for closeframe's wire parsers.

Run from the repository root::

    python fuzz/fuzz_close.py                       # ~60 s from the seed corpus
    python fuzz/fuzz_close.py -max_total_time=3600  # longer (libFuzzer flags)
    python fuzz/fuzz_close.py fuzz/artifacts/crash-<sha1>   # reproduce a crash

Input layout: the first byte selects what runs, the rest is the data.

- bits 0-1: the entry point: 0 and 3 ``parse_close_payload``,
  1 ``decode_close_frame``, 2 ``read_close_frame`` (checked against
  ``decode_close_frame`` and fed every shorter prefix);
- bits 2-3: the ``masked=`` expectation for frames: 0 and 3 ``None``,
  1 ``True``, 2 ``False``;
- bits 4-6: how the data is passed: 0 and 7 ``bytes``, 1 ``bytearray``,
  2 ``memoryview``, 3 a strided ``memoryview`` (every other byte of a
  larger buffer), 4 a ``memoryview`` of 2-byte items, 5 a 2-D
  ``memoryview``, 6 a strided ``memoryview`` of 2-byte items (4 and 6 fall
  back to 2 for an odd length);
- bit 7: ignored.

An input fails (atheris reports a crash) when closeframe raises anything but
a ``CloseFrameError``; when an error's ``close_code`` is not 1002 or 1007
(1007 exactly for invalid UTF-8), or its message cannot be built; when an
accepted payload or frame does not serialize back to the same bytes (a masked
frame with the key it carried); when the verdict differs from the reference
reading of RFC 6455 below; when the caller's buffer is modified; and when
``read_close_frame`` disagrees with ``decode_close_frame``.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable

try:
    import atheris
except ImportError:
    sys.exit(
        "fuzz_close.py: atheris is not installed; install it with"
        " `python -m pip install atheris` (see fuzz/README.md)"
    )

with atheris.instrument_imports(include=["closeframe"]):
    import closeframe
    from closeframe import Close, CloseFrameError, IncompleteFrameError, InvalidReasonError

HERE = os.path.dirname(os.path.abspath(__file__))
SEED_CORPUS = os.path.join(HERE, "corpus")
WORK_CORPUS = os.path.join(HERE, "work-corpus")  # new inputs land here (git-ignored)
ARTIFACTS = os.path.join(HERE, "artifacts")  # crash-*, timeout-* (git-ignored)
DEFAULT_FLAGS = ("-max_total_time=60", "-max_len=256", "-timeout=10")

Buffer = bytes | bytearray | memoryview
# A payload or frame verdict: the accepted (code, reason), or the error class.
Verdict = tuple[int, str] | type[CloseFrameError]

# RFC 6455 §7.4 and the IANA registry, written out independently of the codec.
SENDABLE = frozenset({1000, 1001, 1002, 1003, *range(1007, 1015), *range(3000, 5000)})


class CodecBugError(Exception):
    """closeframe broke one of the properties this target checks."""


def _fail(what: str, data: bytes, actual: object, expected: object) -> CodecBugError:
    return CodecBugError(
        f"{what}\n  input:    {data.hex()}\n  actual:   {actual!r}\n  expected: {expected!r}"
    )


def _wrap(data: bytes, kind: int) -> Buffer:
    """The same bytes in another buffer type (multi-byte items need an even length)."""
    if kind == 1:
        return bytearray(data)
    if kind == 2:
        return memoryview(data)
    if kind == 3:
        # Every other byte of a buffer twice as long: a non-contiguous view.
        spread = bytearray(2 * len(data))
        spread[::2] = data
        return memoryview(spread)[::2]
    if kind in (4, 6) and len(data) % 2:
        return memoryview(data)
    if kind == 4:
        return memoryview(data).cast("H")  # 2-byte items
    if kind == 5:
        # Two dimensions, C-contiguous: (2, n/2), or (1, n) for an odd length.
        if not data:
            return memoryview(data)
        rows = 1 + (len(data) % 2 == 0)
        return memoryview(data).cast("B", (rows, len(data) // rows))
    if kind == 6:
        # 2-byte items, every other one of a buffer twice as long: strided, multi-byte.
        spread = bytearray(2 * len(data))
        for i in range(0, len(data), 2):
            spread[2 * i : 2 * i + 2] = data[i : i + 2]
        return memoryview(spread).cast("H")[::2]
    return data


# --- the reference reading of RFC 6455 -----------------------------------------


def _expected_payload(data: bytes) -> Verdict:
    if not data:
        return (1005, "")
    if len(data) > 125:
        return closeframe.PayloadTooLongError
    if len(data) == 1:
        return closeframe.TruncatedPayloadError
    code = int.from_bytes(data[:2], "big")
    if code not in SENDABLE:
        if code in (1005, 1006, 1015):
            return closeframe.ProtocolOnlyCodeError
        return closeframe.InvalidCodeError
    try:
        return (code, data[2:].decode("utf-8", "strict"))
    except UnicodeDecodeError:
        return InvalidReasonError


def _expected_frame(data: bytes, masked: bool | None) -> Verdict:
    if len(data) < 2:
        return IncompleteFrameError
    first, second = data[0], data[1]
    if first & 0x0F != 0x8:
        return closeframe.NotACloseFrameError
    if not first & 0x80:
        return closeframe.FragmentedControlFrameError
    if first & 0x70:
        return closeframe.ReservedBitsError
    is_masked = bool(second & 0x80)
    if masked is not None and masked != is_masked:
        return closeframe.MaskMismatchError
    length = second & 0x7F
    if length > 125:
        return closeframe.ControlFrameTooLongError
    offset = 6 if is_masked else 2
    if len(data) < offset + length:
        return IncompleteFrameError
    if len(data) > offset + length:
        return closeframe.TrailingBytesError
    payload = data[offset:]
    if is_masked:
        payload = bytes(byte ^ data[2 + i % 4] for i, byte in enumerate(payload))
    return _expected_payload(payload)


# --- calling the codec -----------------------------------------------------------


def _check_error(exc: CloseFrameError, data: bytes) -> None:
    code = exc.close_code
    want = 1007 if isinstance(exc, InvalidReasonError) else 1002
    if code != want or code not in (1002, 1007):
        raise _fail(f"{type(exc).__name__}.close_code", data, code, want)
    message = str(exc)  # the messages are built lazily: build it here
    if not isinstance(message, str) or not message:
        raise _fail(f"str({type(exc).__name__})", data, message, "a non-empty message")


def _call(
    function: Callable[..., Close], data: bytes, kind: int, **kwargs: bool | None
) -> Close | CloseFrameError:
    """Call a parser; return its Close or its CloseFrameError, raise anything else."""
    buffer = _wrap(data, kind)
    result: Close | CloseFrameError
    try:
        result = function(buffer, **kwargs)
    except CloseFrameError as exc:
        _check_error(exc, data)
        result = exc
    if bytes(buffer) != data:
        raise _fail("the caller's buffer was modified", data, bytes(buffer), data)
    return result


def _check_close(result: Close, data: bytes) -> None:
    if type(result) is not Close or type(result.reason) is not str:
        raise _fail("result type", data, result, "a Close with a str reason")


def _compare(what: str, data: bytes, result: Close | CloseFrameError, expected: Verdict) -> None:
    if isinstance(expected, tuple):
        if isinstance(result, CloseFrameError) or tuple(result) != expected:
            raise _fail(what, data, result, expected)
    elif type(result) is not expected:
        raise _fail(what, data, result, expected.__name__)


def _fuzz_payload(data: bytes, kind: int) -> None:
    result = _call(closeframe.parse_close_payload, data, kind)
    _compare("parse_close_payload verdict", data, result, _expected_payload(data))
    if isinstance(result, Close):
        _check_close(result, data)
        again = closeframe.serialize_close_payload(*result)
        if again != data:
            raise _fail("payload round trip", data, again, data)


def _fuzz_decode(data: bytes, kind: int, masked: bool | None) -> Close | CloseFrameError:
    result = _call(closeframe.decode_close_frame, data, kind, masked=masked)
    _compare(
        f"decode_close_frame(masked={masked}) verdict", data, result, _expected_frame(data, masked)
    )
    if isinstance(result, Close):
        _check_close(result, data)
        key = data[2:6] if data[1] & 0x80 else None
        again = closeframe.encode_close_frame(result, mask_key=key)
        if again != data:
            raise _fail("frame round trip", data, again, data)
    return result


def _fuzz_read(data: bytes, kind: int, masked: bool | None) -> None:
    result = _read(data, kind, masked)
    decoded = _fuzz_decode(data, kind, masked)
    if isinstance(result, CloseFrameError):
        # The same frame, cut where its header says it ends, must fail alike.
        end = (6 if data[1] & 0x80 else 2) + (data[1] & 0x7F) if len(data) >= 2 else len(data)
        alone = _fuzz_decode(data[:end], kind, masked)
        if type(alone) is not type(result):
            raise _fail("read_close_frame error vs decode_close_frame", data, result, alone)
        return
    close, count = result
    if close is None:
        # Incomplete: decode must say so too, asking for the same count.
        if not isinstance(decoded, IncompleteFrameError) or decoded.needed != count:
            raise _fail(
                "read_close_frame (None, need) vs decode_close_frame", data, result, decoded
            )
        return
    if count < len(data):
        # Bytes after the frame: decode refuses exactly those.
        if not isinstance(decoded, closeframe.TrailingBytesError) or decoded.extra != (
            len(data) - count
        ):
            raise _fail(
                "decode_close_frame of a frame with trailing bytes",
                data,
                decoded,
                f"TrailingBytesError({len(data) - count})",
            )
    elif decoded != close:
        raise _fail("read_close_frame vs decode_close_frame", data, close, decoded)
    alone = _fuzz_decode(data[:count], kind, masked)
    if alone != close:
        raise _fail("read_close_frame vs decode_close_frame of its prefix", data, close, alone)
    # Streaming: every shorter prefix asks for more, never past the frame's end.
    for cut in range(count):
        partial = _read(data[:cut], kind, masked)
        if isinstance(partial, CloseFrameError) or partial[0] is not None:
            raise _fail(f"read_close_frame of the first {cut} bytes", data, partial, "(None, n)")
        if not 0 < partial[1] <= count - cut:
            raise _fail(
                f"read_close_frame need after {cut} bytes", data, partial[1], f"1-{count - cut}"
            )


def _read(
    data: bytes, kind: int, masked: bool | None
) -> tuple[Close | None, int] | CloseFrameError:
    buffer = _wrap(data, kind)
    try:
        close, count = closeframe.read_close_frame(buffer, masked=masked)
    except CloseFrameError as exc:
        _check_error(exc, data)
        return exc
    if bytes(buffer) != data:
        raise _fail("the caller's buffer was modified", data, bytes(buffer), data)
    if close is None:
        if count <= 0:
            raise _fail("read_close_frame need", data, count, "> 0")
    else:
        _check_close(close, data)
        if not 2 <= count <= len(data):
            raise _fail("read_close_frame consumed", data, count, f"2-{len(data)}")
    return close, count


def test_one_input(raw: bytes) -> None:
    """The atheris entry point: see the module docstring for the input layout."""
    if not raw:
        return
    selector, data = raw[0], raw[1:]
    entry = selector & 0x03
    masked = (None, True, False, None)[selector >> 2 & 0x03]
    kind = selector >> 4 & 0x07
    if entry == 1:
        _fuzz_decode(data, kind, masked)
    elif entry == 2:
        _fuzz_read(data, kind, masked)
    else:
        _fuzz_payload(data, kind)


def libfuzzer_argv(argv: list[str]) -> list[str]:
    """libFuzzer's command line: the defaults, then the caller's flags and files."""
    flags = [arg for arg in argv[1:] if arg.startswith("-")]
    paths = [arg for arg in argv[1:] if not arg.startswith("-")]
    given = {flag.split("=", 1)[0] for flag in flags}
    defaults = [flag for flag in DEFAULT_FLAGS if flag.split("=", 1)[0] not in given]
    if "-artifact_prefix" not in given:
        os.makedirs(ARTIFACTS, exist_ok=True)
        defaults.append(f"-artifact_prefix={ARTIFACTS}{os.sep}")
    if not paths:
        # New inputs go to the first directory: keep the committed seeds clean.
        os.makedirs(WORK_CORPUS, exist_ok=True)
        paths = [WORK_CORPUS, SEED_CORPUS]
    # -jobs/-fork re-run argv[0] through the shell: make it "python script".
    program = f"{shlex.quote(sys.executable)} {shlex.quote(os.path.abspath(argv[0]))}"
    return [program, *defaults, *flags, *paths]


def main() -> None:
    """Fuzz with libFuzzer's flags from the command line (defaults: ~60 s, the seeds)."""
    atheris.Setup(libfuzzer_argv(sys.argv), test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
