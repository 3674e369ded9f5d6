"""``closeframe probe`` against real servers on loopback: verdicts asserted one by one."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from closeframe import ClosingHandshake, Role, parse_close_payload
from closeframe.cli import main
from closeframe.errors import CloseFrameError
from closeframe.probe import _client, _wire
from closeframe.probe.command import RESULT_KEYS
from closeframe.probe.scenarios import SCENARIOS, SERVER_CLOSE
from closeframe.strategies import UTF8_KINDS
from probe_servers import (
    CERT,
    MODES,
    aiohttp_server,
    example_server,
    websockets_server,
    wrong_server,
    wsproto_server,
)

NAMES = [scenario.name for scenario in SCENARIOS]
# Short: the wrong servers make some scenarios wait the whole timeout.
TIMEOUT = "0.3"
# For servers that answer at once: long enough for a loaded machine, and
# costing nothing when they do answer.
ANSWERED = "5"


@pytest.fixture(scope="module")
def websockets_port() -> Iterator[int]:
    with websockets_server() as port:
        yield port


@pytest.fixture(scope="module")
def example_port() -> Iterator[int]:
    with example_server() as port:
        yield port


@pytest.fixture(scope="module")
def wrong_port() -> Iterator[int]:
    with wrong_server() as port:
        yield port


@pytest.fixture(scope="module")
def tls_port() -> Iterator[int]:
    with wrong_server(tls=True) as port:
        yield port


def probe(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    """Run the command with --json; (exit status, the parsed output)."""
    status = main(["probe", "--json", "--timeout", ANSWERED, *args])
    out = capsys.readouterr().out
    return status, json.loads(out) if out else None


def by_name(output: Any) -> dict[str, dict[str, Any]]:
    return {result["scenario"]: result for result in output["results"]}


def strict_reply(payload: bytes) -> int:
    """The code a strict server answers a close payload with: its own, or 1002/1007."""
    try:
        return int(parse_close_payload(payload).code)
    except CloseFrameError as exc:
        return exc.close_code


# -- the scenarios themselves -----------------------------------------------


def test_scenarios_cover_the_issue() -> None:
    # Every refused class, every UTF-8 kind the strategies name, and the rest.
    for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535):
        assert f"code-{code}" in NAMES
    assert {f"utf8-{kind.replace('_', '-')}" for kind in UTF8_KINDS} <= set(NAMES)
    for name in ("empty", "one-byte", "payload-126", "fragmented", "rsv1", "unmasked"):
        assert name in NAMES
    for name in (
        "ping-after-close",
        "text-after-close",
        "close-after-close",
        "half-close",
        "drop",
    ):
        assert name in NAMES
    assert len(set(NAMES)) == len(NAMES)
    long_reasons = [s for s in SCENARIOS if s.name.endswith("-reason-123")]
    assert len(long_reasons) == 2
    for scenario in long_reasons:
        reason = parse_close_payload(scenario.frames[0].payload).reason
        assert len(reason.encode()) == 123
        assert len(reason) < 123  # multi-byte characters


def test_bad_utf8_scenarios_are_refused_with_1007() -> None:
    for scenario in SCENARIOS:
        if scenario.name.startswith("utf8-"):
            with pytest.raises(CloseFrameError) as failure:
                parse_close_payload(scenario.frames[0].payload)
            assert failure.value.close_code == 1007, scenario.name


# -- real servers that get it right ------------------------------------------


def expect_strict(output: Any) -> None:
    """Every verdict pass, and each answer exactly ClosingHandshake's."""
    results = by_name(output)
    assert list(results) == NAMES
    for scenario in SCENARIOS:
        result = results[scenario.name]
        assert result["verdict"] == "pass", result
        assert result["closed_tcp"] is True, result
        assert result["tcp"] == "closed", result
        if result["reply"] != result["expected"]:
            # A failure's code as due (1002 or 1007), its reason the server's own.
            assert result["expected"] in ("03ea", "03ef"), result
            assert result["reply"][:4] == result["expected"], result
        # drop: the close 1000 'bye' of the connection after the reset.
        payload = bytes.fromhex("03e8627965" if result["payload"] is None else result["payload"])
        if scenario.name in ("fragmented", "payload-126", "unmasked") or scenario.name.startswith(
            "rsv"
        ):
            assert result["reply_code"] == 1002, result
        elif payload:
            assert result["reply_code"] == strict_reply(payload), result
        else:
            assert result["reply"] == "", result


