"""Which implementation of the codec runs: the C accelerator or pure Python."""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["load_speedups"]


def load_speedups() -> ModuleType | None:
    """The compiled closeframe._speedups, or None to run in pure Python.

    None when CLOSEFRAME_NO_EXTENSIONS is set to anything but "" or "0" (the
    convention aiohttp uses), or when the extension was not built.
    """
    if os.environ.get("CLOSEFRAME_NO_EXTENSIONS", "") not in ("", "0"):
        return None
    try:
        from . import _speedups  # type: ignore[attr-defined]  # noqa: PLC0415 - optional
    except ImportError:
        return None
    return _speedups  # type: ignore[no-any-return]
