"""Every example in the README, the docs and the docstrings runs."""

from __future__ import annotations

import doctest
import importlib
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
DOC_PAGES = sorted(path.name for path in (ROOT / "docs").glob("*.rst"))
# Pages that teach by example: each must keep at least this many.
PAGES_WITH_EXAMPLES = ["codes.rst", "embedding.rst", "quickstart.rst", "rules.rst"]
# Pages whose examples are shell sessions (``.. code-block:: console``), and
# how many each must keep at least.
PAGES_WITH_SESSIONS = {"cli.rst": 20, "probe.rst": 7}


@pytest.mark.parametrize(
    "module",
    ["application", "browser", "codes", "errors", "events", "frame", "handshake", "payload"],
)
def test_docstring_examples(module: str) -> None:
    mod = importlib.import_module(f"closeframe.{module}")
    result = doctest.testmod(mod, optionflags=FLAGS)
    assert result.failed == 0


def test_docstrings_have_examples() -> None:
    attempted = 0
    for module in ("application", "codes", "events", "frame", "handshake", "payload"):
        mod = importlib.import_module(f"closeframe.{module}")
        attempted += doctest.testmod(mod, optionflags=FLAGS).attempted
    assert attempted >= 10


@pytest.mark.parametrize("path", ["README.md"])
def test_text_file_examples(path: str) -> None:
    result = doctest.testfile(str(ROOT / path), module_relative=False, optionflags=FLAGS)
    assert result.failed == 0
    assert result.attempted >= 5


@pytest.mark.parametrize("page", DOC_PAGES)
def test_docs_page_examples(page: str) -> None:
    result = doctest.testfile(str(ROOT / "docs" / page), module_relative=False, optionflags=FLAGS)
    assert result.failed == 0
    if page in PAGES_WITH_EXAMPLES:
        assert result.attempted >= 5


def test_docs_pages_found() -> None:
    assert set(PAGES_WITH_EXAMPLES) <= set(DOC_PAGES)
    assert set(PAGES_WITH_SESSIONS) <= set(DOC_PAGES)


def console_sessions(text: str) -> list[tuple[str, str, int]]:
    """Each ``$ command`` of the console blocks: (command, expected output, status).

    The output is the block's lines up to the next ``$`` line; the status is
    0 unless the command's comment says ``exit status N``.
    """
    import re

    sessions: list[tuple[str, str, int]] = []
    for block in text.split(".. code-block:: console\n")[1:]:
        body = []
        for line in block.split("\n")[1:]:
            if line and not line.startswith("   "):
                break  # the block ends at the first line that is not indented
            body.append(line[3:])
        for line in body:
            if line.startswith("$ "):
                found = re.search(r"#.*\bexit status (\d+)", line)
                sessions.append((line[2:], "", int(found.group(1)) if found else 0))
            elif sessions and line:
                command, output, status = sessions[-1]
                sessions[-1] = (command, output + line + "\n", status)
    return sessions


def test_console_sessions_parse() -> None:
    text = (
        "x\n\n.. code-block:: console\n\n   $ a b  # exit status 2\n   out\n\n   more\n"
        "   $ c\nafter\n   $ not in a block\n"
    )
    assert console_sessions(text) == [("a b  # exit status 2", "out\nmore\n", 2), ("c", "", 0)]


@pytest.mark.parametrize("page", PAGES_WITH_SESSIONS)
def test_docs_shell_sessions(page: str, tmp_path: pathlib.Path) -> None:
    # Run by a real shell, as a reader types them, `closeframe` being this
    # interpreter's `-m closeframe`; stderr goes with stdout, as on a terminal.
    import os
    import shutil
    import sys

    import closeframe

    bash = shutil.which("bash")
    # The sessions are bash: without it they cannot be checked, which fails.
    assert bash is not None, "docs/cli.rst's sessions need bash on PATH"
    sessions = console_sessions((ROOT / "docs" / page).read_text(encoding="utf-8"))
    assert len(sessions) >= PAGES_WITH_SESSIONS[page]
    env = dict(
        os.environ, PYTHONIOENCODING="utf-8", COLUMNS="80", CLOSEFRAME_PYTHON=sys.executable
    )
    root = os.path.dirname(os.path.dirname(closeframe.__file__))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    prelude = 'closeframe() { "$CLOSEFRAME_PYTHON" -m closeframe "$@"; }\n'
    checker = doctest.OutputChecker()
    # The probe's sessions run against real servers and the tests'
    # deliberately wrong one (tests/probe_servers.py), all on loopback.
    import contextlib

    import probe_servers

    with contextlib.ExitStack() as stack:
        for name, start in [
            ("WEBSOCKETS_URL", probe_servers.websockets_server),
            ("AIOHTTP_URL", probe_servers.aiohttp_server),
            ("WSPROTO_URL", probe_servers.wsproto_server),
            ("EXAMPLE_URL", probe_servers.example_server),
            ("WRONG_URL", probe_servers.wrong_server),
        ]:
            env[name] = f"ws://127.0.0.1:{stack.enter_context(start())}"
        env["WEBSOCKETS_URL"] += "/"
        env["AIOHTTP_URL"] += "/"
        env["WSPROTO_URL"] += "/"
        run_sessions(bash, prelude, sessions, env=env, cwd=tmp_path, checker=checker)


def run_sessions(
    bash: str,
    prelude: str,
    sessions: list[tuple[str, str, int]],
    *,
    env: dict[str, str],
    cwd: pathlib.Path,
    checker: doctest.OutputChecker,
) -> None:
    import subprocess

    for command, expected, status in sessions:
        proc = subprocess.run(
            [bash, "-c", prelude + command],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            timeout=60,
            check=False,
        )
        got = proc.stdout.decode("utf-8")
        assert checker.check_output(expected, got, FLAGS), (command, got)
        assert proc.returncode == status, (command, got)


def test_readme_strategies_example_is_the_tested_one() -> None:
    # tests/test_strategies.py runs the example of closeframe.strategies'
    # docstring against real parsers; the README shows the same code.
    import textwrap

    from closeframe import strategies

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Testing your own WebSocket stack", 1)[1]
    block = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert strategies.__doc__ is not None
    documented = strategies.__doc__.split(".. code-block:: python\n", 1)[1]
    documented = textwrap.dedent(documented.split("\n\nWhole frames", 1)[0]).strip()
    assert block.strip() == documented


def shell_commands(text: str) -> list[tuple[list[str], int]]:
    """Every `closeframe ...` line of the sh/console blocks, with its expected status."""
    import shlex

    commands = []
    for block in text.split("```sh\n")[1:]:
        for line in block.split("```", 1)[0].splitlines():
            command = line.split("&&")[-1].strip().removeprefix("$ ")
            if not command.startswith("closeframe "):
                continue
            words, _, comment = command.partition("#")
            status = 1 if "exit status 1" in comment else 0
            commands.append((shlex.split(words)[1:], status))
    return commands


def test_readme_shell_commands_run() -> None:
    # The set-up command's decode and the command-line section, run as written.
    from closeframe.cli import main

    commands = shell_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(commands) >= 6
    for argv, status in commands:
        assert main(argv) == status, argv