def test_websockets_server_is_strict(
    capsys: pytest.CaptureFixture[str], websockets_port: int
) -> None:
    start = time.monotonic()
    status, output = probe(capsys, f"ws://127.0.0.1:{websockets_port}/")
    assert status == 0
    expect_strict(output)
    assert output["summary"] == {
        "pass": len(NAMES),
        "lenient": 0,
        "fail": 0,
        "scenarios": len(NAMES),
        "seconds": output["summary"]["seconds"],
    }
    assert time.monotonic() - start < 5  # seconds on loopback, not minutes
    results = by_name(output)
    # What pages see: WebKit (libsoup) fails 1014, the others pass it on.
    assert results["code-1014"]["browsers"]["webkit"]["error_event"] is True
    assert results["code-1014"]["browsers"]["chromium"]["code"] == 1014
    assert results["code-1000-reason"]["browsers"]["firefox"] == {
        "error_event": False,
        "code": 1000,
        "reason": "bye",
        "was_clean": True,
    }


def test_example_server_is_strict(capsys: pytest.CaptureFixture[str], example_port: int) -> None:
    status, output = probe(capsys, f"ws://127.0.0.1:{example_port}/wait-for-client-close")
    assert status == 0
    expect_strict(output)
    # It greets with a text frame before anything else.
    assert by_name(output)["code-1000"]["frames"] == ["text", "close"]


# -- real servers that differ from the strict answer ---------------------------

# Seen with aiohttp 3.14 and wsproto 1.3: each test says what it checks, and
# fails when a release changes it (the docs' page on the probe says so too).
AIOHTTP_LENIENT = {"code-1006", "code-5000", "code-65535", "unmasked"}


def test_aiohttp_server(capsys: pytest.CaptureFixture[str]) -> None:
    with aiohttp_server() as port:
        status, output = probe(capsys, f"ws://127.0.0.1:{port}/")
    assert status == 0
    results = by_name(output)
    assert list(results) == NAMES
    # It answers every valid close with 1000, without its reason: allowed.
    for scenario in SCENARIOS[:10]:
        assert results[scenario.name]["verdict"] == "pass"
        assert results[scenario.name]["reply"] == "03e8", scenario.name
    assert results["code-1001"]["why"] == (
        "answered 1000, then closed TCP; the echo (1001) is usual, not required (§5.5.1)"
    )
    # 1006 and codes over 4999 on the wire, and an unmasked frame, it accepts.
    assert {name for name, r in results.items() if r["verdict"] == "lenient"} == AIOHTTP_LENIENT
    for name in AIOHTTP_LENIENT:
        assert results[name]["reply"] == "03e8", name
    # Everything else invalid it fails, with the strict code.
    for name, result in results.items():
        if name not in AIOHTTP_LENIENT and result["expected"] in ("03ea", "03ef"):
            assert result["verdict"] == "pass", result
            assert result["reply"][:4] == result["expected"], result
        assert result["tcp"] == "closed", result


def test_wsproto_server(capsys: pytest.CaptureFixture[str]) -> None:
    with wsproto_server() as port:
        status, output = probe(capsys, f"ws://127.0.0.1:{port}/")
    assert status == 1
    results = by_name(output)
    # wsproto fails the connection on 1014, which IANA registered after 1013.
    [failed] = [r for r in results.values() if r["verdict"] != "pass"]
    assert failed["scenario"] == "code-1014"
    assert failed["verdict"] == "fail"
    assert failed["why"] == "refused a valid close with 1002 PROTOCOL_ERROR (protocol error)"
    # Everything else as strictly as websockets.
    del results["code-1014"]
    for result in results.values():
        assert result["tcp"] == "closed", result
        if result["reply"] != result["expected"]:
            assert result["expected"] in ("03ea", "03ef"), result
            assert result["reply"][:4] == result["expected"], result


