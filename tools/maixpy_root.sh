#!/usr/bin/env bash
# A Debian 13 (trixie) root in which the real x86_64 MaixPy (maix.image, app, display,
# nn.FaceLandmarks("").crop_image / draw_face) imports and runs, for the tests under
# tests/device/. MaixPy's PC build needs glibc >= 2.38, OpenCV 4.x as .so.406, SDL2 and
# libpython3.13, which an Ubuntu 24.04-class host may have but this project's machines
# (Debian 12) do not; a chroot gives every machine the same one.
#
#   tools/maixpy_root.sh [build]     build the root if missing or if its recipe changed
#   tools/maixpy_root.sh run CMD...  (build if needed, then) run CMD in the root, with this
#                                    working tree bind-mounted at /src and cwd /src
#   tools/maixpy_root.sh path        print where the root lives
#
# MAIXPY_ROOT_VARIANT=bench selects a second root, the same plus what bench/device_cost.sh
# needs (see "a variant" below); the tests use the plain one.
#
# The root is cached outside the clone in ${XDG_CACHE_HOME:-~/.cache}/maixcam-face-landmarks/
# and rebuilt only when the recipe below changes (a sha256 stamp of it is kept in the root).
# Needs root (debootstrap, chroot, mount). A build takes about 2 minutes.
# Wheels are downloaded on the host with pip and installed inside with --no-index:
# pip inside the fresh root cannot verify TLS.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/maixcam-face-landmarks"
ROOT="$CACHE/maixpy-root"
WHEELS="$CACHE/maixpy-wheels"
LOG="$CACHE/maixpy-root.log"
STAMP_FILE=".maixpy-root-recipe.sha256"
# The Debian archive this machine's own apt uses (not part of the recipe); override with
# MAIXPY_ROOT_MIRROR.
host_debian_mirror() {
  { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources || true
    grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list || true
  } | awk '{print $2}' | grep -E '/debian/?$' | head -n 1 || true
}
MIRROR="${MAIXPY_ROOT_MIRROR:-$(host_debian_mirror)}"

# ---- the recipe (everything below, up to build_root's end, goes into the stamp) --------
SUITE=trixie
DEBS=(
  python3 python3-pip libpython3.13 libsdl2-2.0-0
  libopencv-core410 libopencv-imgproc410 libopencv-imgcodecs410
  python3-numpy python3-yaml python3-opencv python3-pytest
)
OPENCV_SO_VERSION=410  # _maix.so asks for .so.406; trixie has 4.10, which has every symbol it uses
# cp313 x86_64 wheels; numpy comes from Debian (python3-numpy) so that cv2 and maix agree.
WHEEL_PINS=(
  maixpy==4.12.5
  ai-edge-litert==2.3.0 flatbuffers==25.12.19 ml_dtypes==0.6.0 protobuf==7.36.2
  tqdm==4.70.1 typing_extensions==4.16.0 backports.strenum==1.2.8
)
# maixpy's x86_64 wheels are tagged manylinux2014 (though _maix.so needs glibc 2.38);
# ai-edge-litert and ml_dtypes are manylinux_2_27/2_28. Old pips do not expand a
# --platform to older manylinux tags, so every tag is listed.
WHEEL_PLATFORMS=(manylinux2014_x86_64 manylinux_2_17_x86_64 manylinux_2_27_x86_64
                 manylinux_2_28_x86_64 any)

download_wheels() {
  mkdir -p "$WHEELS"
  local platforms=()
  for p in "${WHEEL_PLATFORMS[@]}"; do platforms+=(--platform "$p"); done
  python3 -m pip download --no-deps --only-binary=:all: --python-version 3.13 \
    --implementation cp --abi cp313 --abi abi3 --abi none "${platforms[@]}" \
    -d "$WHEELS" "${WHEEL_PINS[@]}"
}

