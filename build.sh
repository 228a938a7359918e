#!/usr/bin/env bash
# One entry point for everything on a PC.
#   ./build.sh                         build the MaixHub package: dist/<id>_v<version>.zip + .maixapp
#   ./build.sh deploy                  build, then serve it for QR-code install on the device
#   ./build.sh run [main.py options]   set up (venv, models, demo data) and run the app
#   ./build.sh test [pytest options]   set up (venv, models, test data) and run the tests
#   ./build.sh setup                   only the set-up
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY="$VENV/bin/python"

setup() {
  tools/venv.sh "$VENV" requirements-dev.txt requirements.txt
}

# The test that clicks the window in a real X server (tests/pc/test_window_x11.py) needs
# Xvfb and xdotool, the C decoder's instruction count (tests/tools/test_face_report_live.py)
# valgrind, the real-browser test of the network view (tests/net/test_web_browser.py)
# Debian's chromium and chromium-driver: installed with apt-get when missing and running
# as root (CI); otherwise those tests skip with a message.
test_tools() {
  local missing=()
  command -v Xvfb >/dev/null || missing+=(xvfb)
  command -v xdotool >/dev/null || missing+=(xdotool)
  command -v valgrind >/dev/null || missing+=(valgrind)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    { apt-get install -y -q "${missing[@]}" || { apt-get update -q && apt-get install -y -q "${missing[@]}"; }; } \
      >/dev/null 2>&1 || echo "build.sh: cannot install ${missing[*]} (apt-get failed)" >&2
  else
    echo "build.sh: ${missing[*]} missing; the X11 window, browser and C decoder cost tests need them (apt-get install ${missing[*]})" >&2
  fi
}

cmd=${1:-package}
[ $# -gt 0 ] && shift
case "$cmd" in
  setup)
    setup
    test_tools
    "$PY" tools/fetch_assets.py
    ;;
  run)
    setup
    "$PY" tools/fetch_assets.py
    exec "$PY" main.py "$@"
    ;;
  package)
    setup
    rm -rf dist/pack
    "$VENV/bin/maixtool" release
    zip=$(ls -t dist/*_v*.zip | head -n 1)
    cp "$zip" "${zip%.zip}.maixapp"
    rm -rf dist/pack
    echo "built $zip and ${zip%.zip}.maixapp"
    ;;
  deploy)
    "$0" package
    exec "$VENV/bin/maixtool" deploy --pkg "$(ls -t dist/*_v*.zip | head -n 1)"
    ;;
  test)
    # Everything, as CI runs it: types (mypy against MaixPy's stubs), the device tests in
    # a real-MaixPy root (needs root to build/enter it), then the main suite.
    setup
    test_tools
    "$PY" tools/fetch_assets.py
    tools/typecheck.sh
    if [ "$(id -u)" = 0 ]; then
      tools/maixpy_root.sh run python3 -m pytest -q tests/device
    else
      echo "build.sh: tests/device need root (tools/maixpy_root.sh); run them as root" >&2
    fi
    exec "$PY" -m pytest "$@"
    ;;
  *)
    echo "usage: ./build.sh [package|deploy|run|test|setup] [args]" >&2
    exit 2
    ;;
esac
