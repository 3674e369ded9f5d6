# Shared settings for tools/interpreters/*: sourced, not run.
# Everything lands under one cache folder (CLOSEFRAME_INTERPRETERS), outside
# the checkout, so that CI's fresh clones and every worktree reuse it; each
# step marks its product complete only at the end, so an interrupted step
# starts again from scratch on the next call.
set -euo pipefail
: "${CLOSEFRAME_INTERPRETERS:=/work/interpreters}"
export CLOSEFRAME_INTERPRETERS
# Debian's unstable suite: python3.14 (with its headers and venv) and pypy3.
ROOT="$CLOSEFRAME_INTERPRETERS/debian-sid"
MIRROR="${CLOSEFRAME_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
ROOT_PACKAGES=ca-certificates,python3.14,python3.14-dev,python3.14-venv,pypy3,pypy3-dev,pypy3-venv,gcc,g++,libc6-dev
# Inside the root, apt must accept an archive whose Release file is older
# than its Valid-Until (a mirror snapshot).
APT_OPTS=(-q -y -o Acquire::Check-Valid-Until=false)

log() { printf '[interpreters %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
# The free-threaded CPython that provision builds and tox's py314t env (the
# one .ci/run runs) needs: 3.14, with no pinned version (the newest that
# Debian's Sources index lists, or else Ubuntu's; Debian's pool answers 404
# for every python3.14 source it lists here, 3.14.8-1 to 3.14.10-1, so the
# tarball comes from Ubuntu's resolute, 3.14.4).  py313t's (run by hand, not
# by CI) is tools/interpreters/freethreaded 3.13 3.13.15-1: the one
# python3.13 version whose source Debian's pool has.
FREETHREADED_VERSION=3.14
FREETHREADED_DEBIAN_VERSION=
# Ubuntu's archive: where tools/interpreters/freethreaded takes CPython's
# upstream tarball (Ubuntu's python3.X source package's .orig.tar.xz) when
# Debian's pool does not serve python3.X's source; verified from the suite's
# signed InRelease down (ubuntu-keyring, installed in the sid root on demand).
UBUNTU_MIRROR="${CLOSEFRAME_UBUNTU_MIRROR:-http://archive.ubuntu.com/ubuntu}"
UBUNTU_SUITE="${CLOSEFRAME_UBUNTU_SUITE:-resolute}"
UBUNTU_COMPONENT="${CLOSEFRAME_UBUNTU_COMPONENT:-main}"
