"""The ``closeframe`` command: in process through ``main``, then as a user runs it."""

from __future__ import annotations

import errno
import io
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import closeframe
import closeframe.browser
from closeframe import (
    CloseCode,
    CloseEvent,
    CloseFrameError,
    decode_close_frame,
    parse_close_payload,
)
from closeframe.browser import ENGINES, STRICT, BrowserOutcome
from closeframe.cli import main

# Written out here, independently of the registry under test.
REGISTERED = {
    1000: "NORMAL_CLOSURE",
    1001: "GOING_AWAY",
    1002: "PROTOCOL_ERROR",
    1003: "UNSUPPORTED_DATA",
    1005: "NO_STATUS_RCVD",
    1006: "ABNORMAL_CLOSURE",
    1007: "INVALID_FRAME_PAYLOAD_DATA",
    1008: "POLICY_VIOLATION",
    1009: "MESSAGE_TOO_BIG",
    1010: "MANDATORY_EXTENSION",
    1011: "INTERNAL_ERROR",
    1012: "SERVICE_RESTART",
    1013: "TRY_AGAIN_LATER",
    1014: "BAD_GATEWAY",
    1015: "TLS_HANDSHAKE",
}
NEVER_ON_WIRE = {1005, 1006, 1015}

# --json: the same keys in every case, command by command.
DECODE_KEYS = [
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
]
DECODE_KEYS_VALID = set(DECODE_KEYS)
ENCODE_KEYS = ["valid", "error", "payload", "frame", "mask_key"]
CODE_KEYS = [
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
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    status, out, err = run(capsys, *argv, "--json")
    assert err == ""
    assert out.endswith("\n")
    assert out.count("\n") == 1  # one JSON object on one line
    result = json.loads(out)
    assert isinstance(result, dict)
    command = argv[0]
    if command == "decode" and not {"--browsers", "--stream"} & set(argv):
        assert list(result) == DECODE_KEYS
    elif command == "encode":
        assert list(result) == ENCODE_KEYS
    elif command == "explain":
        assert list(result) == CODE_KEYS
    elif command == "codes":
        assert all(list(row) == CODE_KEYS for row in result["codes"])
    return status, result


def assert_usage_error(status: int, out: str, err: str) -> None:
    assert status == 2
    assert out == ""
    assert err.startswith("closeframe: error:")
    assert err.endswith("\n")
    assert err.count("\n") == 1


# --- decode ------------------------------------------------------------------------


def test_decode_valid(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "decode", "03e8627965")
    assert status == 0
    assert err == ""
    lines = out.splitlines()
    assert lines == [
        "code:    1000 NORMAL_CLOSURE (normal closure)",
        "reason:  'bye'",
        "valid:   yes, this payload may appear on the wire",
    ]


def test_decode_valid_without_reason(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "decode", "0fa1")
    assert status == 0
    assert err == ""
    assert "4001 (private use)" in out
    assert "reason:  ''" in out
    assert "valid:   yes" in out


def test_decode_empty(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "decode", "")
    assert status == 0
    assert err == ""
    assert out.splitlines()[0] == (
        "code:    1005 NO_STATUS_RCVD (no status received): the frame carried no status code"
    )
    assert "valid:   yes" in out


@pytest.mark.parametrize(
    "words",
    [
        ["03e8", "6279", "65"],
        ["03 e8 62 79 65"],
        ["0x03", "0xe8", "0x62", "0x79", "0x65"],
        ["0X03E8", "0x627965"],
        ["03:e8:62:79:65"],
        ["0x03:e8", "62:79:65"],
        ["  03e8\t62\n7965 "],
        ["03E8627965"],
    ],
)
def test_decode_hex_spellings(capsys: pytest.CaptureFixture[str], words: list[str]) -> None:
    status, result = run_json(capsys, "decode", *words)
    assert status == 0
    assert result["payload"] == "03e8627965"
    assert result["reason"] == "bye"
    assert result["code"] == 1000


def test_decode_valid_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(capsys, "decode", "03e9", "e282ac")
    assert status == 0
    assert set(result) == DECODE_KEYS_VALID
    assert result["payload"] == "03e9e282ac"
    assert result["length"] == 5
    assert result["code"] == 1001
    assert result["name"] == "GOING_AWAY"
    assert result["description"] == "1001 GOING_AWAY (going away)"
    assert result["range"] == "REGISTERED"
    assert result["sendable"] is True
    assert result["reason"] == "€"
    assert result["valid"] is True
    assert result["error"] is None
    assert result["close_code"] is None
    assert (result["frame"], result["masked"], result["mask_key"]) == (None, None, None)


def test_decode_empty_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(capsys, "decode", "")
    assert status == 0
    assert result["payload"] == ""
    assert result["length"] == 0
    assert result["code"] == 1005
    assert result["name"] == "NO_STATUS_RCVD"
    assert result["sendable"] is False
    assert result["reason"] == ""
    assert result["valid"] is True


def test_decode_unregistered_code_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(capsys, "decode", "1388")  # 5000
    assert status == 1
    assert result["code"] == 5000
    assert result["name"] is None
    assert result["range"] == "OUT_OF_RANGE"
    assert result["sendable"] is False
    assert result["valid"] is False
    assert result["close_code"] == 1002


@pytest.mark.parametrize(
    ("hex_payload", "code"),
    [("03ed", 1005), ("03ee", 1006), ("03f7", 1015), ("03ec", 1004), ("0000", 0), ("03e7", 999)],
)
def test_decode_invalid_code(
    capsys: pytest.CaptureFixture[str], hex_payload: str, code: int
) -> None:
    status, out, err = run(capsys, "decode", hex_payload)
    assert status == 1
    assert err == ""  # the decoded fields are the output, valid or not
    lines = out.splitlines()
    assert lines[0].startswith(f"code:    {code}")
    assert lines[1].startswith("valid:   no: ")
    assert lines[2] == (
        "answer:  a strict peer fails the connection with 1002 PROTOCOL_ERROR (protocol error)"
    )


def test_decode_invalid_code_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(capsys, "decode", "03ee", "6279")
    assert status == 1
    assert result["reason"] is None
    assert result["payload"] == "03ee6279"
    assert result["length"] == 4
    assert result["code"] == 1006
    assert result["name"] == "ABNORMAL_CLOSURE"
    assert result["range"] == "REGISTERED"
    assert result["sendable"] is False
    assert result["valid"] is False
    assert "1006" in result["error"]
    assert result["close_code"] == 1002


def test_decode_one_byte(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "decode", "03")
    assert status == 1
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == 2  # no code line: there is no whole code
    assert lines[0].startswith("valid:   no: close payload is 1 byte")
    assert lines[1].endswith("1002 PROTOCOL_ERROR (protocol error)")


def test_decode_one_byte_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(capsys, "decode", "0x03")
    assert status == 1
    assert result == {
        **dict.fromkeys(DECODE_KEYS),
        "payload": "03",
        "length": 1,
        "valid": False,
        "error": "close payload is 1 byte; a status code needs 2 (or send none)",
        "close_code": 1002,
    }


def test_decode_invalid_utf8(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "decode", "03e8 62 ff")
    assert status == 1
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == "code:    1000 NORMAL_CLOSURE (normal closure)"
    assert lines[1].startswith("valid:   no: close reason is not valid UTF-8")
    assert lines[2] == (
        "answer:  a strict peer fails the connection with"
        " 1007 INVALID_FRAME_PAYLOAD_DATA (invalid payload data)"
    )


def test_decode_invalid_utf8_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(capsys, "decode", "03e8eda080")  # an encoded surrogate
    assert status == 1
    assert result["code"] == 1000
    assert result["name"] == "NORMAL_CLOSURE"
    assert result["sendable"] is True
    assert result["valid"] is False
    assert "UTF-8" in result["error"]
    assert result["close_code"] == 1007


def test_decode_too_long(capsys: pytest.CaptureFixture[str]) -> None:
    payload = "03e8" + "61" * 124  # 126 bytes
    status, out, err = run(capsys, "decode", payload)
    assert status == 1
    assert err == ""
    assert "code:    1000" in out
    assert "126 bytes" in out
    assert "1002 PROTOCOL_ERROR" in out


def test_decode_too_long_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(capsys, "decode", "03e8" + "61" * 124)
    assert status == 1
    assert result["length"] == 126
    assert result["code"] == 1000
    assert result["valid"] is False
    assert result["close_code"] == 1002


def test_decode_longest_valid(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(capsys, "decode", "03e8" + "61" * 123)
    assert status == 0
    assert result["length"] == 125
    assert result["reason"] == "a" * 123


@pytest.mark.parametrize(
    ("words", "token"),
    [
        (["3e8"], "3e8"),
        (["03e8", "6"], "6"),
        (["0x3", "0xe8"], "0x3"),  # each token is whole bytes: not 03 e8
        (["03:e"], "03:e"),
    ],
)
def test_decode_odd_hex(capsys: pytest.CaptureFixture[str], words: list[str], token: str) -> None:
    status, out, err = run(capsys, "decode", *words)
    assert_usage_error(status, out, err)
    assert err == (
        f"closeframe: error: not whole bytes in hex: {token!r} has an odd number of digits\n"
    )


@pytest.mark.parametrize(
    ("words", "token"),
    [
        (["zz"], "zz"),
        (["0x0x03"], "0x0x03"),
        (["03e8", "g1"], "g1"),
        (["03-e8"], "03-e8"),
        (["03:0xe8"], "03:0xe8"),
        (["03e8", "zzz"], "zzz"),  # odd and not hex: not hex is what matters
        (["bye"], "bye"),
    ],
)
def test_decode_not_hex(capsys: pytest.CaptureFixture[str], words: list[str], token: str) -> None:
    status, out, err = run(capsys, "decode", *words)
    assert_usage_error(status, out, err)
    assert err == f"closeframe: error: not hex: {token!r}\n"
    assert "whole bytes" not in err


def test_decode_not_hex_long_word_is_shortened(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "decode", "q" * 1000)
    assert_usage_error(status, out, err)
    assert err == "closeframe: error: not hex: " + repr("q" * 37) + "...\n"


def test_decode_bad_hex_json_is_still_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "decode", "zz", "--json")
    assert_usage_error(status, out, err)


# --- encode ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "hex_payload"),
    [
        (["1000", "bye"], "03e8627965"),
        (["1000"], "03e8"),
        (["1000", ""], "03e8"),
        (["4999", "€"], "1387e282ac"),
        (["3000"], "0bb8"),
        (["1005"], ""),
    ],
)
def test_encode_valid(
    capsys: pytest.CaptureFixture[str], argv: list[str], hex_payload: str
) -> None:
    status, out, err = run(capsys, "encode", *argv)
    assert status == 0
    assert err == ""
    assert out == hex_payload + "\n"
    status, result = run_json(capsys, "encode", *argv)
    assert status == 0
    assert result == {**dict.fromkeys(ENCODE_KEYS), "valid": True, "payload": hex_payload}


