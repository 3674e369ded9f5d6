"""The ``closeframe`` command: in process through ``main``, then as a user runs it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import closeframe
from closeframe import CloseCode
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

DECODE_KEYS_VALID = {
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
}


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
    assert "reason" not in result
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
        (["zz"], "zz"),
        (["3e8"], "3e8"),
        (["03e8", "6"], "6"),
        (["0x0x03"], "0x0x03"),
        (["03e8", "g1"], "g1"),
        (["03-e8"], "03-e8"),
        (["03:0xe8"], "03:0xe8"),
        (["0x3", "0xe8"], "0x3"),  # each token is whole bytes: not 03 e8
    ],
)
def test_decode_bad_hex(capsys: pytest.CaptureFixture[str], words: list[str], token: str) -> None:
    status, out, err = run(capsys, "decode", *words)
    assert_usage_error(status, out, err)
    assert "not whole bytes in hex" in err
    assert repr(token) in err


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
    assert result == {"valid": True, "payload": hex_payload}


def test_encode_truncate(capsys: pytest.CaptureFixture[str]) -> None:
    reason = "a" * 122 + "€"  # 125 bytes: the euro sign straddles the limit
    status, out, err = run(capsys, "encode", "1000", reason, "--truncate")
    assert status == 0
    assert err == ""
    assert out == "03e8" + "61" * 122 + "\n"
    status, result = run_json(capsys, "encode", "--truncate", "1000", "b" * 200)
    assert status == 0
    assert result == {"valid": True, "payload": "03e8" + "62" * 123}


def test_encode_too_long_without_truncate(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "encode", "1000", "a" * 124)
    assert status == 1
    assert out == ""
    assert err.startswith("error: close reason is 124 bytes")
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
    assert set(result) == {"valid", "error"}
    assert result["valid"] is False
    assert result["error"].startswith("close code 1006 cannot be sent")


def test_encode_lone_surrogate(capsys: pytest.CaptureFixture[str]) -> None:
    # What an argv byte that is not UTF-8 becomes on POSIX (surrogateescape).
    status, out, err = run(capsys, "encode", "1000", "a\udcff")
    assert status == 1
    assert out == ""
    assert "lone surrogate" in err


def test_encode_code_not_int(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "encode", "bye")
    assert_usage_error(status, out, err)
    assert "invalid int value" in err


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
        [],
        ["--bogus"],
        ["bogus"],
        ["decode"],
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


def test_missing_subcommand_message(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys)
    assert_usage_error(status, out, err)
    assert "command" in err


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


def run_module(*argv: str, cwd: str) -> subprocess.CompletedProcess[str]:
    # Import closeframe the way this test process does: from src/ in a
    # checkout, from site-packages under tox.
    root = os.path.dirname(os.path.dirname(closeframe.__file__))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, "-m", "closeframe", *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
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
