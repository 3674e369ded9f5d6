"""Sphinx configuration for closeframe's documentation.

Build (warnings are errors):  sphinx-build -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The local extension that renders the close-code tables from the registry.
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

import closeframe  # the installed package (editable in a dev venv; tox installs it)

project = "closeframe"
author = "closeframe developers"
copyright = "closeframe developers"
version = release = closeframe.__version__

extensions = [
    "sphinx.ext.autodoc",
    "closeframe_tables",
]

# Intersphinx links to Python's docs need Python's objects.inv at build
# time.  When it cannot be fetched (no network, as in CI), Sphinx logs
# "failed to reach any of the inventories" as a warning of no type, which
# suppress_warnings cannot silence and -W turns into a failed build.
# So the links are opt-in: set CLOSEFRAME_DOCS_INTERSPHINX=1 where the
# network is available (e.g. when publishing).  Without it, references to
# Python objects (ValueError, bytes...) render as code, just not as links,
# and the build is deterministic offline.
if os.environ.get("CLOSEFRAME_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {"python": ("https://docs.python.org/3", None)}
    intersphinx_timeout = 10

# One docstring style: plain reStructuredText (no napoleon).
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
# (Values that read badly printed whole, a frozenset of enum members, or
# that are only the docs build's own, IMPLEMENTATION, say
# ":meta hide-value:" in their doc comment: the comment gives them in words.)
autodoc_default_options = {"members": True, "show-inheritance": True}
# "PROTOCOL_ONLY_CODES", not "closeframe.codes.PROTOCOL_ONLY_CODES": every
# name is imported from the package root (the API page says so).
add_module_names = False

# Every internal reference must resolve.  The Python objects below are
# outside this project; they resolve only with intersphinx (see above).
nitpicky = True
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(builtins\.)?(int|str|bytes|bytearray|memoryview|bool|object|tuple|dict"
        r"|frozenset|list|type|None|ValueError|TypeError|RuntimeError|ImportError|Exception"
        r"|BaseException)",
    ),
    (r"py:.*", r"(enum\.)?(Enum|IntEnum)"),
    (
        r"py:.*",
        r"(collections\.abc\.|typing\.)?(Callable|Iterable|Mapping|Sequence|NamedTuple|ClassVar)",
    ),
    # Private names in signatures (a policy's table row): not part of the API.
    (r"py:.*", r"closeframe\.(\w+\.)*_\w+"),
    # wsproto and hypothesis are optional, with no inventory here.
    (r"py:.*", r"wsproto\..*"),
    (r"py:.*", r"hypothesis\..*"),
    # Type aliases used in signatures: Buffer is bytes | bytearray | memoryview,
    # Serializer the call signature of serialize_close_payload.
    (r"py:.*", r"Buffer|Serializer"),
]

exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

html_theme = "furo"
html_title = f"closeframe {release}"