def test_encode_truncate(capsys: pytest.CaptureFixture[str]) -> None:
    reason = "a" * 122 + "€"  # 125 bytes: the euro sign straddles the limit
    status, out, err = run(capsys, "encode", "1000", reason, "--truncate")
    assert status == 0
    assert err == ""
    assert out == "03e8" + "61" * 122 + "\n"
    status, result = run_json(capsys, "encode", "--truncate", "1000", "b" * 200)
    assert status == 0
    assert result["payload"] == "03e8" + "62" * 123


def test_encode_too_long_without_truncate(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "encode", "1000", "a" * 124)
    assert status == 1
    assert out == ""
    # The codec words it (in bytes, or in characters when it need not encode
    # the reason to know); the command passes it on, on one line.
    assert err.startswith("error: close reason is 124 ")
    assert "123" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("1006", "local condition"),
        ("1015", "local condition"),
        ("1004", "allowed"),
        ("2000", "CloseCodec"),
        ("999", "allowed"),
        ("5000", "allowed"),
        ("70000", "allowed"),
    ],
)
def test_encode_invalid(capsys: pytest.CaptureFixture[str], code: str, fragment: str) -> None:
    status, out, err = run(capsys, "encode", code, "x")
    assert status == 1
    assert out == ""
    assert err.startswith(f"error: close code {code} cannot be sent")
    assert fragment in err
    assert err.count("\n") == 1


def test_encode_invalid_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(capsys, "encode", "1006")
    assert status == 1
    assert result["valid"] is False
    assert (result["payload"], result["frame"], result["mask_key"]) == (None, None, None)
    assert result["error"].startswith("close code 1006 cannot be sent")


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        # What an argv byte that is not UTF-8 becomes on POSIX (surrogateescape).
        ("a\udcff", "byte 0xff at byte 1 of the reason"),
        ("\u20ac\udc80x", "byte 0x80 at byte 3 of the reason"),
        # A surrogate no shell gives (only a caller of main() can).
        ("ab\ud800", "U+D800 at byte 2 of the reason"),
    ],
)
def test_encode_reason_not_utf8(
    capsys: pytest.CaptureFixture[str], reason: str, message: str
) -> None:
    status, out, err = run(capsys, "encode", "1000", reason)
    assert status == 1
    assert out == ""
    assert err == f"error: close reason is not valid UTF-8 text: {message}\n"
    assert "surrogate" not in err
    status, result = run_json(capsys, "encode", "1000", reason)
    assert result["error"] == f"close reason is not valid UTF-8 text: {message}"


def test_encode_reason_not_utf8_as_run(tmp_path: Path) -> None:
    # The shell's $'\xff': a byte that is not UTF-8, in argv.
    proc = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"closeframe", b"encode", b"1000", b"ok\xff"],
        capture_output=True,
        env=module_env(),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert (
        proc.stderr
        == b"error: close reason is not valid UTF-8 text: byte 0xff at byte 2 of the reason\n"
    )


@pytest.mark.parametrize("code", ["bye", "", "0x", "NORMAL", "1000.0"])
@pytest.mark.parametrize("command", ["encode", "explain"])
def test_code_not_a_code(capsys: pytest.CaptureFixture[str], command: str, code: str) -> None:
    status, out, err = run(capsys, command, code)
    assert_usage_error(status, out, err)
    assert f"argument code: not a close code: {code!r}" in err
    assert "NORMAL_CLOSURE" in err  # how to spell one


# Every spelling of a code, each with its value, from CloseCode itself.
CODE_SPELLINGS = [
    ("1000", 1000),
    ("0x3e8", 1000),
    ("0X3E8", 1000),
    ("01000", 1000),
    ("0o1750", 1000),
    ("1_000", 1000),
    (" 1001 ", 1001),
    ("4000", 4000),
    ("0xfa0", 4000),
    ("CloseCode.GOING_AWAY", 1001),
    *[(name, int(code)) for name, code in CloseCode.__members__.items()],
    *[(name.lower(), int(code)) for name, code in CloseCode.__members__.items()],
    ("Close_Normal", 1000),
    ("tls_handshake_failed", 1015),
]


def test_code_spellings_cover_every_alias() -> None:
    names = {spelling for spelling, _ in CODE_SPELLINGS}
    assert {"CLOSE_NORMAL", "NORMAL_CLOSURE", "CLOSE_TOO_LARGE", "MANDATORY_EXT"} <= names
    assert set(CloseCode.__members__) <= names


@pytest.mark.parametrize(("spelling", "value"), CODE_SPELLINGS)
def test_code_spellings(capsys: pytest.CaptureFixture[str], spelling: str, value: int) -> None:
    status, result = run_json(capsys, "explain", spelling)
    assert status == 0
    assert result["code"] == value
    status, result = run_json(capsys, "encode", spelling)
    if value in {1006, 1015}:
        assert status == 1
        assert result["error"].startswith(f"close code {value} cannot be sent")
    else:
        assert status == 0
        # 1005 is sent as an empty payload.
        assert result["payload"] == ("" if value == 1005 else f"{value:04x}")


