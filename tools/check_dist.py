"""Build the sdist and, from it, the wheel, as a release would; check what each holds.

``python -m build`` makes the sdist, then builds the wheel from the unpacked
sdist alone: a source the sdist forgets fails the build here.  Then:

- the sdist carries the C sources (the accelerator is built from them) and
  the licence;
- the wheel carries the compiled accelerator, the licence and the typing
  marker, and no C source: the sources belong to the sdist.

Usage: ``python tools/check_dist.py OUTDIR`` (``tox -e dist`` then installs
the wheel from OUTDIR and runs tests against it).  Exits 1 with one line per
problem.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SDIST_MUST_HAVE = (
    "src/closeframe/_speedups.c",
    "src/closeframe/_utf8.h",
    "src/closeframe/_close.h",
    "LICENSE",
)
WHEEL_MUST_HAVE = ("closeframe/py.typed", "closeframe/__init__.py")


def problems(outdir: Path) -> list[str]:
    """What is wrong with the sdist and wheel in *outdir*, one line each."""
    found: list[str] = []
    sdists = sorted(outdir.glob("closeframe-*.tar.gz"))
    wheels = sorted(outdir.glob("closeframe-*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        return [f"expected one sdist and one wheel in {outdir}, found {sdists + wheels}"]
    with tarfile.open(sdists[0]) as sdist:
        # Every member sits under the sdist's own top folder, closeframe-VERSION/.
        names = {name.partition("/")[2] for name in sdist.getnames()}
    found += [f"the sdist lacks {name}" for name in SDIST_MUST_HAVE if name not in names]
    with zipfile.ZipFile(wheels[0]) as wheel:
        members = wheel.namelist()
    found += [f"the wheel lacks {name}" for name in WHEEL_MUST_HAVE if name not in members]
    found += [
        f"the wheel ships a C source: {name}" for name in members if name.endswith((".c", ".h"))
    ]
    if not any(
        name.startswith("closeframe/_speedups.") and name.endswith(".so") for name in members
    ):
        found.append("the wheel has no compiled accelerator (closeframe/_speedups.*.so)")
    if not any(name.endswith(".dist-info/licenses/LICENSE") for name in members):
        found.append("the wheel has no LICENSE in its metadata")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    outdir = Path(argv[0])
    # --sdist --wheel would build both from the tree; no flag means the wheel
    # is built from the sdist, which is what the check is for.
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(outdir), str(ROOT)], check=True)
    found = problems(outdir)
    for line in found:
        print(f"check_dist: {line}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
