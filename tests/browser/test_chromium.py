"""Real Chromium against examples/server.py: its CloseEvents and close frames must match ours.

Each scenario is one line of data.  For a close the server sends, the page's
``CloseEvent``, whether an ``error`` event fired, and the close frame
Chromium sends back must equal :func:`closeframe.browser.predict_browser_outcome`.
The last column says whether the strict (default, RFC 6455) policy predicts
the same; where it does not, the comment says which text Chromium departs from.
For a close the page asks for, the exception ``ws.close()`` throws and the
frame the server receives must equal :func:`closeframe.browser.validate_browser_close`.

Run with ``tox -e browser`` (or ``pytest tests/browser``).  These tests never
skip: without playwright (``pip install playwright``; never ``playwright
install``) or without Debian's Chromium (``apt-get install -y chromium``),
every test fails with a message that says what is missing.
``CLOSEFRAME_CHROMIUM`` points at another Chromium binary.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple
from urllib.parse import quote

import pytest
from run import CHROMIUM_FLAGS  # the lab's flags: headless, nothing beyond loopback

from closeframe import (
    ApplicationCloseError,
    Close,
    CloseEvent,
    CloseFrameError,
    ClosingHandshake,
    Role,
    decode_close_frame,
    mask_payload,
    parse_close_payload,
    validate_application_close,
)
from closeframe.browser import BrowserOutcome, predict_browser_outcome, validate_browser_close
from loading import load_file

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CLOSEFRAME_CHROMIUM", "/usr/bin/chromium")
#: How long to wait for the server to finish a connection after the page saw it close.
RECORD_TIMEOUT = 10.0


class PageResult(NamedTuple):
    """What the page and the server saw of one scenario."""

    events: list[str]  # the page's WebSocket events in order: open, message, error, close
    thrown: str | None  # the DOMException name ws.close() threw, if any
    close_event: CloseEvent  # the page's CloseEvent
    received: list[bytes]  # the close frames the server received, raw (masked)

    @property
    def error_event(self) -> bool:
        return "error" in self.events


RunScenario = Callable[[str, "list[int | str | None] | None"], PageResult]


def load_example_server() -> ModuleType:
    return load_file("closeframe_example_server", ROOT / "examples" / "server.py")


@pytest.fixture(scope="session")
def example_server() -> Iterator[Any]:
    """examples/server.py, listening on 127.0.0.1 in a thread of its own."""
    example = load_example_server()
    scenarios = example.ScenarioServer()
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(scenarios.start(0))
        started.set()
        loop.run_forever()
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()

    thread = threading.Thread(target=serve, name="example-server", daemon=True)
    thread.start()
    assert started.wait(10), "the example server did not start"
    yield scenarios
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.fixture(scope="session")
def run_scenario(
    example_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunScenario]:
    """Run one scenario in Chromium: ``run_scenario(path, close_args)``.

    *close_args*: ``None`` when the server closes, else the arguments the page
    passes to ``ws.close()`` (``None`` for ``undefined``).
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(
            "the browser tests need the playwright package (pip install playwright;"
            " do not run 'playwright install': they use Debian's chromium)",
            pytrace=False,
        )
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's package"
            " (apt-get install -y chromium) or set CLOSEFRAME_CHROMIUM",
            pytrace=False,
        )
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh --user-data-dir
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{example_server.port}/")
        counter = iter(range(1_000_000))

        def run(path: str, close_args: list[int | str | None] | None = None) -> PageResult:
            record_id = f"t{next(counter)}"
            url = f"{path}{'&' if '?' in path else '?'}id={record_id}"
            seen = page.evaluate("([path, args]) => runScenario(path, args)", [url, close_args])
            deadline = time.monotonic() + RECORD_TIMEOUT
            while (record := example_server.records.get(record_id)) is None or (
                record.event is None
            ):
                assert time.monotonic() < deadline, f"the server never finished {url}"
                time.sleep(0.01)
            close = seen["close"]
            return PageResult(
                events=seen["events"],
                thrown=seen["thrown"],
                close_event=CloseEvent(close["code"], close["reason"], close["wasClean"]),
                received=list(record.received),
            )

        yield run
        context.close()


R123 = "é" * 61 + "x"  # 123 UTF-8 bytes, multi-byte: exactly the most a close frame holds
assert len(R123.encode()) == 123


def p(code: int, reason: bytes | str = b"") -> bytes:
    """A close payload, unchecked: any code, any reason bytes."""
    return code.to_bytes(2, "big") + (reason.encode() if isinstance(reason, str) else reason)


