"""Which implementation of the codec runs: the C accelerator or pure Python."""

from __future__ import annotations

import os
from types import FunctionType, ModuleType

__all__ = ["load_speedups", "text_signature"]


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


#: The types a built-in's text signature can spell as a default (inspect
#: evaluates each default back from its text, and accepts only these).
_LITERALS = (str, int, bool, type(None))


def text_signature(function: FunctionType) -> str:
    """*function*'s parameters in a built-in's ``__text_signature__`` form.

    The compiled functions are built-ins (see _speedups.c: CPython calls a
    built-in faster than any other C callable), which carry their signature
    as text; made from the Python twin, ``inspect.signature`` shows the same
    parameters for both: ``"(code=None, reason='', *, truncate=False)"``.
    Only what the codec's functions use is spelled: plain and keyword-only
    parameters with literal defaults.
    """
    code = function.__code__
    if code.co_posonlyargcount or code.co_flags & (_VARARGS | _VARKEYWORDS):
        raise ValueError(f"{function.__name__}: only plain and keyword-only parameters")
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    defaults = dict(zip(names[code.co_argcount - len(function.__defaults__ or ()) :],
                        function.__defaults__ or (), strict=False))  # fmt: skip
    defaults.update(function.__kwdefaults__ or {})
    parameters = []
    for index, name in enumerate(names):
        if index == code.co_argcount:
            parameters.append("*")
        if name not in defaults:
            parameters.append(name)
            continue
        default = defaults[name]
        if type(default) not in _LITERALS:
            raise ValueError(f"{function.__name__}: the default of {name} is not a literal")
        parameters.append(f"{name}={default!r}")
    return f"({', '.join(parameters)})"


# inspect's CO_VARARGS and CO_VARKEYWORDS, without importing inspect (slow).
_VARARGS, _VARKEYWORDS = 0x04, 0x08
