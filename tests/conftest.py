import os
import sys
from pathlib import Path

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
