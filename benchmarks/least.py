"""Build ``least.c`` for the running interpreter: the "least" rows of ``--instructions``.

The module is compiled with the compiler and flags that built the
interpreter (``sysconfig``), into a directory of the caller's, and loaded
from there: it is a measuring stick, not part of closeframe, so nothing
installs it.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import shlex
import subprocess
import sysconfig
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "least.c"
CLOSEFRAME_HEADERS = HERE.parent / "src" / "closeframe"


class BuildError(RuntimeError):
    """least.c did not compile: the compiler's own words follow."""


def build(directory: Path) -> Path:
    """Compile least.c into *directory*; the extension module's path."""
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    target = directory / f"_least{suffix}"
    compiler = shlex.split(sysconfig.get_config_var("CC") or "cc")
    flags = shlex.split(sysconfig.get_config_var("CFLAGS") or "")
    shared = shlex.split(sysconfig.get_config_var("LDSHARED") or "cc -shared")[1:]
    command = [
        *compiler,
        *flags,
        "-fPIC",
        *shared,
        f"-I{sysconfig.get_paths()['include']}",
        f"-I{CLOSEFRAME_HEADERS}",  # _close.h: a Close allocated as closeframe does
        str(SOURCE),
        "-o",
        str(target),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BuildError(f"{shlex.join(command)}\n{done.stderr}")
    return target


def load(path: Path) -> ModuleType:
    """The module built at *path*."""
    spec = importlib.util.spec_from_file_location("_least", path)
    if spec is None or spec.loader is None:
        raise BuildError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