def test_code_spellings_as_run(tmp_path: Path) -> None:
    proc = run_module("encode", "close_normal", "bye", cwd=str(tmp_path))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "03e8627965\n", "")
    proc = run_module("explain", "0x3f7", cwd=str(tmp_path))
    assert proc.returncode == 0
    assert proc.stdout.startswith("1015 TLS_HANDSHAKE")
    proc = run_module("encode", "bye", cwd=str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.startswith("closeframe: error: argument code: not a close code: 'bye'")


def test_encode_too_long_names_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    for reason in ["a" * 124, "\u20ac" * 42, "a" * 500]:
        status, _, err = run(capsys, "encode", "1000", reason)
        assert status == 1
        assert "(pass --truncate to cut it at a character boundary)" in err
        assert "truncate=True" not in err
        status, result = run_json(capsys, "encode", "1000", reason)
        assert "truncate=True" not in result["error"]
        assert "--truncate" in result["error"]


# --- explain -----------------------------------------------------------------------


def test_explain_registered(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "explain", "1000")
    assert status == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == "1000 NORMAL_CLOSURE (normal closure)"
    assert lines[1] == "range:    registered protocol code"
    assert lines[2].startswith("meaning:  normal closure")
    assert lines[3] == "sent by:  either endpoint"
    assert lines[4].startswith("source:   RFC 6455")
    assert lines[5] == "on wire:  allowed"
    assert len(lines) == 6


def test_explain_registered_never_on_wire(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "explain", "1006")
    assert status == 0
    assert "1006 ABNORMAL_CLOSURE" in out
    assert "sent by:  nobody" in out
    assert out.splitlines()[-1] == "on wire:  never valid"


def test_explain_registered_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(capsys, "explain", "1009")
    assert status == 0
    assert result["code"] == 1009
    assert result["name"] == "MESSAGE_TOO_BIG"
    assert result["description"] == "1009 MESSAGE_TOO_BIG (message too big)"
    assert result["range"] == "REGISTERED"
    assert result["sendable"] is True
    assert result["iana_name"] == "Message Too Big"
    assert result["mdn_name"] == "CLOSE_TOO_LARGE"
    assert result["meaning"].startswith("message too big")
    assert result["reference"].startswith("RFC 6455")
    assert result["sender"] == "EITHER"
    assert result["normal"] is False


def test_explain_1010_is_client_only(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(capsys, "explain", "1010")
    assert status == 0
    assert result["sender"] == "CLIENT"
    assert result["mdn_name"] is None


@pytest.mark.parametrize(
    ("code", "label", "range_name", "sendable"),
    [
        ("4001", "private use", "PRIVATE", True),
        ("3000", "library/framework code", "LIBRARY", True),
        ("2000", "reserved, unassigned", "RESERVED", False),
        ("1004", "reserved, unassigned", "RESERVED", False),
        ("999", "not used", "UNUSED", False),
        ("0", "not used", "UNUSED", False),
        ("65535", "out of range", "OUT_OF_RANGE", False),
    ],
)
def test_explain_unregistered(
    capsys: pytest.CaptureFixture[str], code: str, label: str, range_name: str, sendable: bool
) -> None:
    status, out, err = run(capsys, "explain", code)
    assert status == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == f"{code} ({label})"
    assert lines[1].startswith("range:    ")
    assert not any(line.startswith(("meaning:", "sent by:", "source:")) for line in lines)
    assert lines[-1] == f"on wire:  {'allowed' if sendable else 'never valid'}"
    assert len(lines) == 3
    status, result = run_json(capsys, "explain", code)
    assert status == 0
    assert result == {
        **dict.fromkeys(CODE_KEYS),
        "code": int(code),
        "name": None,
        "description": f"{code} ({label})",
        "range": range_name,
        "sendable": sendable,
    }


@pytest.mark.parametrize("code", ["70000", "65536", "-1"])
def test_explain_out_of_range(capsys: pytest.CaptureFixture[str], code: str) -> None:
    status, out, err = run(capsys, "explain", code)
    assert_usage_error(status, out, err)
    assert f"a close code is 0-65535, got {code}" in err


def test_explain_not_a_number(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "explain", "abc")
    assert_usage_error(status, out, err)
    assert "'abc'" in err


# --- codes -------------------------------------------------------------------------


def test_codes_text(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "codes")
    assert status == 0
    assert err == ""
    lines = out.splitlines()
    assert [int(line.split()[0]) for line in lines] == sorted(REGISTERED)
    for line in lines:
        code = int(line.split()[0])
        assert line.split()[1] == REGISTERED[code]
        wire = "never on the wire" if code in NEVER_ON_WIRE else "sendable"
        assert line.endswith(wire)
    assert "1004" not in out


def test_codes_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(capsys, "codes")
    assert status == 0
    assert set(result) == {"codes"}
    rows = result["codes"]
    assert [row["code"] for row in rows] == sorted(REGISTERED)
    for row in rows:
        code = row["code"]
        assert row["name"] == REGISTERED[code]
        assert row["range"] == "REGISTERED"
        assert row["sendable"] is (code not in NEVER_ON_WIRE)
        assert row["description"].startswith(f"{code} {REGISTERED[code]} (")
        assert isinstance(row["iana_name"], str)
        assert row["iana_name"]
        assert row["mdn_name"] is None or row["mdn_name"].startswith("CLOSE_")
        assert row["sender"] in {"EITHER", "CLIENT", "NOBODY"}
        assert (row["sender"] == "NOBODY") is (code in NEVER_ON_WIRE)


def test_codes_cover_the_enum(capsys: pytest.CaptureFixture[str]) -> None:
    _, result = run_json(capsys, "codes")
    assert {row["code"] for row in result["codes"]} == {int(member) for member in CloseCode}


# --- usage errors, version -----------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--bogus"],
        ["bogus"],
        ["decode", "--bogus", "03e8"],
        ["encode"],
        ["encode", "1000", "bye", "extra"],
        ["explain"],
        ["codes", "extra"],
        ["--json", "codes"],
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    status, out, err = run(capsys, *argv)
    assert_usage_error(status, out, err)


COMMAND_LINES = {
    "decode": "decode a close payload or frame: is it valid, what does it say?",
    "encode": "encode a code and reason as a close payload or frame, in hex",
    "explain": "explain any close code 0-65535: range, meaning, sender",
    "codes": "list the registered close codes",
    "probe": "test a live WebSocket server's close handling",
}


def assert_command_list(text: str) -> None:
    lines = [line.split(None, 1) for line in text.splitlines() if line.startswith("    ")]
    assert {words[0]: words[1] for words in lines if words[0] in COMMAND_LINES} == COMMAND_LINES


def test_no_command_prints_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys)
    assert (status, out) == (2, "")
    assert err.startswith("usage: closeframe ")
    assert_command_list(err)
    assert "closeframe COMMAND --help" in err


def test_decode_without_bytes_prints_its_usage(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["decode"], ["decode", "--frame"], ["decode", "--json"]):
        status, out, err = run(capsys, *argv)
        assert (status, out) == (2, "")
        assert err.startswith("usage: closeframe decode ")
        for option in ("--file", "--stream", "--frame", "--browsers", "--json"):
            assert option in err
        assert err.splitlines()[-1] == (
            "closeframe: error: decode needs bytes: hex words, - to read hex from stdin,"
            " or --file PATH"
        )


@pytest.mark.parametrize("argv", [[], ["decode"]])
def test_usage_without_arguments_as_run(argv: list[str], tmp_path: Path) -> None:
    proc = run_module(*argv, cwd=str(tmp_path))
    assert (proc.returncode, proc.stdout) == (2, "")
    assert_no_traceback(proc.stderr)
    assert proc.stderr.startswith("usage: closeframe")
    if not argv:
        assert_command_list(proc.stderr)


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert_command_list(capsys.readouterr().out)


def test_unknown_option_message(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "decode", "03e8", "--bogus")
    assert_usage_error(status, out, err)
    assert "--bogus" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    version, implementation = closeframe.__version__, closeframe.IMPLEMENTATION
    assert capsys.readouterr().out == f"closeframe {version} ({implementation} implementation)\n"


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("decode", "encode", "explain", "codes"):
        assert command in out


def test_argv_defaults_to_sys_argv(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["closeframe", "encode", "1001"])
    assert main() == 0
    assert capsys.readouterr().out == "03e9\n"


# --- a stdout that cannot encode everything --------------------------------------


def ascii_stdout(monkeypatch: pytest.MonkeyPatch) -> io.BytesIO:
    # What PYTHONIOENCODING=ascii, or a Windows pipe in a legacy code page, gives.
    raw = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(raw, encoding="ascii", newline="\n"))
    return raw


def test_explain_on_an_ascii_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    # The registry's references contain "§": valid input must still exit 0.
    raw = ascii_stdout(monkeypatch)
    assert main(["explain", "1000"]) == 0
    sys.stdout.flush()
    assert "1000 NORMAL_CLOSURE" in raw.getvalue().decode("ascii")


def test_decode_json_on_an_ascii_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = ascii_stdout(monkeypatch)
    assert main(["decode", "--json", "03e8e282ac"]) == 0
    sys.stdout.flush()
    assert json.loads(raw.getvalue().decode("ascii"))["reason"] == "€"


# --- as a user runs it ---------------------------------------------------------------