# -- a server wrong on purpose -------------------------------------------------


def test_wrong_servers_are_described() -> None:
    assert all(path.startswith("/") for path in MODES)


def test_echoing_unchecked_fails_on_invalid_closes(
    capsys: pytest.CaptureFixture[str], wrong_port: int
) -> None:
    status, output = probe(capsys, f"ws://127.0.0.1:{wrong_port}/echo-unchecked")
    assert status == 1
    results = by_name(output)
    for name in ("code-1000", "code-4999-reason-123", "empty", "ping-after-close"):
        assert results[name]["verdict"] == "pass", results[name]
    for name in ("code-1005", "code-0", "code-5000", "one-byte", "utf8-surrogate", "payload-126"):
        assert results[name]["verdict"] == "fail", results[name]
        assert results[name]["why"].startswith("its close frame is invalid: "), results[name]
        assert results[name]["reply"] == results[name]["payload"]
    assert "1005 NO_STATUS_RCVD" in results["code-1005"]["why"]
    # A page sees an error where the server echoed 1005, but in Firefox.
    views = results["code-1005"]["browsers"]
    assert (views["chromium"]["error_event"], views["webkit"]["error_event"]) == (True, True)
    assert views["firefox"] == {
        "error_event": False,
        "code": 1005,
        "reason": "",
        "was_clean": True,
    }
    # Echoing the unmasked frame's payload is an echo of a frame it should refuse.
    assert results["unmasked"]["verdict"] == "lenient"
    assert results["unmasked"]["why"].startswith(
        "accepted it, answering 1000 'bye'; strictly 1002"
    )
    assert output["summary"]["fail"] >= 15


def test_accepting_everything_is_lenient(
    capsys: pytest.CaptureFixture[str], wrong_port: int
) -> None:
    status, output = probe(capsys, f"ws://127.0.0.1:{wrong_port}/accept-all")
    assert status == 0  # lenient is not a failure
    results = by_name(output)
    assert results["code-1000"]["verdict"] == "pass"
    assert results["code-1000"]["why"] == "echoed 1000, then closed TCP"
    assert results["code-4000"]["verdict"] == "pass"
    assert "the echo (4000) is usual, not required" in results["code-4000"]["why"]
    assert results["code-1000-reason"]["why"].startswith("echoed the code, with another reason ''")
    for name in ("code-1005", "one-byte", "utf8-overlong", "rsv1", "fragmented"):
        assert results[name]["verdict"] == "lenient", results[name]
        assert results[name]["reply_code"] == 1000
    assert "strictly 1007" in results["utf8-overlong"]["why"]
    assert output["summary"]["fail"] == 0
    assert output["summary"]["lenient"] > 20


def test_refusing_a_valid_close_fails(capsys: pytest.CaptureFixture[str], wrong_port: int) -> None:
    status, output = probe(capsys, f"ws://127.0.0.1:{wrong_port}/refuse")
    assert status == 1
    results = by_name(output)
    assert results["code-1000"]["verdict"] == "fail"
    assert (
        results["code-1000"]["why"]
        == "refused a valid close with 1002 PROTOCOL_ERROR (protocol error)"
    )
    assert results["code-1005"]["verdict"] == "pass"
    # 1002 where 1007 is due: the RFC leaves the code to the server.
    assert results["utf8-truncated"]["verdict"] == "pass"
    assert results["utf8-truncated"]["why"].startswith(
        "failed the connection with 1002, strictly 1007"
    )


