"""The Autobahn|Testsuite against examples/echo.py, in both roles, on both codecs.

``tox -e autobahn`` runs this.  It makes (once) a Python 2.7 virtualenv
holding the suite's pinned dependencies (``requirements-py27.txt``:
``wstest`` is Python 2 code), then

- ``wstest -m fuzzingclient``: the suite connects to two echo servers, one
  on the compiled codec and one on pure Python (``CLOSEFRAME_NO_EXTENSIONS=1``);
- ``wstest -m fuzzingserver``: the two echo clients connect to the suite.

Every case but 9.* (performance) and 12.*/13.* (compression) runs.  The run
fails unless every case is OK or INFORMATIONAL on both ``behavior`` and
``behaviorClose``, and unless, in every 7.* case (the close cases), the close
our side sent back is exactly what closeframe decides for the payload the
suite sent (the same code and reason echoed, or the failing code with no
reason; the suite checks only that the code is among those it allows), and
the TCP connection closed in the order RFC 6455 §7.1.1 asks (the server
first after a clean close).  The suite's HTML reports are written to
``reports/autobahn/servers/index.html`` and ``reports/autobahn/clients/index.html``.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import glob
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from closeframe import CloseFrameError, parse_close_payload

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ECHO = ROOT / "examples" / "echo.py"
REQUIREMENTS = HERE / "requirements-py27.txt"
EXCLUDED = ["9.*", "12.*", "13.*"]
SECTIONS = ["1", "2", "3", "4", "5", "6", "7", "10"]
PASSING = {"OK", "INFORMATIONAL"}
#: Agent name -> the codec its peer process must report.
CODECS = {"closeframe-c": "c", "closeframe-python": "python"}
WSTEST_TIMEOUT = 600


class AutobahnError(Exception):
    """The suite, a peer or one of our own checks failed."""


def find_python27() -> str:
    """$PYTHON27, pyenv's 2.7, or a python2.7 on PATH that runs: loudly missing otherwise."""
    if env := os.environ.get("PYTHON27"):
        return env
    candidates = []
    if pyenv := shutil.which("pyenv"):
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=True)
        candidates += sorted(glob.glob(f"{root.stdout.strip()}/versions/2.7*/bin/python2.7"))[::-1]
    if found := shutil.which("python2.7"):
        candidates.append(found)  # maybe a pyenv shim that fails: tried last
    for candidate in candidates:
        if (
            subprocess.run([candidate, "-c", "pass"], check=False, capture_output=True).returncode
            == 0
        ):
            return candidate
    raise AutobahnError(
        f"no Python 2.7 runs (tried {candidates}): wstest needs one"
        " (pyenv install 2.7.18, or set PYTHON27)"
    )