def module_env() -> dict[str, str]:
    # Import closeframe the way this test process does: from src/ in a
    # checkout, from site-packages under tox.
    root = os.path.dirname(os.path.dirname(closeframe.__file__))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run_module(*argv: str, cwd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "closeframe", *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=module_env(),
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_python_m_decode_valid(tmp_path: Path) -> None:
    proc = run_module("decode", "03e8", "6279", "65", cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "1000" in proc.stdout
    assert "NORMAL_CLOSURE" in proc.stdout
    assert "bye" in proc.stdout


def test_python_m_decode_invalid(tmp_path: Path) -> None:
    proc = run_module("decode", "03ee", cwd=str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    assert "1006" in proc.stdout
    assert "valid:   no" in proc.stdout


def test_python_m_json_and_usage_error(tmp_path: Path) -> None:
    proc = run_module("decode", "--json", "0fa0e282ac", cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["code"] == 4000
    assert result["reason"] == "€"
    proc = run_module("decode", "zz", cwd=str(tmp_path))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("closeframe: error:")
    assert proc.stderr.count("\n") == 1


def test_python_m_imports_the_same_package(tmp_path: Path) -> None:
    code = "import closeframe; print(closeframe.__file__)"
    root = os.path.dirname(os.path.dirname(closeframe.__file__))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),
        timeout=60,
        check=True,
    )
    assert os.path.samefile(proc.stdout.strip(), closeframe.__file__)


def test_python_dash_m_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    # In-process, so that branch coverage sees __main__.py too.
    import runpy

    monkeypatch.setattr(sys, "argv", ["closeframe", "decode", "03e8"])
    with pytest.raises(SystemExit) as info:
        runpy.run_module("closeframe", run_name="__main__")
    assert info.value.code == 0


# --- whole frames --------------------------------------------------------------------

RFC_KEY = "37fa213d"
MASKED_BYE = "888537fa213d3412434452"  # 1000 "bye", masked with the key of RFC 6455 §5.7


def test_encode_frame_unmasked(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "encode", "1000", "bye", "--frame")
    assert (status, out, err) == (0, "880503e8627965\n", "")


def test_encode_frame_masked(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "encode", "1000", "bye", "--mask", RFC_KEY)
    assert (status, out, err) == (0, MASKED_BYE + "\n", "")
    status, result = run_json(capsys, "encode", "1000", "bye", "--mask", "0x" + RFC_KEY)
    assert status == 0
    assert result == {
        "valid": True,
        "error": None,
        "payload": "03e8627965",
        "frame": MASKED_BYE,
        "mask_key": RFC_KEY,
    }


def test_encode_frame_json_unmasked(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(capsys, "encode", "4000", "--frame")
    assert status == 0
    assert result["frame"] == "88020fa0"
    assert result["mask_key"] is None


@pytest.mark.parametrize("key", ["37fa", "37fa213d00", "zz"])
def test_encode_bad_mask_key(capsys: pytest.CaptureFixture[str], key: str) -> None:
    status, out, err = run(capsys, "encode", "1000", "--mask", key)
    assert_usage_error(status, out, err)


def test_encode_frame_refuses_what_the_payload_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "encode", "1006", "--frame")
    assert status == 1
    assert out == ""
    assert "1006" in err


def test_decode_masked_frame(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "decode", "--frame", MASKED_BYE)
    assert status == 0
    assert err == ""
    assert f"masked with key {RFC_KEY}" in out
    assert "1000 NORMAL_CLOSURE" in out
    assert "'bye'" in out
    status, result = run_json(capsys, "decode", "--frame", MASKED_BYE)
    assert status == 0
    assert result["masked"] is True
    assert result["mask_key"] == RFC_KEY
    assert result["payload"] == "03e8627965"
    assert result["code"] == 1000
    assert result["reason"] == "bye"


def test_decode_unmasked_frame(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(capsys, "decode", "--frame", "8800")
    assert status == 0
    assert result["masked"] is False
    assert result["mask_key"] is None
    assert result["code"] == 1005
    assert result["payload"] == ""


@pytest.mark.parametrize(
    ("frame", "close_code", "words"),
    [
        ("8100", 1002, "opcode"),
        ("0800", 1002, "FIN"),
        ("887e", 1002, "length field"),
        ("880503e862", 1002, "incomplete"),
        ("880303e8ff", 1007, "UTF-8"),
        ("880203ee", 1002, "local condition"),
    ],
)
def test_decode_invalid_frames(
    capsys: pytest.CaptureFixture[str], frame: str, close_code: int, words: str
) -> None:
    status, out, err = run(capsys, "decode", "--frame", frame)
    assert status == 1
    assert err == ""
    assert words in out
    assert f"fails the connection with {close_code}" in out
    status, result = run_json(capsys, "decode", "--frame", frame)
    assert status == 1
    assert result["valid"] is False
    assert result["close_code"] == close_code


# --- decode --browsers -------------------------------------------------------------

# The expected engine columns come from closeframe.browser itself, never from
# this file: the command must show its predictions, whatever they are.
POLICIES = ["strict", *ENGINES]
Outcome = tuple[bool, CloseEvent, "bytes | None"]


def strict_outcome(data: bytes, *, frame: bool) -> tuple[bool, Outcome]:
    """(valid, outcome) of a strict client: echo a valid close, fail an invalid one."""
    try:
        close = decode_close_frame(data) if frame else parse_close_payload(data)
    except CloseFrameError as exc:
        return False, (True, CloseEvent.abnormal(), exc.close_code.to_bytes(2, "big"))
    # An empty payload (read as 1005) is echoed empty.
    no_code = close.code == CloseCode.NO_STATUS_RCVD
    echo = b"" if no_code else close.code.to_bytes(2, "big") + close.reason.encode()
    return True, (False, CloseEvent.from_close(close, was_clean=True), echo)


def engine_outcome(name: str, data: bytes, *, frame: bool) -> BrowserOutcome:
    policy = ENGINES[name]
    return policy.receive(data) if frame else policy.outcome(data)


def differing(got: Outcome, want: Outcome) -> list[str]:
    fields = ["error_event", "close_event", "reply"]
    return [field for field, a, b in zip(fields, got, want, strict=True) if a != b]


def table_rows(out: str) -> dict[str, list[str]]:
    """Each policy's row, cut into its cells at the header's column starts."""
    lines = out.splitlines()
    header = lines[0]
    starts = [header.index(title) for title in ("error event", "close event", "reply")]
    bounds = [0, *starts, None]
    rows = {}
    for line in lines[1 : 1 + len(POLICIES)]:
        cells = [line[a:b].strip() for a, b in itertools.pairwise(bounds)]
        rows[cells[0]] = cells[1:]
    assert list(rows) == POLICIES
    return rows


def expected_cells(outcome: Outcome) -> list[str]:
    error_event, event, reply = outcome
    name = CloseCode(event.code).name if event.code in REGISTERED else None
    words = [str(int(event.code)), *([name] if name else []), repr(event.reason)]
    close = " ".join([*words, "clean" if event.was_clean else "unclean"])
    if reply is None:
        sent = "none"
    elif reply == b"":
        sent = "empty"
    else:
        code = int.from_bytes(reply[:2], "big")
        sent = f"{reply.hex()} ({code} {reply[2:].decode()!r})"
    return ["yes" if error_event else "no", close, sent]


def assert_browsers_text(
    capsys: pytest.CaptureFixture[str], hex_data: str, *, frame: bool = False
) -> str:
    data = bytes.fromhex(hex_data)
    valid, strict = strict_outcome(data, frame=frame)
    argv = ["decode", "--browsers", *(["--frame"] if frame else []), hex_data]
    status, out, err = run(capsys, *argv)
    assert status == (0 if valid else 1)
    assert err == ""
    rows = table_rows(out)
    assert rows["strict"] == expected_cells(strict)
    marked = False
    for name in ENGINES:
        outcome = engine_outcome(name, data, frame=frame)
        got: Outcome = (outcome.error_event, outcome.close_event, outcome.reply)
        cells = expected_cells(got)
        for index, field in enumerate(["error_event", "close_event", "reply"]):
            if field in differing(got, strict):
                cells[index] += " *"
                marked = True
        assert rows[name] == cells, name
        assert f"  {name:<10}{ENGINES[name].CHECKED_WITH}" in out.splitlines()
    assert ("* differs from the strict answer" in out.splitlines()) is marked
    assert "checked with:" in out.splitlines()
    # The strict verdict is decode's own, line for line.
    plain = ["decode", *(["--frame"] if frame else []), hex_data]
    main(plain)
    verdict = [
        line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith(("valid:", "answer:"))
    ]
    assert verdict
    assert all(line in out.splitlines() for line in verdict)
    return out


def assert_browsers_json(
    capsys: pytest.CaptureFixture[str], hex_data: str, *, frame: bool = False
) -> dict[str, Any]:
    data = bytes.fromhex(hex_data)
    valid, strict = strict_outcome(data, frame=frame)
    argv = ["decode", "--browsers", *(["--frame"] if frame else []), hex_data]
    status, result = run_json(capsys, *argv)
    assert status == (0 if valid else 1)
    assert set(result) == {"frame" if frame else "payload", "length", "strict", "engines"}
    assert result["frame" if frame else "payload"] == data.hex()
    assert result["length"] == len(data)
    assert result["strict"]["valid"] is valid
    assert (result["strict"]["close_code"] is None) is valid
    assert (result["strict"]["error"] is None) is valid
    assert_outcome_json(result["strict"], strict)
    if not frame:
        # The docs' reference column answers a payload alike.
        reference = STRICT.outcome(data)
        assert (reference.error_event, reference.close_event, reference.reply) == strict
    assert list(result["engines"]) == list(ENGINES)
    for name, fields in result["engines"].items():
        outcome = engine_outcome(name, data, frame=frame)
        got: Outcome = (outcome.error_event, outcome.close_event, outcome.reply)
        assert_outcome_json(fields, got)
        assert fields["differs"] == differing(got, strict)
        assert fields["uncertain"] == sorted(outcome.uncertain)
        assert fields["checked_with"] == ENGINES[name].CHECKED_WITH
    return result


def assert_outcome_json(fields: dict[str, Any], outcome: Outcome) -> None:
    error_event, event, reply = outcome
    assert fields["error_event"] is error_event
    assert fields["close_event"] == {
        "code": int(event.code),
        "name": CloseCode(event.code).name if event.code in REGISTERED else None,
        "reason": event.reason,
        "was_clean": event.was_clean,
    }
    if reply is None:
        assert fields["reply"] is None
    else:
        assert fields["reply"] == {
            "payload": reply.hex(),
            "code": int.from_bytes(reply[:2], "big") if reply else None,
            "reason": reply[2:].decode(),
        }


def test_browsers_valid_payload(capsys: pytest.CaptureFixture[str]) -> None:
    out = assert_browsers_text(capsys, "03e8627965")
    assert "valid:   yes, this payload may appear on the wire" in out.splitlines()
    assert out.splitlines()[0].split() == ["policy", "error", "event", "close", "event", "reply"]
    result = assert_browsers_json(capsys, "03e8627965")
    assert result["strict"]["close_event"]["reason"] == "bye"
    assert result["strict"]["reply"] == {"payload": "03e8627965", "code": 1000, "reason": "bye"}


# Payloads on which closeframe.browser says at least one engine departs from
# the strict answer: 1012 (a code libsoup never took), 1005 on the wire, an
# empty payload, code 0, 2000 (unregistered), a reason that is not UTF-8, a
# NUL in the reason, one byte, a masked frame, a frame after the close.
DISAGREEMENTS = ["03f4", "03ed", "", "0000", "07d0776879", "03e8ff", "03e800627965", "03"]


@pytest.mark.parametrize("hex_data", DISAGREEMENTS)
def test_browsers_disagreements(capsys: pytest.CaptureFixture[str], hex_data: str) -> None:
    data = bytes.fromhex(hex_data)
    _, strict = strict_outcome(data, frame=False)
    departures = []
    for name in ENGINES:
        outcome = engine_outcome(name, data, frame=False)
        if differing((outcome.error_event, outcome.close_event, outcome.reply), strict):
            departures.append(name)
    assert departures  # else this payload shows nothing here
    out = assert_browsers_text(capsys, hex_data)
    assert "* differs from the strict answer" in out.splitlines()
    result = assert_browsers_json(capsys, hex_data)
    assert [name for name, fields in result["engines"].items() if fields["differs"]] == departures


@pytest.mark.parametrize(
    "frames",
    [
        ["880203e8"],  # unmasked, from a server
        [MASKED_BYE],  # masked: refused or read, engine by engine
        ["8800"],
        ["880303e8ff"],
        ["0800"],  # FIN clear
        [""],  # nothing at all: the server just closed TCP
    ],
)
def test_browsers_frame(capsys: pytest.CaptureFixture[str], frames: list[str]) -> None:
    assert_browsers_text(capsys, "".join(frames), frame=True)
    assert_browsers_json(capsys, "".join(frames), frame=True)


@pytest.mark.parametrize(
    "frames",
    [
        ["8900", "880203e8"],  # a ping, then the close
        ["880203e8", "880203e9"],  # two closes
        ["880203e8", "810162"],  # a text message after the close
        ["880503e8", "627965"],  # one frame given in two pieces
    ],
)
def test_browsers_stream(capsys: pytest.CaptureFixture[str], frames: list[str]) -> None:
    # The engines read the server's whole byte stream; the strict answer is
    # decode --frame's, which reads exactly one close frame.  The stream may
    # be given in pieces, as any hex is.
    status, out, err = run(capsys, "decode", "--browsers", "--frame", *frames)
    assert err == ""
    joined = "".join(frames)
    status_joined, out_joined, _ = run(capsys, "decode", "--browsers", "--frame", joined)
    assert (status, out) == (status_joined, out_joined)
    assert_browsers_text(capsys, joined, frame=True)
    assert_browsers_json(capsys, joined, frame=True)


def test_browsers_stream_reads_past_the_first_frame(capsys: pytest.CaptureFixture[str]) -> None:
    stream = bytes.fromhex("8900880203e8")  # a ping the engines skip, then the close
    status, result = run_json(capsys, "decode", "--browsers", "--frame", stream.hex())
    assert status == 1  # not one close frame: decode --frame's answer
    assert result["strict"]["valid"] is False
    for name, fields in result["engines"].items():
        expected = ENGINES[name].receive(stream)
        assert fields["close_event"]["code"] == expected.close_event.code
        # A payload reading of the same bytes would be a different answer.
        assert fields["reply"] == (
            None
            if expected.reply is None
            else {
                "payload": expected.reply.hex(),
                "code": int.from_bytes(expected.reply[:2], "big") if expected.reply else None,
                "reason": expected.reply[2:].decode(),
            }
        )


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["3e8"], "not whole bytes in hex:"),
        (["03e8", "zz"], "not hex:"),
        (["0x3", "0xe8"], "not whole"),
    ],
)
@pytest.mark.parametrize("frame", [[], ["--frame"]])
@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_browsers_bad_hex(
    capsys: pytest.CaptureFixture[str],
    words: list[str],
    message: str,
    frame: list[str],
    json_flag: list[str],
) -> None:
    status, out, err = run(capsys, "decode", "--browsers", *frame, *json_flag, *words)
    assert_usage_error(status, out, err)
    assert err.startswith("closeframe: error: " + message)


