#!/usr/bin/env bash
# The device-class cost of a frame, counted: our app loop against MaixPy's official
# face-landmarks app, both on the real MaixPy (its PC build, in a Debian root), with
# valgrind's callgrind counting x86 instructions per stage. As root (chroot).
#
#   bash bench/device_cost.sh [bench/device_cost.py options]   e.g. --configs official-1,ours-1-mesh-signals_on
#
# Builds what it needs once: the app's venv and test data (for the frames), the bench's
# MaixPy root (tools/maixpy_root.sh with MAIXPY_ROOT_VARIANT=bench: + valgrind and OpenCV's
# own wheel) and the stage-marker library (bench/cgmark.c, with valgrind's header). Prints
# one table per configuration, and last one line:
#   per-frame instructions, 1 face, default: ours=<M> official=<M> ratio=<r>
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "device_cost: run as root (the MaixPy root is a chroot)" >&2; exit 1; }
tools/venv.sh .venv requirements-dev.txt requirements.txt
.venv/bin/python tools/fetch_assets.py
if [ ! -f /usr/include/valgrind/callgrind.h ]; then
  apt-get install -y -q valgrind >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q valgrind >/dev/null; }
fi
mkdir -p bench/.build
cc -O2 -shared -fPIC -o bench/.build/cgmark.so bench/cgmark.c
MAIXPY_ROOT_VARIANT=bench exec tools/maixpy_root.sh run python3 bench/device_cost.py "$@"
