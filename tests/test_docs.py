"""Every example in the README and the docstrings runs."""

from __future__ import annotations

import doctest
import importlib
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize(
    "module", ["application", "codes", "errors", "events", "frame", "handshake", "payload"]
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