def test_browsers_escapes_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    reason = "\x1b[2J\u202eevil"
    status, out, err = run(capsys, "decode", "--browsers", payload_hex(reason))
    assert (status, err) == (0, "")
    assert not {"\x1b", "\u202e"} & set(out)
    assert repr(reason) in out
    status, result = run_json(capsys, "decode", "--browsers", payload_hex(reason))
    assert result["strict"]["close_event"]["reason"] == reason
    assert result["strict"]["reply"]["reason"] == reason


class Unsteady:
    """An engine whose every outcome is one a real engine is not sure of."""

    CHECKED_WITH = "Unsteady 1.0"

    def __init__(self) -> None:
        self._real = ENGINES["firefox"]

    def outcome(self, payload: bytes) -> BrowserOutcome:
        frame = bytes([0x88, len(payload)]) + payload
        return self.receive(frame)

    def receive(self, data: bytes) -> BrowserOutcome:
        # Firefox when the server closes TCP at once: the close event varies.
        return self._real.receive(data, server_closes="close")


def test_browsers_uncertain_fields(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    unsteady = Unsteady()
    expected = unsteady.outcome(b"\x03\xe8")
    assert expected.uncertain  # what this test is about
    monkeypatch.setattr(closeframe.browser, "ENGINES", {"unsteady": unsteady})
    status, out, err = run(capsys, "decode", "--browsers", "03e8")
    assert (status, err) == (0, "")
    row = next(line for line in out.splitlines() if line.startswith("unsteady"))
    assert row.count("(varies between runs)") == len(expected.uncertain)
    assert "  unsteady  Unsteady 1.0" in out.splitlines()
    status, result = run_json(capsys, "decode", "--browsers", "--frame", "880203e8")
    assert result["engines"]["unsteady"]["uncertain"] == sorted(expected.uncertain)
    assert result["engines"]["unsteady"]["checked_with"] == "Unsteady 1.0"


def test_browsers_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["decode", "--help"])
    assert info.value.code == 0
    assert "--browsers" in capsys.readouterr().out


# --- output that cannot be written ---------------------------------------------------

