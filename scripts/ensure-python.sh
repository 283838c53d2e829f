#!/usr/bin/env bash
# Print the path of a Python 3.12 or newer to build .venv with, installing one when none is here.
#
# Python 3.11 workers died with SIGSEGV (heap corruption, seen in a core dump) under the scale
# benchmark's heavy pages; on 3.12 and 3.13 the same code and packages ran without a crash (see
# README, Benchmarks). Debian 12 ships only 3.11, so, in this order:
#   1. a python3.13 or python3.12 on PATH (Debian 13's python3.13, for one);
#   2. one that pyenv installed (~/.pyenv/versions/3.13.*, 3.12.*);
#   3. CPython built once into .python/ from the source Debian 13 ships, downloaded from
#      Debian's archive and checked against its SHA-256 (about six minutes on two cores).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=3.13.5
SOURCE=python3.13_${VERSION}.orig.tar.xz
SHA256=93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640
ARCHIVE=${DEBIAN_MIRROR:-http://deb.debian.org/debian}/pool/main/p/python3.13/$SOURCE
BUILT=$PWD/.python/bin/python3.13

usable() {
    "$1" -c 'import sys, ensurepip, venv, ssl, sqlite3, lzma, bz2, ctypes; sys.exit(sys.version_info < (3, 12))' \
        >/dev/null 2>&1
}

# Debian 13's python3.13 needs its venv package before it can make .venv
if [ -x /usr/bin/python3.13 ] && ! usable /usr/bin/python3.13; then
    scripts/ensure-apt.sh python3.13-venv >&2
fi

for candidate in "$BUILT" "$(command -v python3.13 || true)" "$(command -v python3.12 || true)" \
    $(ls -d "$HOME"/.pyenv/versions/3.13.*/bin/python3.13 "$HOME"/.pyenv/versions/3.12.*/bin/python3.12 \
        2>/dev/null | sort -rV); do
    if [ -n "$candidate" ] && usable "$candidate"; then
        echo "$candidate"
        exit 0
    fi
done

echo "no Python 3.12 or newer here: building CPython $VERSION into .python/ (once)" >&2
scripts/ensure-apt.sh build-essential pkg-config curl xz-utils libssl-dev zlib1g-dev libffi-dev \
    libsqlite3-dev libbz2-dev liblzma-dev libreadline-dev uuid-dev libgdbm-dev >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -fsSL --retry 3 -o "$work/$SOURCE" "$ARCHIVE" >&2
echo "$SHA256  $work/$SOURCE" | sha256sum --check --quiet >&2
tar -xJf "$work/$SOURCE" -C "$work"
prefix=$PWD/.python
rm -rf "$prefix"
(
    cd "$work/Python-$VERSION"
    ./configure --prefix="$prefix" --with-ensurepip=install \
        >"$work/configure.log" 2>&1 || { tail -40 "$work/configure.log"; exit 1; }
    make -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -40 "$work/make.log"; exit 1; }
    make altinstall >"$work/install.log" 2>&1 || { tail -40 "$work/install.log"; exit 1; }
) >&2
usable "$BUILT" || { echo "the Python built into .python/ does not work" >&2; exit 1; }
echo "$BUILT"
