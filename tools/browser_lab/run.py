"""Run every scenario in one or more browser engines; write one JSON file per run.

::

    python tools/browser_lab/run.py chromium firefox webkit --runs 3
    python tools/browser_lab/run.py webkit --only code-1000,page-nan

Engines (all Debian packages, nothing downloaded):

``chromium``
    Playwright's async API with ``executable_path=/usr/bin/chromium``,
    headless (``CLOSEFRAME_CHROMIUM`` overrides the path).
``firefox``
    ``firefox-esr --headless --no-remote --profile <fresh tmpdir> <url>``,
    with a ``user.js`` (:data:`FIREFOX_PREFS`) that turns off first-run
    pages, telemetry, updates and every background connection.  No
    WebSocket preference is touched.
``webkit``
    WebKitGTK's MiniBrowser (``MINIBROWSER`` overrides the path) under a
    private Xvfb, with a fresh ``HOME``/XDG tree.
``webkit-webdriver``
    The same MiniBrowser driven through WebKitWebDriver (plain HTTP
    WebDriver calls, stdlib only): what a CI test would use.

The probe server (:mod:`probe_server`) runs in this process, on 127.0.0.1
and a free port.  A run ends when the page POSTs ``/done`` (or after
``--timeout`` seconds); then only the processes this runner started are
stopped, by PID: the browser, every process in the session it was started
in, Xvfb and the WebDriver.  Results go to ``results/<engine>-<n>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import probe_server
import scenarios as sc

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CHROMIUM = os.environ.get("CLOSEFRAME_CHROMIUM", "/usr/bin/chromium")
FIREFOX = os.environ.get("FIREFOX", "/usr/bin/firefox-esr")
MINIBROWSER = os.environ.get("MINIBROWSER", "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser")
WEBKITWEBDRIVER = os.environ.get("WEBKITWEBDRIVER", "/usr/bin/WebKitWebDriver")
PACKAGES = ["chromium", "firefox-esr", "libwebkit2gtk-4.1-0", "webkit2gtk-driver", "xvfb"]

# Headless, and nothing that reaches beyond loopback (as tests/browser does).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: A fresh profile's user.js: no first-run page, telemetry, update or
#: background network traffic.  Nothing here touches network.websocket.*.
FIREFOX_PREFS: dict[str, bool | int | str] = {
    "app.normandy.enabled": False,
    "app.normandy.api_url": "",
    "app.shield.optoutstudies.enabled": False,
    "app.update.auto": False,
    "app.update.checkInstallTime": False,
    "app.update.disabledForTesting": True,
    "browser.aboutwelcome.enabled": False,
    "browser.discovery.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.ping-centre.telemetry": False,
    "browser.region.network.url": "",
    "browser.region.update.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.provider.google4.updateURL": "",
    "browser.search.geoip.url": "",
    "browser.search.update": False,
    "browser.sessionstore.resume_from_crash": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.tabs.warnOnClose": False,
    "browser.warnOnQuit": False,
    "captivedetect.canonicalURL": "",
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.policy.firstRunURL": "",
    "dom.push.connection.enabled": False,
    "extensions.blocklist.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.update.enabled": False,
    "geo.provider.network.url": "",
    "identity.fxaccounts.enabled": False,
    "media.gmp-manager.url": "",
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.http.speculative-parallel-limit": 0,
    "network.predictor.enabled": False,
    "network.prefetch-next": False,
    "network.proxy.type": 0,
    "network.trr.mode": 5,
    "security.OCSP.enabled": 0,
    "services.settings.server": "",
    "startup.homepage_welcome_url": "",
    "startup.homepage_welcome_url.additional": "",
    "toolkit.startup.max_resumed_crashes": -1,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "toolkit.telemetry.server": "",
    "toolkit.telemetry.unified": False,
}

JSON = dict[str, Any]


def package_versions() -> dict[str, str]:
    versions = {}
    for package in PACKAGES:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Version}", package],
            capture_output=True,
            text=True,
            check=False,
        )
        versions[package] = result.stdout.strip() or "not installed"
    return versions


def _session_and_parent(pid: int) -> tuple[int, int] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[3]), int(fields[1])  # session id, parent pid


def our_processes(root: int) -> list[int]:
    """*root* and every process descended from it or in its session (it leads one)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (info := _session_and_parent(int(entry.name))):
            table[int(entry.name)] = info
    found = {root} if root in table else set()
    found |= {pid for pid, (session, _) in table.items() if session == root}
    changed = True
    while changed:
        children = {pid for pid, (_, parent) in table.items() if parent in found} - found
        changed = bool(children)
        found |= children
    return sorted(found)


