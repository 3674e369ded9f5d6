"""Build the C accelerator with AddressSanitizer and UBSan, and run the tests on it.

The compiled codec reads untrusted bytes, so its memory safety is checked,
not assumed: this builds closeframe._speedups in a scratch copy of the
repository with ``-fsanitize=address,undefined`` and runs the tests that
drive it hardest (the exhaustive comparison with the Python codec, every
length boundary, hostile buffers) with the sanitizer runtimes preloaded
into this Python, which was not built with them.  ``tox -e sanitize`` runs
it; any sanitizer report fails the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAGS = "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -g"
TESTS = [
    "tests/test_implementations.py",
    "tests/test_hostile.py",
    "tests/test_payload.py",
    "tests/test_frame.py",
    "tests/test_shared_buffer.py",
    "tests/test_buffers.py",
]


def runtime(name: str) -> str:
    path = subprocess.run(
        ["gcc", f"-print-file-name={name}"], capture_output=True, text=True, check=True
    ).stdout.strip()
    if not os.path.isabs(path):
        raise SystemExit(f"sanitize: gcc has no {name}; install gcc's sanitizer runtimes")
    return path


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "closeframe"
        shutil.copytree(
            ROOT,
            copy,
            ignore=shutil.ignore_patterns(".git", ".tox", "build", "*.so", "__pycache__"),
        )
        env = dict(os.environ, CFLAGS=FLAGS, LDFLAGS="-fsanitize=address,undefined")
        env.pop("CLOSEFRAME_NO_EXTENSIONS", None)
        subprocess.run(
            [sys.executable, "setup.py", "build_ext", "--inplace"], cwd=copy, env=env, check=True
        )
        built = list((copy / "src" / "closeframe").glob("_speedups*.so"))
        if not built or b"__asan_" not in built[0].read_bytes():
            raise SystemExit("sanitize: the extension was not built with AddressSanitizer")
        env = dict(
            os.environ,
            PYTHONPATH=str(copy / "src"),
            LD_PRELOAD=f"{runtime('libasan.so')} {runtime('libubsan.so')}",
            # Python itself leaks by design at exit; the codec's errors are what count.
            ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",
            UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1",
            CLOSEFRAME_EXPECT_IMPLEMENTATION="c",
        )
        env.pop("CLOSEFRAME_NO_EXTENSIONS", None)
        check = "import closeframe, sys; sys.exit(closeframe.IMPLEMENTATION != 'c')"
        subprocess.run([sys.executable, "-c", check], cwd=copy, env=env, check=True)
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS],
            check=False,  # pytest's status is the answer
            cwd=copy,
            env=env,
        ).returncode


if __name__ == "__main__":
    sys.exit(main())
