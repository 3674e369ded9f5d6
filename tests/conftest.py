import os
import sys
import sysconfig
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# "ci" is derandomized so that a red run reproduces exactly; "dev" explores.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# tests/browser runs the lab's runner (tools/browser_lab: plain modules, not a
# package) and, like tests/test_browser_engines.py, tests/browser_scenarios.py.
for path in (Path(__file__).parent, Path(__file__).parent.parent / "tools" / "browser_lab"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


# On a free-threaded CPython the whole run must end with the GIL still off:
# any module the suite imported (closeframe's accelerator, or a test tool)
# that does not declare Py_mod_gil would have turned it on.  Said in the
# summary, and a run that ends with it on fails.
FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def _gil_enabled() -> bool:
    return bool(getattr(sys, "_is_gil_enabled", lambda: True)())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if FREE_THREADED and _gil_enabled() and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FREE_THREADED:
        enabled = _gil_enabled()
        terminalreporter.write_line(
            f"free-threaded build: GIL enabled at the end of the run: {enabled}"
            + (" (FAILED: it must stay off)" if enabled else ""),
            red=enabled,
            green=not enabled,
        )