class Process:
    """A process this runner started, in a new session; stopped by PID only."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process) -> None:
        self.name, self.proc = name, proc
        self.exited_early = False

    @classmethod
    async def start(
        cls, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None, **kw: Any
    ) -> Process:
        with log.open("ab") as out:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                **kw,
            )
        return cls(name, proc)

    async def stop(self, grace: float = 5.0) -> None:
        pids = our_processes(self.proc.pid)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.proc.wait(), grace)
        await asyncio.sleep(0.2)
        for pid in pids + our_processes(self.proc.pid):
            if _session_and_parent(pid) is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            await self.proc.wait()


def free_display() -> int:
    """A display number with neither a lock file nor a socket (X servers' own convention)."""
    for number in range(90, 400):
        lock = Path(f"/tmp/.X{number}-lock")
        sock = Path(f"/tmp/.X11-unix/X{number}")
        if not lock.exists() and not sock.exists():
            return number
    raise RuntimeError("no free X display number in :90-:399")


@contextlib.asynccontextmanager
async def xvfb(workdir: Path) -> AsyncIterator[str]:
    """A private X server on a free display; yields its DISPLAY once it accepts clients."""
    for _attempt in range(5):
        number = free_display()
        argv = ["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"]
        server = await Process.start("Xvfb", argv, workdir / "xvfb.log")
        sock = Path(f"/tmp/.X11-unix/X{number}")
        for _ in range(100):
            if sock.exists() or server.proc.returncode is not None:
                break
            await asyncio.sleep(0.1)
        if server.proc.returncode is None and sock.exists():
            break
        await server.stop()  # lost a race for the display, or failed: try another
    else:
        raise RuntimeError(f"Xvfb did not start; see {workdir / 'xvfb.log'}")
    try:
        yield f":{number}"
    finally:
        await server.stop()


async def until_done_or_exit(done: asyncio.Event, browser: Process) -> None:
    """Wait for the page's /done; if the browser exits first, end the run (done is set)."""
    finished = asyncio.ensure_future(done.wait())
    exited = asyncio.ensure_future(browser.proc.wait())
    await asyncio.wait({finished, exited}, return_when=asyncio.FIRST_COMPLETED)
    if not done.is_set():
        browser.exited_early = True
        done.set()
    exited.cancel()
    await asyncio.gather(finished, exited, return_exceptions=True)


def fresh_env(home: Path, **extra: str) -> dict[str, str]:
    """A minimal environment with a fresh HOME and XDG tree under *home*."""
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "LANG", "LC_ALL", "TZ"}}
    for sub in ("config", "cache", "data", "runtime"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    (home / "runtime").chmod(0o700)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_RUNTIME_DIR=str(home / "runtime"),
        NO_AT_BRIDGE="1",
    )
    env.update(extra)
    return env


Driver = Callable[[str, "asyncio.Event", Path, JSON], Coroutine[Any, Any, None]]


async def drive_chromium(url: str, done: asyncio.Event, workdir: Path, info: JSON) -> None:
    from playwright.async_api import async_playwright  # noqa: PLC0415

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        info["browser_version"] = browser.version
        try:
            page = await browser.new_page()
            await page.goto(url)
            await done.wait()
        finally:
            await browser.close()


async def drive_firefox(url: str, done: asyncio.Event, workdir: Path, info: JSON) -> None:
    profile = workdir / "profile"
    profile.mkdir()
    (profile / "user.js").write_text(
        "".join(
            f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in FIREFOX_PREFS.items()
        )
    )
    env = fresh_env(workdir / "home", MOZ_CRASHREPORTER_DISABLE="1")
    version = subprocess.run(
        [FIREFOX, "--version"], capture_output=True, text=True, env=env, check=False
    )
    info["browser_version"] = version.stdout.strip()
    argv = [FIREFOX, "--headless", "--no-remote", "--profile", str(profile), url]
    browser = await Process.start("firefox", argv, workdir / "browser.log", env)
    try:
        await until_done_or_exit(done, browser)
        info["browser_exited_early"] = browser.exited_early
    finally:
        await browser.stop()


def webkit_env(workdir: Path, display: str) -> dict[str, str]:
    return fresh_env(
        workdir / "home",
        DISPLAY=display,
        LIBGL_ALWAYS_SOFTWARE="1",
        WEBKIT_DISABLE_COMPOSITING_MODE="1",
        GTK_A11Y="none",
    )


async def drive_webkit(url: str, done: asyncio.Event, workdir: Path, info: JSON) -> None:
    async with xvfb(workdir) as display:
        env = webkit_env(workdir, display)
        version = subprocess.run(
            [MINIBROWSER, "--version"], capture_output=True, text=True, env=env, check=False
        )
        info["browser_version"] = version.stdout.strip()
        browser = await Process.start(
            "MiniBrowser", [MINIBROWSER, url], workdir / "browser.log", env
        )
        try:
            await until_done_or_exit(done, browser)
            info["browser_exited_early"] = browser.exited_early
        finally:
            await browser.stop()


