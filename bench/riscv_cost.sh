#!/usr/bin/env bash
# Our frame loop's work counted in RISC-V instructions (the MaixCAM's C906 runs RV64GC),
# under qemu-riscv64 with an instruction-counting TCG plugin. As root (apt-get, and the
# sysroot is extracted from Debian's riscv64 packages).
#
#   bash bench/riscv_cost.sh [bench/riscv_cost.py options]   e.g. --configs ours-1-mesh-signals_on
#
# Builds once, cached outside the clone in ~/.cache/maixcam-face-landmarks/riscv/:
# - sysroot/: Debian 13 (trixie) riscv64 python3.13, python3-numpy, python3-opencv,
#   python3-yaml and their dependencies, extracted (mmdebstrap --variant=extract; no
#   maintainer scripts run, so the usr-merge links, the BLAS alternatives and the
#   standard library's bytecode are made here);
# - riscv_count.so: bench/riscv_count.c built against qemu-plugin.h from Debian's
#   source package of the installed qemu-user (the plugin API of that exact version).
# Then runs bench/riscv_cost.py: one table per configuration, the blendshape network per
# evaluation, and last one line:
#   riscv per-frame instructions, 1 face, default: ours=<M>
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "riscv_cost: run as root (apt-get, sysroot extraction)" >&2; exit 1; }
CACHE="${RISCV_COST_CACHE:-$HOME/.cache/maixcam-face-landmarks/riscv}"
SYSROOT="$CACHE/sysroot"
PACKAGES="python3.13,python3-numpy,python3-opencv,python3-yaml,libopenblas0-pthread"
mkdir -p "$CACHE"

tools/venv.sh .venv requirements-dev.txt requirements.txt
.venv/bin/python tools/fetch_assets.py

need=()
command -v qemu-riscv64 >/dev/null || need+=(qemu-user)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v cc >/dev/null || need+=(gcc)
if [ ${#need[@]} -gt 0 ]; then
  apt-get install -y -q "${need[@]}" >/dev/null \
    || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
fi

# -- the sysroot ---------------------------------------------------------------------
stamp="trixie riscv64 $PACKAGES"
if [ "$(cat "$SYSROOT/.made" 2>/dev/null)" != "$stamp" ]; then
  echo "riscv_cost: extracting the riscv64 sysroot (Debian 13; a few minutes, once)" >&2
  rm -rf "$SYSROOT" "$SYSROOT.tmp"
  mmdebstrap --quiet --variant=extract --architectures=riscv64 --include="$PACKAGES" \
    trixie "$SYSROOT.tmp" >"$CACHE/mmdebstrap.log" 2>&1 \
    || { tail -20 "$CACHE/mmdebstrap.log" >&2; exit 1; }
  for d in bin sbin lib; do [ -e "$SYSROOT.tmp/$d" ] || ln -s "usr/$d" "$SYSROOT.tmp/$d"; done
  lib="$SYSROOT.tmp/usr/lib/riscv64-linux-gnu"
  for so in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
    ln -sf "openblas-pthread/$so" "$lib/$so"  # what update-alternatives would link
  done
  # the bytecode Debian's postinst scripts would compile
  qemu-riscv64 -cpu rv64,v=false -L "$SYSROOT.tmp" "$SYSROOT.tmp/usr/bin/python3.13" \
    -m compileall -q "$SYSROOT.tmp/usr/lib/python3.13" \
    "$SYSROOT.tmp/usr/lib/python3/dist-packages" >/dev/null 2>&1 || true
  mv "$SYSROOT.tmp" "$SYSROOT"
  echo "$stamp" >"$SYSROOT/.made"
fi

# -- the counting plugin -------------------------------------------------------------
version="$(dpkg-query -W -f='${source:Version}' qemu-user)"
header="$CACHE/qemu-src/$version/qemu-plugin.h"
if [ ! -f "$header" ]; then
  echo "riscv_cost: fetching qemu-plugin.h from Debian's qemu $version source" >&2
  src="$CACHE/qemu-src/apt"
  mkdir -p "$src/lists/partial" "$(dirname "$header")"
  # deb-src entries for the host's own Debian sources (no other repository)
  : >"$src/sources.list"
  codename="$(. /etc/os-release && echo "$VERSION_CODENAME")"
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && grep -E '^deb ' "$f" | sed 's/^deb /deb-src /' \
      | grep -E " ($codename|$codename-updates|$codename-security) " >>"$src/sources.list" || true
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && grep -q 'debian-archive-keyring' "$f" \
      && sed 's/^Types: deb$/Types: deb-src/' "$f" >"$src/$(basename "$f")"
  done
  apt_opts=(-o "Dir::Etc::SourceList=$src/sources.list" -o "Dir::Etc::SourceParts=$src"
            -o "APT::Sandbox::User=root"
            -o "Dir::State::Lists=$src/lists")
  apt-get -q "${apt_opts[@]}" update >/dev/null
  (cd "$src" && apt-get -q "${apt_opts[@]}" source --download-only "qemu=$version" >/dev/null)
  orig="$(ls "$src"/qemu_*.orig.tar.* | head -1)"
  tar -xf "$orig" -C "$src" --wildcards '*/include/qemu/qemu-plugin.h'
  mv "$src"/qemu-*/include/qemu/qemu-plugin.h "$header"
  rm -rf "$src"/qemu-*/ "$src"/qemu_*
fi
if [ ! -f "$CACHE/riscv_count.so" ] || [ bench/riscv_count.c -nt "$CACHE/riscv_count.so" ] \
   || [ "$header" -nt "$CACHE/riscv_count.so" ]; then
  cc -O2 -shared -fPIC -I"$(dirname "$header")" -o "$CACHE/riscv_count.so" bench/riscv_count.c
fi

exec .venv/bin/python bench/riscv_cost.py --sysroot "$SYSROOT" --plugin "$CACHE/riscv_count.so" "$@"
