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
PAGES_WITH_EXAMPLES = ["cli.rst", "codes.rst", "embedding.rst", "quickstart.rst", "rules.rst"]


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
