"""The package root re-exports every module's public names, and DESIGN.md's."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import closeframe

MODULES = ["application", "codes", "errors", "events", "frame", "handshake", "payload"]

# The public API table of DESIGN.md: these names are a contract.
DESIGN_NAMES = [
    "CloseCode",
    "Close",
    "CloseEvent",
    "parse_close_payload",
    "serialize_close_payload",
    "CloseFrameError",
    "PROTOCOL_ONLY_CODES",
    "is_protocol_only",
    "is_sendable",
    "MAX_PAYLOAD_BYTES",
    "MAX_REASON_BYTES",
    # issue 3's names
    "encode_close_frame",
    "decode_close_frame",
    "ClosingHandshake",
]


def test_root_all_is_the_union_of_the_modules() -> None:
    union: set[str] = set()
    for name in MODULES:
        module = importlib.import_module(f"closeframe.{name}")
        assert set(module.__all__).isdisjoint(union), name
        union |= set(module.__all__)
    assert set(closeframe.__all__) == union
    assert len(closeframe.__all__) == len(union)


@pytest.mark.parametrize("name", sorted(closeframe.__all__))
def test_every_exported_name_exists(name: str) -> None:
    assert getattr(closeframe, name) is not None


@pytest.mark.parametrize("name", DESIGN_NAMES)
def test_design_contract_names(name: str) -> None:
    assert name in closeframe.__all__


def test_close_frame_error_is_a_value_error() -> None:
    assert issubclass(closeframe.CloseFrameError, ValueError)
    assert closeframe.MAX_PAYLOAD_BYTES == 125
    assert closeframe.MAX_REASON_BYTES == 123
    assert frozenset({1005, 1006, 1015}) == closeframe.PROTOCOL_ONLY_CODES


def test_no_module_imports_another_modules_private_names() -> None:
    """What modules share is named without an underscore (mostly in closeframe._util).

    A private name is its module's own business: once another module imports
    it, a rename or a change of meaning breaks code that nobody sees as a user.
    """
    source = Path(closeframe.__file__).parent
    imported: list[str] = []
    for path in sorted(source.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # (from . import _speedups imports a module, which _impl.py loads.)
            if isinstance(node, ast.ImportFrom) and node.level > 0 and node.module:
                imported += [
                    f"{path.name}: from {'.' * node.level}{node.module} import {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    assert imported == []