class ServerClose(NamedTuple):
    label: str
    payload: bytes | None  # the close payload the server sends; None: TCP dropped, no frame
    strict_agrees: bool  # does the strict policy predict what Chromium does?


# fmt: off
SERVER_CLOSES = [
    ServerClose("1000", p(1000), True),
    ServerClose("1000 reason", p(1000, "bye"), True),
    ServerClose("1000 123-byte reason", p(1000, R123), True),
    ServerClose("1001", p(1001), True),
    ServerClose("1001 reason", p(1001, "bye"), True),
    ServerClose("1001 123-byte reason", p(1001, R123), True),
    ServerClose("1011", p(1011), True),
    ServerClose("1011 reason", p(1011, "bye"), True),
    ServerClose("1011 123-byte reason", p(1011, R123), True),
    ServerClose("1012", p(1012), True),
    ServerClose("1012 reason", p(1012, "bye"), True),
    ServerClose("1012 123-byte reason", p(1012, R123), True),
    ServerClose("1013", p(1013), True),
    ServerClose("1013 reason", p(1013, "bye"), True),
    ServerClose("1013 123-byte reason", p(1013, R123), True),
    ServerClose("1014", p(1014), True),
    ServerClose("1014 reason", p(1014, "bye"), True),
    ServerClose("1014 123-byte reason", p(1014, R123), True),
    ServerClose("3000", p(3000), True),
    ServerClose("3000 reason", p(3000, "bye"), True),
    ServerClose("3000 123-byte reason", p(3000, R123), True),
    ServerClose("4999", p(4999), True),
    ServerClose("4999 reason", p(4999, "bye"), True),
    ServerClose("4999 123-byte reason", p(4999, R123), True),
    ServerClose("1002 reason", p(1002, "bye"), True),
    ServerClose("1003", p(1003), True),
    ServerClose("1007 reason", p(1007, "bye"), True),
    ServerClose("1010", p(1010), True),
    ServerClose("125-byte payload", p(1000, "a" * 123), True),
    ServerClose("empty payload", b"", True),
    ServerClose("TCP dropped, no close frame", None, True),  # no error event either
    # Protocol-only codes: Chromium fails the connection, as RFC 6455 §7.4.1 wants.
    ServerClose("1005 on the wire", p(1005), True),
    ServerClose("1005 with reason", p(1005, "why"), True),
    ServerClose("1006 on the wire", p(1006), True),
    ServerClose("1015 on the wire", p(1015), True),
    ServerClose("1-byte payload", b"\x03", True),
    # Codes RFC 6455 §7.4 forbids or reserves: Chromium passes them to the page
    # as a clean close and echoes them; the strict policy fails with 1002.
    ServerClose("0", p(0), False),
    ServerClose("999", p(999), False),
    ServerClose("999 reason", p(999, "why"), False),
    ServerClose("1004", p(1004), False),
    ServerClose("1004 reason", p(1004, "why"), False),
    ServerClose("1016", p(1016), False),
    ServerClose("2000", p(2000), False),
    ServerClose("2000 reason", p(2000, "why"), False),
    ServerClose("2999", p(2999), False),
    ServerClose("5000", p(5000), False),
    ServerClose("5000 reason", p(5000, "why"), False),
    ServerClose("65535", p(65535), False),
    # Invalid UTF-8: Chromium fails with 1002, not the 1007 of RFC 6455 §8.1.
    ServerClose("reason 0xff", p(1000, b"\xff"), False),
    ServerClose("reason overlong '/'", p(1000, b"\xc0\xaf"), False),
    ServerClose("reason surrogate", p(1000, b"\xed\xa0\x80"), False),
    ServerClose("reason truncated", p(1000, b"ok\xe2\x82"), False),
    # Length field 126 (16-bit length 126): both fail with 1002; Chromium adds a reason.
    # Which check comes first: the code (strict: 1002 "") or the reason?
    ServerClose("1005 and invalid UTF-8", p(1005, b"\xff"), True),
    ServerClose("999 and invalid UTF-8", p(999, b"\xff"), False),
    ServerClose("126-byte payload", p(1000, "a" * 124), False),
]
# fmt: on


class PageClose(NamedTuple):
    label: str
    code: int | None  # None: undefined
    reason: str | None  # None: undefined
    strict_agrees: bool  # does the WHATWG validator (validate_application_close) agree?


