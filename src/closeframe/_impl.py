"""Which implementation of the codec runs (the C accelerator or pure Python), and
what the compiled functions take from their Python twins: a text signature, and
how they pickle."""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

TYPE_CHECKING = False  # typing is slow to import; type checkers alone need it
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any, Protocol

    class Function(Protocol):
        """What text_signature reads of a Python function."""

        __name__: str
        __code__: CodeType
        __defaults__: tuple[Any, ...] | None
        __kwdefaults__: dict[str, Any] | None


__all__ = ["load_speedups", "reduce_tables", "text_signature"]


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


def text_signature(function: Function) -> str:
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


def reduce_tables(tables: Any) -> tuple[Any, tuple[str]]:
    """How pickle rebuilds a compiled public function, through the tables it is bound to.

    A built-in bound to an object pickles as ``getattr(object, name)``: for
    the tables of a module's own function (``closeframe.parse_close_payload``)
    the object restored is that module, whose attribute is the function.  So
    both implementations pickle the public functions by reference, as pickle
    does any module-level function, and a CloseCodec's do not pickle (its
    Python functions do not either: they are not their module's own).
    """
    twin = tables.fallback
    module, name = twin.__module__, twin.__name__
    own = getattr(sys.modules.get(module), name, None)
    if getattr(own, "__self__", None) is not tables:
        import pickle  # noqa: PLC0415  (only to refuse: pickle is the caller here)

        # The words and class pickle uses for a Python function of the same kind.
        raise pickle.PicklingError(
            f"Can't pickle {name}: it's not the same object as {module}.{name}"
        )
    return importlib.import_module, (module,)
