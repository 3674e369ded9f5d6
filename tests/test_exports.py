"""The package root re-exports every module's public names, and DESIGN.md's."""

from __future__ import annotations

import importlib

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