def webdriver(method: str, url: str, body: JSON | None = None, timeout: float = 60) -> JSON:
    """One plain W3C WebDriver call (blocking; run it in a thread)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer: JSON = json.loads(response.read() or b"{}")
    return answer


def free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def drive_webkit_webdriver(url: str, done: asyncio.Event, workdir: Path, info: JSON) -> None:
    async with xvfb(workdir) as display:
        env = webkit_env(workdir, display)
        version = subprocess.run(
            [MINIBROWSER, "--version"], capture_output=True, text=True, env=env, check=False
        )
        info["browser_version"] = version.stdout.strip()
        port = free_port()
        driver = await Process.start(
            "WebKitWebDriver",
            [WEBKITWEBDRIVER, f"--port={port}"],
            workdir / "webdriver.log",
            env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                with contextlib.suppress(OSError):
                    await asyncio.to_thread(webdriver, "GET", f"{base}/status", None, 2)
                    break
                await asyncio.sleep(0.1)
            caps = {
                "capabilities": {
                    "alwaysMatch": {
                        "webkitgtk:browserOptions": {
                            "binary": MINIBROWSER,
                            "args": ["--automation"],
                        }
                    }
                }
            }
            session = await asyncio.to_thread(webdriver, "POST", f"{base}/session", caps)
            session_url = f"{base}/session/{session['value']['sessionId']}"
            info["webdriver_capabilities"] = session["value"].get("capabilities")
            # Navigation returns once the page loaded; the scenarios then run on their own.
            await asyncio.to_thread(webdriver, "POST", f"{session_url}/url", {"url": url})
            await until_done_or_exit(done, driver)
            info["browser_exited_early"] = driver.exited_early
            with contextlib.suppress(OSError):
                await asyncio.to_thread(webdriver, "DELETE", session_url, None, 20)
        finally:
            await driver.stop()


DRIVERS: dict[str, Driver] = {
    "chromium": drive_chromium,
    "firefox": drive_firefox,
    "webkit": drive_webkit,
    "webkit-webdriver": drive_webkit_webdriver,
}


async def run_once(
    engine: str, number: int, selected: list[sc.ServerScenario | sc.PageScenario], timeout: float
) -> JSON:
    server = probe_server.ProbeServer(selected)
    port = await server.start()
    url = f"http://127.0.0.1:{port}/"
    info: JSON = {}
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix=f"browser_lab-{engine}-"))
    outcome = "done"

    async def until_done() -> None:
        nonlocal outcome
        try:
            await asyncio.wait_for(server.done.wait(), timeout)
        except TimeoutError:
            outcome = "timeout"
            server.done.set()

    try:
        watchdog = asyncio.ensure_future(until_done())
        await DRIVERS[engine](url, server.done, workdir, info)
        watchdog.cancel()
        await asyncio.gather(watchdog, return_exceptions=True)
        if info.get("browser_exited_early"):
            outcome = "browser exited early"
    finally:
        elapsed = time.monotonic() - started
        await server.stop()
        logs = {p.name: p.read_text(errors="replace")[-4000:] for p in workdir.glob("*.log")}
        shutil.rmtree(workdir, ignore_errors=True)
    results: JSON = {}
    for scenario in selected:
        results[scenario.id] = {
            "page": server.page_results.get(scenario.id),
            "server": server.records.get(scenario.id, []),
        }
    return {
        "engine": engine,
        "run": number,
        "outcome": outcome,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "pass_seconds": round(elapsed, 1),
        "page_seconds": round(server.done_at - server.hello_at, 1) if server.done_at else None,
        "user_agent": server.hello.get("userAgent"),
        "packages": package_versions(),
        "scenario_fingerprint": sc.fingerprint(),
        "websocket_request_headers": server.ws_headers,
        "page_errors": server.page_results.get("__page_error__"),
        "logs_tail": logs,
        **info,
        "scenarios": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engines", nargs="+", choices=sorted(DRIVERS))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--first", type=int, default=1, help="number of the first run")
    parser.add_argument("--only", help="comma-separated scenario ids")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--retries", type=int, default=1, help="new attempts for a failed run")
    args = parser.parse_args()
    table = sc.by_id()
    selected = list(sc.ALL)
    if args.only:
        unknown = [sid for sid in args.only.split(",") if sid not in table]
        if unknown:
            parser.error(f"unknown scenario ids: {', '.join(unknown)}")
        selected = [table[sid] for sid in args.only.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    for engine in args.engines:
        for number in range(args.first, args.first + args.runs):
            for attempt in range(args.retries + 1):
                result = asyncio.run(run_once(engine, number, selected, args.timeout))
                missing = [sid for sid, r in result["scenarios"].items() if r["page"] is None]
                complete = result["outcome"] == "done" and not missing
                path = args.out / f"{engine}-{number}.json"
                if not complete:
                    # Kept for a look, out of the aggregator's way (it reads results/*.json).
                    (args.out / "failed").mkdir(exist_ok=True)
                    path = args.out / "failed" / f"{engine}-{number}-attempt{attempt + 1}.json"
                path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
                print(
                    f"{engine} run {number}: {result['outcome']} in {result['pass_seconds']} s,"
                    f" {len(selected) - len(missing)}/{len(selected)} scenarios -> {path}",
                    file=sys.stderr,
                )
                if complete:
                    break


if __name__ == "__main__":
    main()