def test_never_closing_tcp_fails(capsys: pytest.CaptureFixture[str], wrong_port: int) -> None:
    args = ["--scenario", "code-1000", "--scenario", "one-byte", "--scenario", "code-1000"]
    args += ["--timeout", TIMEOUT]  # the last --timeout counts
    status, output = probe(capsys, f"ws://127.0.0.1:{wrong_port}/never-closes", *args)
    assert status == 1
    results = by_name(output)
    assert list(results) == ["code-1000", "one-byte"]  # a repeated name runs once
    assert results["code-1000"]["why"] == (
        f"kept TCP open {TIMEOUT} s after its close frame: the server closes it first (§7.1.1)"
    )
    assert results["code-1000"]["closed_tcp"] is False
    assert results["code-1000"]["seconds"] >= float(TIMEOUT)
    assert results["one-byte"]["verdict"] == "fail"


def test_silence_fails(capsys: pytest.CaptureFixture[str], wrong_port: int) -> None:
    url = f"ws://127.0.0.1:{wrong_port}/silent"
    status, output = probe(capsys, url, "--scenario", "empty", "--timeout", TIMEOUT)
    assert status == 1
    [result] = output["results"]
    assert result["why"] == f"no close frame back, and TCP still open after {TIMEOUT} s"
    assert result["reply"] is None
    assert result["reply_code"] is None
    assert result["browsers"]["chromium"]["code"] == 1006


def test_reset_fails_a_valid_close_and_passes_an_invalid_one(
    capsys: pytest.CaptureFixture[str], wrong_port: int
) -> None:
    args = ["--scenario", "code-1000", "--scenario", "code-1006"]
    status, output = probe(capsys, f"ws://127.0.0.1:{wrong_port}/reset", *args)
    assert status == 1
    results = by_name(output)
    assert results["code-1000"]["verdict"] == "fail"
    assert results["code-1000"]["tcp"] == "reset"
    assert results["code-1000"]["why"].startswith("reset TCP without answering the close")
    assert results["code-1006"]["verdict"] == "pass"
    assert results["code-1006"]["why"].startswith(
        "reset TCP without a close frame (a strict server sends 1002 first)"
    )
    # Firefox and WebKit fire an error event on a reset; Chromium does not.
    assert results["code-1000"]["browsers"]["firefox"]["error_event"] is True
    assert results["code-1000"]["browsers"]["chromium"]["error_event"] is False


def test_dropping_without_a_close_frame(
    capsys: pytest.CaptureFixture[str], wrong_port: int
) -> None:
    status, output = probe(
        capsys, f"ws://127.0.0.1:{wrong_port}/drops-first", "--scenario", "code-1000"
    )
    assert status == 1
    # The probe's close may reach a socket already closed, which resets.
    why = output["results"][0]["why"]
    assert why.split(" TCP ")[0] in ("closed", "reset"), why
    assert why.endswith(" TCP without answering the close: a close frame is due back (§5.5.1)")


def test_frames_after_the_close_fail(capsys: pytest.CaptureFixture[str], wrong_port: int) -> None:
    status, output = probe(
        capsys, f"ws://127.0.0.1:{wrong_port}/chatty", "--scenario", "code-1000"
    )
    assert status == 1
    [result] = output["results"]
    assert result["frames"] == ["close", "text"]
    assert (
        result["why"] == "sent a text frame after its close frame: nothing may follow one (§5.5.1)"
    )


# -- the server closing first ---------------------------------------------------


