"""Build the optional C accelerator; everything else is in pyproject.toml.

closeframe._speedups is optional: where it cannot be compiled (no C
compiler, an unusual platform) the build says so and starts again without
it, and the package installs in pure Python, which is complete.
CLOSEFRAME_NO_EXTENSIONS=1 skips it on purpose, at build time here and at
run time in closeframe/_impl.py.  Only CPython builds it: PyPy would run
it through its emulation of CPython's C API (cpyext), its slow path, while
its JIT compiles the pure-Python codec; so PyPy gets the pure package.

Why start again rather than mark the extension ``optional``: setuptools
decides whether a distribution is pure from the extensions it *declares*,
so a failed optional build still made a wheel tagged for this interpreter
and platform (cp311-cp311-linux_x86_64) holding only Python.  A second
``setup()`` without the extension declares none, and its wheel is
py3-none-any, installed in purelib: what it holds.  This is the fallback
MarkupSafe and simplejson have long used.
"""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, ExecError, PlatformError


class BuildFailedError(Exception):
    """The accelerator could not be compiled here."""


class FallibleBuildExt(build_ext):
    """build_ext whose compiler failures raise BuildFailedError, for the retry below."""

    def run(self) -> None:
        try:
            super().run()
        except PlatformError as exc:  # no compiler for this platform at all
            raise BuildFailedError(exc) from exc

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except (CCompilerError, ExecError, PlatformError) as exc:
            raise BuildFailedError(exc) from exc


def run_setup(with_speedups: bool) -> None:
    extensions = []
    if with_speedups:
        extensions.append(
            Extension(
                "closeframe._speedups",
                ["src/closeframe/_speedups.c"],
                # Rebuilt when a header changes; and listed, so the sdist ships them.
                depends=["src/closeframe/_utf8.h", "src/closeframe/_close.h"],
            )
        )
    setup(ext_modules=extensions, cmdclass={"build_ext": FallibleBuildExt})


if os.environ.get("CLOSEFRAME_NO_EXTENSIONS") or sys.implementation.name != "cpython":
    run_setup(with_speedups=False)
else:
    try:
        run_setup(with_speedups=True)
    except BuildFailedError as failure:
        print(
            f"closeframe: the C accelerator could not be compiled ({failure});"
            " building the pure-Python package instead",
            file=sys.stderr,
        )
        run_setup(with_speedups=False)
