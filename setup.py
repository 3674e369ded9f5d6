"""Build the optional C accelerator; everything else is in pyproject.toml.

closeframe._speedups is optional: where it cannot be compiled (no C
compiler, an unusual platform) setuptools warns and the package installs in
pure Python, which is complete.  CLOSEFRAME_NO_EXTENSIONS=1 skips it on
purpose, at build time here and at run time in closeframe/_impl.py.
"""

import os

from setuptools import Extension, setup

extensions = []
if not os.environ.get("CLOSEFRAME_NO_EXTENSIONS"):
    extensions.append(
        Extension(
            "closeframe._speedups",
            ["src/closeframe/_speedups.c"],
            # Rebuilt when the header changes; and listed, so the sdist ships it.
            depends=["src/closeframe/_utf8.h"],
            optional=True,  # a failed compile is a warning, not a failed install
        )
    )

setup(ext_modules=extensions)