@pytest.mark.parametrize(
    ("path", "verdict", "why"),
    [
        ("/closes-first", "pass", "closed with 1001 'bye', then closed TCP after the echo"),
        # Its FIN and the probe's echo cross: reset or closed, by chance.
        ("/closes-first-at-once", "pass", "closed with 1001 'bye', then "),
        (
            "/closes-first-1005",
            "fail",
            "its close frame is invalid: close code 1005 NO_STATUS_RCVD",
        ),
        (
            "/drops-first",
            "fail",
            "closed TCP without a close frame: a page sees 1006 (abnormal closure)",
        ),
        ("/silent", "pass", "did not close within 0.2 s: nothing to judge"),
        ("/never-closes", "pass", "did not close within 0.2 s: nothing to judge"),
        (
            "/closes-first-stays",
            "fail",
            f"kept TCP open {TIMEOUT} s after the echo: the server closes it first (§7.1.1)",
        ),
    ],
)
def test_server_close(
    capsys: pytest.CaptureFixture[str], wrong_port: int, path: str, verdict: str, why: str
) -> None:
    args = ["--wait-for-server-close", "0.2", "--scenario", "server-close"]
    if path.endswith("-stays"):
        args += ["--timeout", TIMEOUT]
    status, output = probe(capsys, f"ws://127.0.0.1:{wrong_port}{path}", *args)
    [result] = output["results"]
    assert (result["verdict"], status) == (verdict, 0 if verdict == "pass" else 1)
    assert result["why"].startswith(why), result
    if path == "/closes-first":
        # The probe's echo, masked, as a client's must be.
        assert result["reply"] == "03e9627965"
        sent = bytes.fromhex(result["sent"])
        assert sent[1] & 0x80
        echo = ClosingHandshake(Role.SERVER).receive_close_frame(sent).close
        assert echo is not None
        assert (echo.code, echo.reason) == (1001, "bye")


def test_server_close_against_websockets(
    capsys: pytest.CaptureFixture[str], websockets_port: int
) -> None:
    # websockets never closes an idle connection first: all but server-close as ever.
    status, output = probe(
        capsys, f"ws://127.0.0.1:{websockets_port}/", "--wait-for-server-close", "0.1"
    )
    assert status == 0
    assert [r["scenario"] for r in output["results"]] == [*NAMES, SERVER_CLOSE.name]
    assert output["results"][-1]["why"] == "did not close within 0.1 s: nothing to judge"


# -- the command line -------------------------------------------------------------


def test_json_keys(capsys: pytest.CaptureFixture[str], wrong_port: int) -> None:
    _, output = probe(
        capsys, f"ws://127.0.0.1:{wrong_port}/accept-all", "--scenario", "utf8-overlong"
    )
    assert list(output) == ["url", "results", "summary"]
    [result] = output["results"]
    assert list(result) == list(RESULT_KEYS)
    assert result["payload"] == "03e86f6bc0af"
    assert result["expected"] == "03ef"  # 1007, no reason
    assert result["reply"] == "03e8"
    assert (result["reply_code"], result["reply_reason"]) == (1000, "")
    sent = bytes.fromhex(result["sent"])
    assert sent[0] == 0x88
    assert sent[1] == 0x80 | 6  # masked, as a client must