# One of each way of writing stdout: text and JSON, every command, and the help
# and version that argparse prints.
WRITES_STDOUT = [
    ["decode", "03e8", "6279", "65"],
    ["decode", "03ee"],  # invalid: its fields still go to stdout
    ["decode", "--json", "03e8", "6279", "65"],
    ["decode", "--frame", MASKED_BYE],
    ["decode", "--browsers", "03f4"],
    ["encode", "4000", "shutting down"],
    ["encode", "--json", "4000"],
    ["explain", "1015"],
    ["explain", "--json", "1015"],
    ["codes"],
    ["codes", "--json"],
    ["--help"],
    ["decode", "--help"],
    ["--version"],
]
NO_SPACE = f"closeframe: error: cannot write to stdout: {os.strerror(errno.ENOSPC)}\n"
CLOSED = f"closeframe: error: cannot write to stdout: {os.strerror(errno.EBADF)}\n"
# Run the command with descriptor 1, or 1 and 2, closed, as `closeframe ... >&-`
# does (stdout=DEVNULL would be open).
CLOSE_STDOUT = (
    "import os, sys; os.close(1); "
    "os.execv(sys.executable, [sys.executable, '-m', 'closeframe', *sys.argv[1:]])"
)
CLOSE_BOTH = CLOSE_STDOUT.replace("os.close(1);", "os.close(1); os.close(2);")


def run_cli(
    argv: list[str], cwd: Path, *, wrapper: str | None = None, **popen: Any
) -> subprocess.CompletedProcess[str]:
    command = ["-c", wrapper] if wrapper else ["-m", "closeframe"]
    return subprocess.run(
        [sys.executable, *command, *argv],
        text=True,
        encoding="utf-8",
        env=module_env(),
        cwd=cwd,
        timeout=60,
        check=False,
        **popen,
    )


def assert_no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr


def is_devnull(fd: int) -> bool:
    return os.path.samestat(os.fstat(fd), os.stat(os.devnull))


@pytest.mark.parametrize("argv", WRITES_STDOUT)
def test_closed_pipe_exits_quietly(argv: list[str], tmp_path: Path) -> None:
    # The reader is gone before the first write, however short the output.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = run_cli(argv, tmp_path, stdout=write_end, stderr=subprocess.PIPE)
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert proc.stderr == ""


@pytest.mark.parametrize("unbuffered", [False, True])
def test_reader_that_leaves_early(unbuffered: bool, tmp_path: Path) -> None:
    # `closeframe decode --json ... | head -c 5` with an output larger than
    # any pipe buffer: the command is blocked in a write when the reader
    # closes, and that write returns short.  Three words, as one argv word
    # is limited to 128 KiB.
    words = ["03e8", *["61" * 50_000] * 3]
    env = module_env()
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    with subprocess.Popen(
        [sys.executable, "-m", "closeframe", "decode", "--json", *words],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        head = proc.stdout.read(5)
        proc.stdout.close()
        stderr = proc.stderr.read()
        proc.wait(timeout=60)
    assert head == b'{"pay', stderr
    assert proc.returncode == 141
    assert stderr == b""


@pytest.mark.parametrize("argv", WRITES_STDOUT)
def test_full_disk(argv: list[str], tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        proc = run_cli(argv, tmp_path, stdout=full, stderr=subprocess.PIPE)
    assert proc.returncode == 3
    assert_no_traceback(proc.stderr)
    assert proc.stderr == NO_SPACE


@pytest.mark.parametrize("argv", WRITES_STDOUT)
def test_closed_stdout(argv: list[str], tmp_path: Path) -> None:
    proc = run_cli(argv, tmp_path, wrapper=CLOSE_STDOUT, stderr=subprocess.PIPE)
    assert proc.returncode == 3
    assert_no_traceback(proc.stderr)
    assert proc.stderr == CLOSED


@pytest.mark.parametrize("argv", [["codes"], ["--help"], ["decode", "--json", "03e8"]])
def test_stdout_and_stderr_unwritable(argv: list[str], tmp_path: Path) -> None:
    # Nothing can be said; the status still tells a script what happened
    # (a traceback exits 1, a failed flush at exit 120).
    assert run_cli(argv, tmp_path, wrapper=CLOSE_BOTH).returncode == 3
    with open("/dev/full", "w") as full:
        assert run_cli(argv, tmp_path, stdout=full, stderr=full).returncode == 3


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["encode", "1006"], 1, "error: close code 1006 cannot be sent"),
        (["decode", "zz"], 2, "closeframe: error: not hex: 'zz'"),
    ],
)
def test_messages_on_stderr_need_no_stdout(
    argv: list[str], status: int, message: str, tmp_path: Path
) -> None:
    proc = run_cli(argv, tmp_path, wrapper=CLOSE_STDOUT, stderr=subprocess.PIPE)
    assert proc.returncode == status
    assert proc.stderr.startswith(message)
    assert proc.stderr.count("\n") == 1
    with open("/dev/full", "w") as full:
        # The message is lost; the status is not (nor 120 from the flush at exit).
        assert run_cli(argv, tmp_path, stderr=full).returncode == status


# The same failures in process, where coverage sees them.