build_root() {  # $1 = the folder to build in. Each step checks itself: a function called
  local new=$1   # from `cmd || die` runs without set -e.
  debootstrap --variant=minbase --include="$(IFS=,; echo "${DEBS[*]}")" \
    "$SUITE" "$new" "$MIRROR" || return 1
  local lib="$new/usr/lib/x86_64-linux-gnu" part
  for part in core imgproc imgcodecs; do
    [ -e "$lib/libopencv_$part.so.$OPENCV_SO_VERSION" ] || return 1
    ln -sf "libopencv_$part.so.$OPENCV_SO_VERSION" "$lib/libopencv_$part.so.406" || return 1
  done
  mkdir -p "$new/tmp/wheels" "$new/src" "$new/maixapp/tmp" || return 1
  cp "$WHEELS"/*.whl "$new/tmp/wheels/" || return 1
  chroot "$new" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    python3 -m pip install --quiet --no-index --find-links /tmp/wheels \
    --break-system-packages --root-user-action=ignore "${WHEEL_PINS[@]}" || return 1
  rm -rf "$new/tmp/wheels" "$new"/var/cache/apt/archives/*.deb || return 1
  # The smoke test: maix, cv2, numpy, yaml and LiteRT import in the root.
  chroot "$new" env -i PATH=/usr/bin:/bin HOME=/root SDL_VIDEODRIVER=dummy python3 -c \
    'import maix.image, maix.nn, cv2, numpy, yaml, ai_edge_litert.interpreter'
}
# ---- end of the recipe --------------------------------------------------------------------

# ---- a variant: the root of bench/device_cost.sh ---------------------------------------------
# The same root plus valgrind, and OpenCV's own wheel as cv2: Debian's python3-opencv links
# every OpenCV module and their dependencies, and importing it costs ten times what the
# official wheel's does, a cost the device's start-up count must not carry.
VARIANT="${MAIXPY_ROOT_VARIANT:-}"
BENCH_DEBS=(valgrind)
BENCH_WHEELS=(opencv-python-headless==4.12.0.88)

download_bench_wheels() {
  local platforms=()
  for p in "${WHEEL_PLATFORMS[@]}"; do platforms+=(--platform "$p"); done
  python3 -m pip download --no-deps --only-binary=:all: --python-version 3.13 \
    --implementation cp --abi cp313 --abi abi3 --abi none "${platforms[@]}" \
    -d "$WHEELS" "${BENCH_WHEELS[@]}"
}

build_variant() {  # $1 = a freshly built root: add the bench's packages
  local new=$1
  cp /etc/resolv.conf "$new/etc/resolv.conf" || return 1
  unshare --mount --propagation private /bin/bash -ec '
    root=$1; shift
    mount -t proc proc "$root/proc"
    chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
      DEBIAN_FRONTEND=noninteractive sh -ec "apt-get update -q; \
      apt-get install -y -q --no-install-recommends $*"
  ' bash "$new" "${BENCH_DEBS[@]}" || return 1
  mkdir -p "$new/tmp/wheels" || return 1
  cp "$WHEELS"/opencv_python_headless-*.whl "$new/tmp/wheels/" || return 1
  chroot "$new" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    python3 -m pip install --quiet --no-index --no-deps --find-links /tmp/wheels \
    --break-system-packages --root-user-action=ignore "${BENCH_WHEELS[@]}" || return 1
  rm -rf "$new/tmp/wheels" "$new"/var/cache/apt/archives/*.deb || return 1
  chroot "$new" env -i PATH=/usr/bin:/bin HOME=/root python3 -c \
    'import cv2, sys; sys.exit("/usr/local/" not in cv2.__file__)' || return 1
  [ -x "$new/usr/bin/valgrind" ]
}

case "$VARIANT" in
  "") ;;
  bench) ROOT="$CACHE/maixpy-root-bench"; LOG="$CACHE/maixpy-root-bench.log" ;;
  *) echo "maixpy_root: unknown MAIXPY_ROOT_VARIANT '$VARIANT' (bench)" >&2; exit 1 ;;
esac

recipe_hash() {
  {
    declare -p SUITE DEBS OPENCV_SO_VERSION WHEEL_PINS WHEEL_PLATFORMS
    declare -f download_wheels build_root
    if [ -n "$VARIANT" ]; then
      declare -p VARIANT BENCH_DEBS BENCH_WHEELS
      declare -f download_bench_wheels build_variant
    fi
  } | sha256sum | cut -d' ' -f1
}

die() {
  echo "maixpy_root: $*" >&2
  exit 1
}

need_root() {
  [ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot and mount need it)"
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null && return 0
  { apt-get install -y -q debootstrap || { apt-get update -q && apt-get install -y -q debootstrap; }; } \
    >>"$LOG" 2>&1 || die "cannot install debootstrap on the host (apt-get failed; see $LOG)"
}

remove_tree() {  # a failed debootstrap may leave /proc or /sys mounted inside its target
  local dir=$1
  [ -e "$dir" ] || return 0
  awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m" || true; done
  rm -rf --one-file-system "$dir"
}

is_current() {
  [ -f "$ROOT/$STAMP_FILE" ] && [ "$(cat "$ROOT/$STAMP_FILE")" = "$(recipe_hash)" ]
}

build() {
  need_root
  mkdir -p "$CACHE"
  exec 9>"$ROOT.lock"
  flock 9  # one build at a time; a second caller waits, then finds the root current
  if is_current; then
    return 0
  fi
  local start=$SECONDS new="$ROOT.new"
  : >"$LOG"
  echo "maixpy_root: building the MaixPy root in $ROOT (log: $LOG)" >&2
  ensure_debootstrap
  [ -n "$MIRROR" ] || die "build failed: no Debian archive in this machine's apt sources; set MAIXPY_ROOT_MIRROR"
  download_wheels >>"$LOG" 2>&1 \
    || die "build failed: cannot download the cp313 wheels (${WHEEL_PINS[*]}); see $LOG"
  if [ -n "$VARIANT" ]; then
    download_bench_wheels >>"$LOG" 2>&1 \
      || die "build failed: cannot download the cp313 wheels (${BENCH_WHEELS[*]}); see $LOG"
  fi
  remove_tree "$new"
  if ! build_root "$new" >>"$LOG" 2>&1; then
    remove_tree "$new"
    die "build failed: debootstrap $SUITE or the wheel install did not complete; see $LOG"
  fi
  if [ -n "$VARIANT" ] && ! build_variant "$new" >>"$LOG" 2>&1; then
    remove_tree "$new"
    die "build failed: the $VARIANT variant's packages (${BENCH_DEBS[*]} ${BENCH_WHEELS[*]}); see $LOG"
  fi
  recipe_hash >"$new/$STAMP_FILE"
  remove_tree "$ROOT"
  mv "$new" "$ROOT"
  echo "maixpy_root: built in $((SECONDS - start)) s" >&2
}

run_in_root() {
  [ $# -gt 0 ] || die "usage: tools/maixpy_root.sh run CMD [ARGS...]"
  build
  flock -s 9  # shared while the command runs: a rebuild waits for it instead of pulling
              # the root from under it
  # A private mount namespace: every mount below disappears with the command, however it
  # ends (no cleanup trap to miss on kill -9).
  exec unshare --mount --propagation private /bin/bash -c '
    set -e
    root=$1 src=$2; shift 2
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount -t sysfs sysfs "$root/sys"
    mount -t tmpfs tmpfs "$root/tmp"
    mkdir -p "$root/tmp/.X11-unix"
    mount --bind "$src" "$root/src"
    exec chroot "$root" /usr/bin/env -i \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
      LANG=C.UTF-8 TERM="${TERM:-dumb}" CI="${CI:-}" \
      SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy PYTHONDONTWRITEBYTECODE=1 \
      MAIXPY_ROOT=1 \
      /bin/sh -c "cd /src && exec \"\$@\"" sh "$@"
  ' bash "$ROOT" "$SRC" "$@"
}

cmd=${1:-build}
[ $# -gt 0 ] && shift
case "$cmd" in
  build) build ;;
  run) run_in_root "$@" ;;
  path) echo "$ROOT" ;;
  *) die "usage: tools/maixpy_root.sh [build | run CMD... | path]" ;;
esac