def install_wstest(venv: Path) -> Path:
    """The Python 2.7 virtualenv with wstest, made again whenever the pins change."""
    wstest = venv / "bin" / "wstest"
    stamp = venv / "requirements.sha256"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if wstest.exists() and stamp.exists() and stamp.read_text() == digest:
        return wstest
    shutil.rmtree(venv, ignore_errors=True)
    # virtualenv 20.21 is the last to create Python 2.7 environments.
    python27 = find_python27()
    subprocess.run(
        [sys.executable, "-m", "virtualenv", "-q", "-p", python27, str(venv)], check=True
    )
    pip = [str(venv / "bin" / "python"), "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "-r", str(REQUIREMENTS)], check=True)
    if not wstest.exists():
        raise AutobahnError(f"{wstest} missing after installing {REQUIREMENTS}")
    stamp.write_text(digest)
    return wstest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AutobahnError(f"{what} exited with status {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise AutobahnError(f"{what} is not listening on port {port} after 30 s")


def codec_env(codec: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CLOSEFRAME_NO_EXTENSIONS", None)
    if codec == "python":
        env["CLOSEFRAME_NO_EXTENSIONS"] = "1"
    return env


def check_codec(first_line: str, agent: str) -> None:
    """The peer prints ``closeframe <IMPLEMENTATION>`` first: the codec it runs on."""
    if first_line.strip() != f"closeframe {CODECS[agent]}":
        raise AutobahnError(f"{agent}: the peer runs {first_line.strip()!r}")


@contextlib.contextmanager
def echo_servers() -> Iterator[dict[str, int]]:
    """One echo server per codec, each on its own port."""
    processes, ports = [], {}
    try:
        for agent, codec in CODECS.items():
            port = free_port()
            process = subprocess.Popen(
                [sys.executable, str(ECHO), "server", "--port", str(port)],
                env=codec_env(codec),
                stdout=subprocess.PIPE,
                text=True,
            )
            processes.append(process)
            assert process.stdout is not None
            check_codec(process.stdout.readline(), agent)
            wait_for_port(port, process, f"the echo server for {agent}")
            ports[agent] = port
        yield ports
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)


def run_fuzzingclient(wstest: Path, outdir: Path) -> None:
    """The suite as the client, against our two servers."""
    with echo_servers() as ports:
        spec = {
            "outdir": str(outdir),
            "servers": [
                {"agent": agent, "url": f"ws://127.0.0.1:{port}"} for agent, port in ports.items()
            ],
            "cases": ["*"],
            "exclude-cases": EXCLUDED,
            "exclude-agent-cases": {},
        }
        spec_file = outdir.parent / "fuzzingclient.json"
        spec_file.write_text(json.dumps(spec, indent=2))
        subprocess.run(
            [str(wstest), "-m", "fuzzingclient", "-s", str(spec_file)],
            cwd=outdir.parent,
            stdout=subprocess.DEVNULL,
            check=True,
            timeout=WSTEST_TIMEOUT,
        )


def run_fuzzingserver(wstest: Path, outdir: Path) -> None:
    """The suite as the server; our two clients run its cases one after the other."""
    port = free_port()
    spec = {
        "url": f"ws://127.0.0.1:{port}",
        "outdir": str(outdir),
        "webport": 0,
        "cases": ["*"],
        "exclude-cases": EXCLUDED,
        "exclude-agent-cases": {},
    }
    spec_file = outdir.parent / "fuzzingserver.json"
    spec_file.write_text(json.dumps(spec, indent=2))
    suite = subprocess.Popen(
        [str(wstest), "-m", "fuzzingserver", "-s", str(spec_file), "--webport", "0"],
        cwd=outdir.parent,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_for_port(port, suite, "wstest -m fuzzingserver")
        for agent, codec in CODECS.items():
            client = subprocess.run(
                [sys.executable, str(ECHO), "client", f"ws://127.0.0.1:{port}", "--agent", agent],
                env=codec_env(codec),
                check=False,
                capture_output=True,
                text=True,
                timeout=WSTEST_TIMEOUT,
            )
            if client.returncode != 0:
                raise AutobahnError(f"the echo client for {agent} failed:\n{client.stderr}")
            check_codec(client.stdout.splitlines()[0], agent)
    finally:
        suite.terminate()
        suite.wait(10)


def section(case_id: str) -> str:
    return case_id.split(".", 1)[0]


def sent_close_payload(case: dict[str, Any]) -> bytes:
    """The payload of the suite's first close frame, rebuilt and checked against its wire log.

    The report keeps the suite's close code and reason (the reason as hex
    when it is not UTF-8); the wire log keeps the payload's length and its
    first bytes (as text when printable, else as ``0x`` hex, cut short
    with `` ...``).
    """
    logged = next(entry[1] for entry in case["wirelog"] if entry[0] == "TF" and entry[2] == 8)
    length: int = logged[0]
    shown: str = logged[1]
    code: int | None = case["localCloseCode"]
    reason: str = case["localCloseReason"] or ""
    if code is None:
        payload = shown.encode("latin-1")
    else:
        payload = code.to_bytes(2, "big") + reason.encode()
        if len(payload) != length:
            payload = code.to_bytes(2, "big") + bytes.fromhex(reason)
    prefix = shown[2:].removesuffix(" ...") if shown.startswith("0x") else shown.encode().hex()
    if len(payload) != length or not payload.hex().startswith(prefix):
        raise AutobahnError(f"{case['id']}: cannot rebuild the close payload from {logged}")
    return payload


def check_close_case(case: dict[str, Any], *, our_role: str) -> list[str]:
    """Our own assertions on a 7.* case: the reply closeframe decided, and the TCP order."""
    problems = []
    payload = sent_close_payload(case)
    want_code: int | None
    try:
        close = parse_close_payload(payload)
    except CloseFrameError as exc:
        # The connection fails with the error's code, and no reason.
        want_code, want_reason, clean = exc.close_code, None, False
    else:
        # The echo: the same code and reason; an empty payload echoed empty.
        clean = True
        want_code = None if not payload else int(close.code)
        want_reason = close.reason or None
    got = (case["remoteCloseCode"], case["remoteCloseReason"])
    if got != (want_code, want_reason):
        problems.append(f"replied {got}, closeframe decides {(want_code, want_reason)}")
    if case["wasCloseHandshakeTimeout"] or case["wasServerConnectionDropTimeout"]:
        problems.append("a timeout: the peer waited instead of closing")
    # §7.1.1: the server closes TCP first.  The suite as the client must not
    # have dropped it; as the server, after a clean close, it dropped it
    # (a client that failed the connection may close first, §7.1.7).
    if our_role == "server" and case["droppedByMe"]:
        problems.append("the suite (client) closed TCP before our server")
    if our_role == "client" and clean and not case["droppedByMe"]:
        problems.append("our client closed TCP before the suite (server)")
    return [f"{case['id']} ({our_role}, {case['agent']}): {problem}" for problem in problems]


def check_reports(
    outdir: Path, our_role: str
) -> tuple[dict[str, collections.Counter[str]], list[str]]:
    """Every case's verdicts and our own checks; per agent, a tally per section."""
    index = json.loads((outdir / "index.json").read_text())
    problems: list[str] = []
    tallies: dict[str, collections.Counter[str]] = {}
    if sorted(index) != sorted(CODECS):
        problems.append(f"{our_role}: agents {sorted(index)}, expected {sorted(CODECS)}")
    case_sets = {agent: frozenset(cases) for agent, cases in index.items()}
    if len(set(case_sets.values())) > 1:
        problems.append(f"{our_role}: the agents ran different cases")
    for agent, cases in sorted(index.items()):
        tally: collections.Counter[str] = collections.Counter()
        seen = {section(case_id) for case_id in cases}
        if seen != set(SECTIONS):
            problems.append(f"{our_role} {agent}: sections {sorted(seen)}, expected {SECTIONS}")
        for case_id, verdict in cases.items():
            behavior, behavior_close = verdict["behavior"], verdict["behaviorClose"]
            tally[f"{section(case_id)} {behavior}/{behavior_close}"] += 1
            if behavior not in PASSING or behavior_close not in PASSING:
                problems.append(f"{case_id} ({our_role}, {agent}): {behavior}/{behavior_close}")
            if section(case_id) == "7":
                case = json.loads((outdir / verdict["reportfile"]).read_text())
                problems += check_close_case(case, our_role=our_role)
        tallies[agent] = tally
    return tallies, problems


def print_tally(our_role: str, tallies: dict[str, collections.Counter[str]]) -> None:
    for agent, tally in sorted(tallies.items()):
        total = sum(tally.values())
        print(f"{our_role} {agent}: {total} cases")
        for key in sorted(tally, key=lambda k: (int(k.split()[0]), k)):
            print(f"    section {key}: {tally[key]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--venv", type=Path, required=True, help="the Python 2.7 virtualenv for wstest"
    )
    parser.add_argument("--reports", type=Path, default=ROOT / "reports" / "autobahn")
    args = parser.parse_args()
    started = time.monotonic()
    wstest = install_wstest(args.venv.resolve())  # wstest runs in the reports folder
    print(f"wstest: {wstest} ({time.monotonic() - started:.0f} s to set up)")
    problems: list[str] = []
    counts = {}
    for our_role, run in (("server", run_fuzzingclient), ("client", run_fuzzingserver)):
        outdir = args.reports.resolve() / f"{our_role}s"
        shutil.rmtree(outdir, ignore_errors=True)
        outdir.mkdir(parents=True)
        began = time.monotonic()
        run(wstest, outdir)
        tallies, found = check_reports(outdir, our_role)
        print_tally(our_role, tallies)
        print(f"    ({time.monotonic() - began:.0f} s); report: {outdir / 'index.html'}")
        problems += found
        counts[our_role] = {sum(tally.values()) for tally in tallies.values()}
    # The same cases in both roles (the suite's own list, less the excluded sections).
    if counts["server"] != counts["client"] or len(counts["server"]) != 1:
        problems.append(f"case counts differ between roles and codecs: {counts}")
    for problem in problems:
        print("FAIL", problem)
    print(f"{len(problems)} problems; {time.monotonic() - started:.0f} s in all")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