def test_table(capsys: pytest.CaptureFixture[str], wrong_port: int) -> None:
    args = ["--timeout", ANSWERED, "--scenario", "code-1000", "--scenario", "code-1005"]
    status = main(["probe", f"ws://127.0.0.1:{wrong_port}/echo-unchecked", *args])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    assert lines[0].split() == [
        "scenario", "sent", "answer", "verdict", "chromium", "firefox", "webkit", "why",
    ]  # fmt: skip
    assert lines[1].split()[:8] == [
        "code-1000",
        "03e8",
        "1000,",
        "TCP",
        "closed",
        "pass",
        "1000",
        "1000",
    ]
    assert lines[2].split()[:7] == [
        "code-1005",
        "03ed",
        "invalid",
        "03ed,",
        "TCP",
        "closed",
        "fail",
    ]
    assert "1006 error" in lines[2]
    assert lines[3].startswith("2 scenarios, 1 pass, 1 fail, in ")
    assert lines[3].endswith(f": ws://127.0.0.1:{wrong_port}/echo-unchecked")


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [*NAMES, "server-close"]
    assert main(["probe", "--list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["scenarios"]
    assert rows[0] == {"scenario": "code-1000", "description": "close 1000"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "probe needs a ws:// or wss:// URL (or --list)"),
        (["http://x/"], "not a ws:// or wss:// URL: 'http://x/'"),
        (["ws://x/#a"], "a WebSocket URL has no fragment (RFC 6455 §3): 'ws://x/#a'"),
        (["ws://x:99999/"], "not a valid port in 'ws://x:99999/'"),
        (["ws:///path"], "no host in 'ws:///path'"),
        (["ws://x/", "-H", "no colon"], "a header is 'Name: value' on one line, got 'no colon'"),
        (["ws://x/", "-H", "Sec-WebSocket-Key: x"], "the probe writes Sec-WebSocket-Key itself"),
        (
            ["ws://x/", "--scenario", "nope"],
            "no scenario 'nope' (closeframe probe --list names them)",
        ),
        (
            ["ws://x/", "--scenario", "server-close"],
            "server-close needs --wait-for-server-close SECONDS",
        ),
        (
            ["ws://x/", "--timeout", "0"],
            "argument --timeout: not a number of seconds in (0, 600]: '0'",
        ),
        (
            ["ws://x/", "--timeout", "soon"],
            "argument --timeout: not a number of seconds in (0, 600]: 'soon'",
        ),
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(["probe", *args]) == 2
    assert capsys.readouterr().err == f"closeframe: error: {message}\n"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_connection_errors(capsys: pytest.CaptureFixture[str], wrong_port: int) -> None:
    port = closed_port()
    assert main(["probe", f"ws://127.0.0.1:{port}/"]) == 2
    assert (
        capsys.readouterr().err
        == f"closeframe: error: cannot connect to 127.0.0.1:{port}: Connection refused\n"
    )
    assert main(["probe", f"ws://127.0.0.1:{wrong_port}/not-websocket"]) == 2
    assert capsys.readouterr().err == (
        "closeframe: error: the server did not switch to WebSocket: 'HTTP/1.1 404 Not Found'\n"
    )
    assert main(["probe", f"ws://127.0.0.1:{wrong_port}/bad-accept"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("closeframe: error: Sec-WebSocket-Accept is 'wrong', expected '")


def test_handshake_cut_short(capsys: pytest.CaptureFixture[str], wrong_port: int) -> None:
    assert main(["probe", f"ws://127.0.0.1:{wrong_port}/hangs-up"]) == 2
    assert capsys.readouterr().err == (
        "closeframe: error: the server closed the connection during the handshake\n"
    )
    assert main(["probe", f"ws://127.0.0.1:{wrong_port}/endless-head"]) == 2
    assert capsys.readouterr().err.startswith(
        "closeframe: error: no end to the server's response in "
    )


def test_reading_stops_at_a_mebibyte(capsys: pytest.CaptureFixture[str], wrong_port: int) -> None:
    # The whole timeout is 20 s: the probe stops once 1 MiB has come, long before.
    start = time.monotonic()
    status = main(
        [
            "probe",
            "--json",
            "--timeout",
            "20",
            "--scenario",
            "code-1000",
            f"ws://127.0.0.1:{wrong_port}/floods",
        ]
    )
    assert time.monotonic() - start < 10
    [result] = json.loads(capsys.readouterr().out)["results"]
    assert status == 1
    assert result["reply"] is None
    assert result["tcp"] == "open"
    assert result["why"] == "no close frame back in the first MiB it sent, and TCP still open"
    # 15 whole 65,539-byte frames fit in the first MiB; more only when a read
    # happened to bring them past it.
    assert len(result["frames"]) >= 15
    assert set(result["frames"]) == {"binary"}


def test_tls(capsys: pytest.CaptureFixture[str], tls_port: int) -> None:
    url = f"wss://127.0.0.1:{tls_port}/echo-unchecked"
    status, output = probe(
        capsys, url, "--insecure", "--scenario", "code-1000", "--scenario", "half-close"
    )
    assert status == 0
    assert [r["verdict"] for r in output["results"]] == ["pass", "pass"]
    assert main(["probe", url, "--scenario", "code-1000"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"closeframe: error: the opening handshake with 127.0.0.1:{tls_port} failed: "
    )
    assert "self-signed certificate (--insecure skips the check)" in err


def test_tls_verified(
    capsys: pytest.CaptureFixture[str], tls_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The certificate trusted, as a CA bundle would be: verified, no --insecure.
    monkeypatch.setenv("SSL_CERT_FILE", str(CERT))
    for host in ("127.0.0.1", "localhost"):
        url = f"wss://{host}:{tls_port}/echo-unchecked"
        status, output = probe(capsys, url, "--scenario", "code-1000-reason")
        assert status == 0
        assert output["results"][0]["why"] == "echoed 1000 'bye', then closed TCP"


# -- the pieces --------------------------------------------------------------


def test_the_codec_opens_no_sockets() -> None:
    # The sans-IO codec, and the CLI until `probe` runs, load no network module.
    import subprocess
    import sys

    code = (
        "import sys, closeframe, closeframe.cli\n"
        "closeframe.cli._build_parser()\n"
        "names = {'socket', 'ssl', 'asyncio', 'closeframe.probe.command'}\n"
        "print(sorted(names & set(sys.modules)))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert found == "[]\n"


def test_target() -> None:
    target = _client.parse_target("wss://example.com/a?b=1", ["Origin: https://x", "Host: y"])
    assert (target.secure, target.host, target.port, target.resource) == (
        True,
        "example.com",
        443,
        "/a?b=1",
    )
    assert target.headers == (("Origin", "https://x"), ("Host", "y"))
    request = _client._request(target, b"key").decode()
    assert request.startswith("GET /a?b=1 HTTP/1.1\r\nHost: y\r\nUpgrade: websocket\r\n")
    assert request.endswith("Sec-WebSocket-Version: 13\r\nOrigin: https://x\r\n\r\n")
    plain = _client.parse_target("ws://[::1]:8080")
    assert (plain.port, plain.resource) == (8080, "/")
    assert _client._request(plain, b"k").split(b"\r\n")[1] == b"Host: [::1]:8080"


@pytest.mark.parametrize(
    ("head", "message"),
    [
        ("HTTP/1.1 200 OK", "the server did not switch to WebSocket: 'HTTP/1.1 200 OK'"),
        ("HTTP/1.1 101 x\r\nUpgrade: h2c", "Upgrade is 'h2c', not websocket"),
        (
            "HTTP/1.1 101 x\r\nUpgrade: WebSocket\r\nConnection: keep-alive",
            "Connection is 'keep-alive', without Upgrade",
        ),
        (
            "HTTP/1.1 101 x\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nConnection: upgrade"
            "\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Extensions: permessage-deflate",
            "the server chose an extension that was not offered: 'permessage-deflate'",
        ),
    ],
)
def test_response_checks(head: str, message: str) -> None:
    key = b"dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 §1.3's example
    assert _client._accept(key) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    with pytest.raises(_client.HandshakeError) as failure:
        _client._check_response(head.format(accept=_client._accept(key)).encode(), key)
    assert str(failure.value) == message


def test_frames() -> None:
    key = b"\x01\x02\x03\x04"
    assert _wire.build_frame(0x8, b"", mask_key=None) == b"\x88\x00"
    assert _wire.build_frame(0x1, b"a", mask_key=None, fin=False, rsv=5) == b"\x51\x01a"
    long = _wire.build_frame(0x2, b"x" * 126, mask_key=key)
    assert long[:4] == b"\x82\xfe\x00\x7e"
    huge = _wire.build_frame(0x2, b"x" * 65536, mask_key=None)
    assert huge[:10] == b"\x82\x7f" + (65536).to_bytes(8, "big")
    stream = long + _wire.build_frame(0x8, b"\x03\xe8", mask_key=None) + b"\x88"
    frames, used = _wire.split_frames(stream)
    assert used == len(stream) - 1
    assert [(f.name, f.payload) for f in frames] == [
        ("binary", b"x" * 126),
        ("close", b"\x03\xe8"),
    ]
    assert _wire.ServerFrame(0x3, b"\x83\x00").name == "opcode 0x3"