class BrokenStdout(io.StringIO):
    """A stdout with no descriptor, whose reader has gone."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def test_in_process_closed_pipe(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    with open(write_end, "w", encoding="utf-8") as stdout:
        monkeypatch.setattr(sys, "stdout", stdout)
        assert main(["codes"]) == 141
        assert capsys.readouterr().err == ""
        # What was not written is still buffered: it must go somewhere
        # harmless when the stream is flushed again, here or at exit.
        assert is_devnull(write_end)
        stdout.write("still writable")
    # Closing flushed it without an error.


class Trickle(io.FileIO):
    """A file that takes at most 7 bytes a write, as a pipe may."""

    def __init__(self) -> None:
        super().__init__(os.devnull, "w")
        self.written = bytearray()

    def write(self, data: Any) -> int:
        self.written += bytes(data[:7])
        return len(data[:7])


def test_in_process_unbuffered_short_writes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What python -u gives: a text layer straight over the file.
    assert main(["codes"]) == 0
    expected = capsys.readouterr().out
    raw = Trickle()
    with io.TextIOWrapper(raw, encoding="utf-8", write_through=True) as stdout:
        monkeypatch.setattr(sys, "stdout", stdout)
        assert main(["codes"]) == 0
    assert raw.written.decode("utf-8") == expected


def test_in_process_unbuffered_closed_pipe(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    with io.TextIOWrapper(io.FileIO(write_end, "w"), write_through=True) as stdout:
        monkeypatch.setattr(sys, "stdout", stdout)
        assert main(["codes"]) == 141
        assert capsys.readouterr().err == ""


def test_in_process_closed_pipe_without_descriptor(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdout", BrokenStdout())
    assert main(["decode", "--json", "03e8"]) == 141
    assert main(["--help"]) == 141  # argparse would have swallowed the error
    assert capsys.readouterr().err == ""


def test_in_process_full_disk(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with open("/dev/full", "w", encoding="utf-8") as stdout:
        monkeypatch.setattr(sys, "stdout", stdout)
        assert main(["explain", "1000"]) == 3
        assert capsys.readouterr().err == NO_SPACE
        assert is_devnull(stdout.fileno())


def test_in_process_closed_stdout(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    assert main(["codes", "--json"]) == 3
    assert capsys.readouterr().err == CLOSED
    assert main(["--version"]) == 3  # argparse would print it on stderr
    assert capsys.readouterr().err == CLOSED
    assert main(["encode", "1006"]) == 1  # its message is on stderr: no stdout needed
    assert capsys.readouterr().err.startswith("error: close code 1006")


def test_in_process_unwritable_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    with open("/dev/full", "w") as stdout, open("/dev/full", "w") as stderr:
        monkeypatch.setattr(sys, "stdout", stdout)
        monkeypatch.setattr(sys, "stderr", stderr)
        assert main(["codes"]) == 3
        assert is_devnull(stdout.fileno())
        assert is_devnull(stderr.fileno())
        assert main(["decode", "zz"]) == 2


def test_in_process_closed_stdout_and_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    assert main(["codes"]) == 3
    assert main(["encode", "1006"]) == 1
    assert main(["decode", "zz"]) == 2


# --- characters a terminal would act on ------------------------------------------------

UNPRINTABLE = {
    "C0": [chr(c) for c in range(0x20)],
    "DEL": ["\x7f"],
    "C1": [chr(c) for c in range(0x80, 0xA0)],
    "bidi": [
        "\u061c",
        "\u200e",
        "\u200f",
        *map(chr, range(0x202A, 0x202F)),
        *map(chr, range(0x2066, 0x206A)),
    ],
    "separators": ["\u2028", "\u2029", "\xa0", "\u3000"],
    "format": ["\xad", "\u200b", "\u200d", "\u2060", "\ufeff", "\U000e0001"],
    "private and noncharacters": ["\ue000", "\U0010fffd", "\ufffe", "\uffff"],
}


def payload_hex(reason: str) -> str:
    return "03e8" + reason.encode("utf-8").hex()


def assert_escaped_text(out: str, reason: str, chars: list[str]) -> None:
    assert "reason:  " + repr(reason) in out.splitlines()
    assert not set(chars) & set(out.replace("\n", ""))
    assert out.count("\n") == 3


def assert_escaped_json(out: str, reason: str, chars: list[str]) -> None:
    # JSON's own escapes, so json.loads gives back the exact reason.
    assert '"reason": ' + json.dumps(reason) in out
    assert not set(chars) & set(out.removesuffix("\n"))
    assert json.loads(out)["reason"] == reason


@pytest.mark.parametrize("kind", UNPRINTABLE)
def test_unprintable_reason_escaped(capsys: pytest.CaptureFixture[str], kind: str) -> None:
    chars = UNPRINTABLE[kind]
    reason = "a" + "".join(chars) + "evil"
    status, out, err = run(capsys, "decode", payload_hex(reason))
    assert (status, err) == (0, "")
    assert_escaped_text(out, reason, chars)
    status, out, err = run(capsys, "decode", "--json", payload_hex(reason))
    assert (status, err) == (0, "")
    assert_escaped_json(out, reason, chars)


@pytest.mark.parametrize("kind", UNPRINTABLE)
def test_unprintable_reason_escaped_as_run(kind: str, tmp_path: Path) -> None:
    chars = UNPRINTABLE[kind]
    reason = "a" + "".join(chars) + "evil"
    proc = run_module("decode", payload_hex(reason), cwd=str(tmp_path))
    assert (proc.returncode, proc.stderr) == (0, "")
    assert_escaped_text(proc.stdout, reason, chars)
    proc = run_module("decode", "--json", payload_hex(reason), cwd=str(tmp_path))
    assert (proc.returncode, proc.stderr) == (0, "")
    assert_escaped_json(proc.stdout, reason, chars)


def test_right_to_left_override_in_a_frame(capsys: pytest.CaptureFixture[str]) -> None:
    frame = "8809" + payload_hex("\u202eevil")
    status, out, _ = run(capsys, "decode", "--frame", frame)
    assert status == 0
    assert "reason:  '\\u202eevil'" in out.splitlines()
    status, out, _ = run(capsys, "decode", "--frame", "--json", frame)
    assert status == 0
    assert '"reason": "\\u202eevil"' in out
    assert json.loads(out)["reason"] == "\u202eevil"


def test_both_modes_escape_the_same_characters(capsys: pytest.CaptureFixture[str]) -> None:
    # Every code point below the surrogates and from U+FE00, 40 to a reason
    # (at most 120 bytes): one shows raw in text mode exactly when it does
    # in JSON, and that is when it is printable.
    code_points = [*range(0xD800), *range(0xFE00, 0x10000), 0xE0001, 0x1F600]
    for start in range(0, len(code_points), 40):
        chars = [chr(c) for c in code_points[start : start + 40]]
        hex_payload = payload_hex("".join(chars))
        main(["decode", hex_payload])
        text = capsys.readouterr().out.split("\n")[1]  # splitlines() splits at U+2028 too
        main(["decode", "--json", hex_payload])
        line = capsys.readouterr().out.removesuffix("\n")
        raw_in_text = [char for char in chars if char in text]
        raw_in_json = [char for char in chars if char in line]
        assert raw_in_text == raw_in_json == [char for char in chars if char.isprintable()]


def test_unprintable_argv_in_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "codes", "\u202eevil\n")
    assert_usage_error(status, out, err)
    assert err == "closeframe: error: unrecognized arguments: \\u202eevil\\n\n"


# --- input from stdin and files ----------------------------------------------------


def text_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="ascii"))


@pytest.mark.parametrize(
    "data", [b"03e8627965", b"0x03 0xe8\n62:79:65\n", b"  03e8\t6279\r\n65\n", b"03E8627965"]
)
def test_decode_hex_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, data: bytes
) -> None:
    text_stdin(monkeypatch, data)
    status, result = run_json(capsys, "decode", "-")
    assert (status, result["payload"], result["reason"]) == (0, "03e8627965", "bye")


def test_decode_hex_from_a_stdin_without_bytes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("880203e8\n"))
    status, result = run_json(capsys, "decode", "--frame", "-")
    assert (status, result["code"]) == (0, 1000)


def test_decode_stdin_that_is_not_hex(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text_stdin(monkeypatch, b"03e8 \xff\xfe")  # binary piped to '-': named, not a crash
    status, out, err = run(capsys, "decode", "-")
    assert_usage_error(status, out, err)
    assert err == "closeframe: error: not hex: " + repr("\xff\xfe") + "\n"


def test_decode_empty_stdin_is_an_empty_payload(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text_stdin(monkeypatch, b"\n")
    status, result = run_json(capsys, "decode", "-")
    assert (status, result["code"]) == (0, 1005)


def test_decode_closed_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    for argv in (["decode", "-"], ["decode", "--file", "-"]):
        status, out, err = run(capsys, *argv)
        assert_usage_error(status, out, err)
        assert err == "closeframe: error: cannot read stdin: it is closed\n"


@pytest.mark.parametrize("argv", [["-", "03e8"], ["03e8", "-"], ["-", "-"]])
def test_decode_dash_alone(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    status, out, err = run(capsys, "decode", *argv)
    assert_usage_error(status, out, err)
    assert "- reads the hex from stdin: give it alone" in err


def test_decode_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "close.bin"
    path.write_bytes(bytes.fromhex(MASKED_BYE))
    status, result = run_json(capsys, "decode", "--frame", "--file", str(path))
    assert (status, result["reason"], result["mask_key"]) == (0, "bye", RFC_KEY)
    path.write_bytes(b"\x03\xe8\xff")  # raw bytes, never hex
    status, result = run_json(capsys, "decode", "--file", str(path))
    assert (status, result["close_code"]) == (1, 1007)


def test_decode_file_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text_stdin(monkeypatch, b"\x88\x02\x03\xe8")
    status, result = run_json(capsys, "decode", "--frame", "--file", "-")
    assert (status, result["code"]) == (0, 1000)


def test_decode_file_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.bin")
    status, out, err = run(capsys, "decode", "--file", missing)
    assert_usage_error(status, out, err)
    assert err == f"closeframe: error: cannot read {missing!r}: {os.strerror(errno.ENOENT)}\n"
    status, out, err = run(capsys, "decode", "--file", str(tmp_path))
    assert_usage_error(status, out, err)
    status, out, err = run(capsys, "decode", "--file", missing, "03e8")
    assert_usage_error(status, out, err)
    assert "not both" in err


def test_stdin_and_file_as_run(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "closeframe", "decode", "-"],
        input="0x03 0xe8\n62 79 65\n",
        capture_output=True,
        text=True,
        env=module_env(),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    assert "reason:  'bye'" in proc.stdout.splitlines()
    dump = bytes.fromhex("8900" + "880203e8")
    (tmp_path / "dump.bin").write_bytes(dump)
    proc = run_module("decode", "--stream", "--json", "--file", "dump.bin", cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert [f["status"] for f in json.loads(proc.stdout)["frames"]] == ["skipped", "close"]
    raw = subprocess.run(
        [sys.executable, "-m", "closeframe", "decode", "--stream", "--file", "-"],
        input=dump,
        capture_output=True,
        env=module_env(),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert (raw.returncode, raw.stderr) == (0, b"")
    assert b"frame 2 at byte 2: close\n" in raw.stdout


# --- decode --stream -----------------------------------------------------------------


def stream_json(capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, dict[str, Any]]:
    status, result = run_json(capsys, "decode", "--stream", *words)
    assert set(result) == {"stream", "length", "valid", "frames"}
    assert result["valid"] is (status == 0)
    for frame in result["frames"]:
        assert list(frame) == ["offset", "length", "opcode", "type", "status", "needed", "close"]
        assert frame["close"] is None or list(frame["close"]) == DECODE_KEYS
    return status, result


def test_stream_frames_in_a_row(capsys: pytest.CaptureFixture[str]) -> None:
    words = ["8900", "880203e8", "810162", "8a80" + RFC_KEY, MASKED_BYE, "830100", "880503e8"]
    status, out, err = run(capsys, "decode", "--stream", *words)
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "frame 1 at byte 0: ping (opcode 0x9), 2 bytes: skipped",
        "frame 2 at byte 2: close",
        "  frame:   close frame, 2-byte payload, unmasked (from a server)",
        "  code:    1000 NORMAL_CLOSURE (normal closure)",
        "  reason:  ''",
        "  valid:   yes, this frame may appear on the wire",
        "frame 3 at byte 6: text (opcode 0x1), 3 bytes: skipped",
        "frame 4 at byte 9: pong (opcode 0xa), 6 bytes: skipped",
        "frame 5 at byte 15: close",
        f"  frame:   close frame, 5-byte payload, masked with key {RFC_KEY} (from a client)",
        "  code:    1000 NORMAL_CLOSURE (normal closure)",
        "  reason:  'bye'",
        "  valid:   yes, this frame may appear on the wire",
        "frame 6 at byte 26: reserved opcode (opcode 0x3), 3 bytes: skipped",
        "frame 7 at byte 29: incomplete close frame: 3 more byte(s) to come"
        " (a peer waits for them)",
    ]
    status, result = stream_json(capsys, *words)
    assert status == 0
    frames = result["frames"]
    assert [f["status"] for f in frames] == [
        "skipped", "close", "skipped", "skipped", "close", "skipped", "incomplete",
    ]  # fmt: skip
    assert [f["type"] for f in frames] == [
        "ping", "close", "text", "pong", "close", None, "close",
    ]  # fmt: skip
    assert [f["opcode"] for f in frames] == [9, 8, 1, 10, 8, 3, 8]
    assert [f["offset"] for f in frames] == [0, 2, 6, 9, 15, 26, 29]
    assert frames[-1]["needed"] == 3
    assert frames[-1]["length"] == 4
    assert frames[4]["close"]["reason"] == "bye"
    # Each close frame's fields are decode --frame's for its bytes.
    _, alone = run_json(capsys, "decode", "--frame", MASKED_BYE)
    assert frames[4]["close"] == alone


@pytest.mark.parametrize(
    ("hex_stream", "needed"),
    [
        ("88", 1),  # one byte of a header
        ("89", 1),
        ("817e00", 1),  # a 16-bit length, half given
        ("817f0000", 6),  # a 64-bit length, half given
        ("817e0100" + "61" * 250, 6),
        ("8185" + RFC_KEY[:4], 7),  # the masking key, half given
        ("888237fa", 4),
    ],
)
def test_stream_incomplete_last_frame(
    capsys: pytest.CaptureFixture[str], hex_stream: str, needed: int
) -> None:
    status, result = stream_json(capsys, "880203e8", hex_stream)
    assert status == 0  # a peer waits; nothing is wrong yet
    assert result["frames"][-1]["status"] == "incomplete"
    assert result["frames"][-1]["needed"] == needed
    status, out, _ = run(capsys, "decode", "--stream", "880203e8", hex_stream)
    assert f"incomplete {'close ' if hex_stream[:2] == '88' else ''}frame: {needed} more" in out


def test_stream_long_frames_are_skipped_whole(capsys: pytest.CaptureFixture[str]) -> None:
    binary16 = "827e0100" + "00" * 256
    binary64 = "827f" + (300).to_bytes(8, "big").hex() + "00" * 300
    status, result = stream_json(capsys, binary16, binary64, "880203e8")
    assert status == 0
    assert [f["length"] for f in result["frames"]] == [260, 310, 4]
    assert result["frames"][-1]["close"]["code"] == 1000


@pytest.mark.parametrize(
    ("frame", "words"),
    [
        ("887e0100", "length field is 126"),  # refused at once, never incomplete
        ("880303e8ff", "UTF-8"),
        ("8802ffff", "allowed: 1000-1003"),
        ("c80203e8", "reserved bits"),
        ("080203e8", "FIN"),
    ],
)
def test_stream_invalid_close_frame(
    capsys: pytest.CaptureFixture[str], frame: str, words: str
) -> None:
    status, result = stream_json(capsys, "8900", frame, "8900")
    assert status == 1
    assert frame[1] != "8" or result["frames"][1]["status"] == "close"
    closes = [f for f in result["frames"] if f["status"] == "close"]
    if frame[1] == "8":
        assert words in closes[0]["close"]["error"]
        assert closes[0]["close"]["valid"] is False


def test_stream_empty(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "decode", "--stream", "")
    assert (status, out, err) == (0, "no frames: the stream is empty\n", "")
    status, result = stream_json(capsys, "")
    assert result["frames"] == []


def test_stream_is_not_for_browsers(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "decode", "--stream", "--browsers", "--frame", "880203e8")
    assert_usage_error(status, out, err)
    assert "--browsers --frame already reads" in err


def test_stream_as_run(tmp_path: Path) -> None:
    proc = run_module("decode", "--stream", "--frame", "8900", "880203e8", "88", cwd=str(tmp_path))
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.splitlines()[-1].startswith("frame 3 at byte 6: incomplete close frame")


# --- decode --frame of a frame whose payload is refused --------------------------------


@pytest.mark.parametrize(
    ("frame", "lines"),
    [
        (
            "880403e862ff",
            [
                "frame:   close frame, 4-byte payload, unmasked (from a server)",
                "code:    1000 NORMAL_CLOSURE (normal closure)",
            ],
        ),
        (
            "8884"
            + RFC_KEY
            + bytes(
                a ^ b
                for a, b in zip(bytes.fromhex("03e862ff"), bytes.fromhex(RFC_KEY), strict=True)
            ).hex(),
            [
                f"frame:   close frame, 4-byte payload, masked with key {RFC_KEY} (from a client)",
                "code:    1000 NORMAL_CLOSURE (normal closure)",
            ],
        ),
        (
            "880203ee",
            [
                "frame:   close frame, 2-byte payload, unmasked (from a server)",
                "code:    1006 ABNORMAL_CLOSURE (abnormal closure)",
            ],
        ),
        ("880103", ["frame:   close frame, 1-byte payload, unmasked (from a server)"]),
    ],
)
def test_decode_frame_shows_what_a_refused_payload_holds(
    capsys: pytest.CaptureFixture[str], frame: str, lines: list[str]
) -> None:
    status, out, err = run(capsys, "decode", "--frame", frame)
    assert (status, err) == (1, "")
    assert out.splitlines()[: len(lines)] == lines
    assert out.splitlines()[len(lines)].startswith("valid:   no: ")
    status, result = run_json(capsys, "decode", "--frame", frame)
    assert result["masked"] is ("masked with key" in lines[0])
    assert result["valid"] is False
    if len(lines) == 2:
        assert result["code"] == int(lines[1].split()[1])
        assert result["payload"][:4] == f"{result['code']:04x}"
    else:
        assert result["code"] is None


# --- any terminal encoding, as run -------------------------------------------------

ENCODED_OUTPUTS = [
    (["--help"], 0),
    (["decode", "--help"], 0),
    (["decode", "03e8e282ac"], 0),  # a reason outside ASCII and latin-1
    (["decode", "--json", "03e8c3a9e282ac"], 0),
    (["decode", "--frame", "880503e8e282ac"], 0),
    (["decode", "--browsers", "03e8e282ac"], 0),
    (["decode", "--stream", "880503e8e282ac"], 0),
    (["codes"], 0),
    (["codes", "--json"], 0),
    (["explain", "1000"], 0),  # its source has a "\xa7"
    (["explain", "--json", "1015"], 0),
    (["encode", "1000", "\u20ac" * 70], 1),  # an error, on stderr
    (["encode", "1000", "\u20ac\u20ac"], 0),
    (["decode", "\u20ac"], 2),  # a usage error quoting argv
    ([], 2),
]


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize(("argv", "status"), ENCODED_OUTPUTS)
def test_any_terminal_encoding(
    argv: list[str], status: int, encoding: str, tmp_path: Path
) -> None:
    env = module_env()
    env["PYTHONIOENCODING"] = encoding
    proc = subprocess.run(
        [sys.executable, "-m", "closeframe", *argv],
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert proc.returncode == status, proc.stderr
    assert_no_traceback(proc.stderr.decode(encoding))
    assert proc.stdout or proc.stderr
    # Every byte is the terminal's: nothing it cannot show.
    proc.stdout.decode(encoding)
    proc.stderr.decode(encoding)
    if "--json" in argv:
        json.loads(proc.stdout.decode(encoding))


def test_c_locale_help(tmp_path: Path) -> None:
    env = module_env()
    env.pop("PYTHONIOENCODING")
    env.update(LC_ALL="C", LANG="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0")
    proc = subprocess.run(
        [sys.executable, "-m", "closeframe", "--help"],
        capture_output=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (0, b"")
    assert b"RFC 6455" in proc.stdout


def test_help_on_an_ascii_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = ascii_stdout(monkeypatch)
    with pytest.raises(SystemExit):
        main(["--help"])
    sys.stdout.flush()
    assert "RFC 6455 \\xa75.5.1" in raw.getvalue().decode("ascii")


def test_browsers_read_stdin_and_files(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # --browsers takes its bytes from wherever decode does.
    _, expected = run_json(capsys, "decode", "--browsers", "--frame", "8900880203e8")
    text_stdin(monkeypatch, b"89 00\n88 02 03 e8\n")
    assert run_json(capsys, "decode", "--browsers", "--frame", "-")[1] == expected
    path = tmp_path / "stream.bin"
    path.write_bytes(bytes.fromhex("8900880203e8"))
    assert run_json(capsys, "decode", "--browsers", "--frame", "--file", str(path))[1] == expected