# fmt: off
PAGE_CLOSES = [
    PageClose("close()", None, None, True),
    PageClose("close(undefined)", None, None, True),
    PageClose("1000", 1000, None, True),
    PageClose("1000 empty reason", 1000, "", True),
    PageClose("1000 reason", 1000, "bye", True),
    PageClose("3000", 3000, None, True),
    PageClose("4999", 4999, None, True),
    PageClose("4000 123-byte reason", 4000, "x" * 123, True),
    PageClose("1000 123-byte multi-byte reason", 1000, R123, True),
    PageClose("0", 0, None, True),
    PageClose("999", 999, None, True),
    PageClose("1001", 1001, None, True),
    PageClose("1005", 1005, None, True),
    PageClose("1006", 1006, None, True),
    PageClose("1015", 1015, None, True),
    PageClose("2999", 2999, None, True),
    PageClose("5000", 5000, None, True),
    PageClose("65535", 65535, None, True),
    PageClose("1000 124-byte reason", 1000, "x" * 124, True),
    PageClose("1000 124-byte multi-byte reason", 1000, "é" * 62, True),
    PageClose("999 and a 124-byte reason: the code is checked first", 999, "x" * 124, True),
    # WHATWG: a reason without a code is sent with 1000 (and "" with no body);
    # Chromium converts close(undefined, reason) to code 0 and throws.
    PageClose("reason without code", None, "bye", False),
    PageClose("empty reason without code", None, "", False),
]
# fmt: on


def server_path(payload: bytes | None) -> str:
    """The example server's path for this close: through closeframe if it is valid."""
    if payload is None:
        return "/drop"
    try:
        close = parse_close_payload(payload)
    except CloseFrameError:
        return f"/raw/{payload.hex()}"
    if not payload:
        return "/close"
    return f"/close/{close.code}?reason={quote(close.reason)}"


def unmasked_payload(frame: bytes) -> bytes:
    """The payload of a masked close frame from the browser, whatever its code."""
    assert frame[0] == 0x88, frame.hex()  # FIN, close
    assert frame[1] & 0x80, frame.hex()  # masked, as a client must
    assert len(frame) == 6 + (frame[1] & 0x7F), frame.hex()
    return mask_payload(frame[6:], frame[2:6])


def strict_outcome(payload: bytes | None) -> BrowserOutcome:
    """What the strict policy predicts: a client running closeframe's own handshake."""
    client = ClosingHandshake(Role.CLIENT)
    if payload is None:
        return BrowserOutcome(False, client.transport_closed(), None)
    received = client.receive_close(payload)
    reply = None if received.reply is None else received.reply.payload
    return BrowserOutcome(received.error is not None, client.transport_closed(), reply)


def test_tables_have_no_duplicate_labels() -> None:
    for table in (SERVER_CLOSES, PAGE_CLOSES):
        labels = [row.label for row in table]
        assert len(labels) == len(set(labels))


@pytest.mark.parametrize("row", SERVER_CLOSES, ids=[row.label for row in SERVER_CLOSES])
def test_server_closes(row: ServerClose, run_scenario: RunScenario) -> None:
    result = run_scenario(server_path(row.payload), None)
    predicted = predict_browser_outcome(row.payload)

    assert result.close_event == predicted.close_event
    assert result.error_event is predicted.error_event, result.events
    assert result.events[-1] == "close"
    replies = [unmasked_payload(frame) for frame in result.received]
    assert replies == ([] if predicted.reply is None else [predicted.reply])
    for frame in result.received:
        try:
            expected = parse_close_payload(predicted.reply or b"")
        except CloseFrameError:
            with pytest.raises(CloseFrameError):
                decode_close_frame(frame, masked=True)  # an echo the strict rules refuse
        else:
            assert decode_close_frame(frame, masked=True) == expected

    assert (strict_outcome(row.payload) == predicted) is row.strict_agrees


@pytest.mark.parametrize("row", PAGE_CLOSES, ids=[row.label for row in PAGE_CLOSES])
def test_page_closes(row: PageClose, run_scenario: RunScenario) -> None:
    args: list[int | str | None] = [row.code, row.reason]
    while args and args[-1] is None:
        args.pop()  # close(1000), not close(1000, undefined): the same in Chromium
    result = run_scenario("/wait-for-client-close", args)

    def predict(validate: object) -> tuple[str | None, Close]:
        assert callable(validate)
        try:
            return None, validate(row.code, row.reason)
        except ApplicationCloseError as exc:
            # Nothing was sent; the page then calls close(), an empty frame.
            return exc.dom_exception, Close(1005)

    thrown, sent = predict(validate_browser_close)
    assert result.thrown == thrown
    assert [decode_close_frame(frame, masked=True) for frame in result.received] == [sent]
    # The server echoes the page's close, then closes TCP: a clean close.
    assert result.close_event == CloseEvent.from_close(sent, was_clean=True)
    assert result.error_event is False

    assert (predict(validate_application_close) == (thrown, sent)) is row.strict_agrees
