#!/usr/bin/env bash
# mypy over main.py, app/core and app/device (mypy.ini), with maix calls checked against
# the .pyi stubs of the exact MaixPy we test (tools/maixpy_root.sh).
#
#   tools/typecheck.sh [mypy options]
#
# MaixPy's wheel ships .pyi files but no py.typed, so they are copied into a stub folder
# outside the clone (${XDG_CACHE_HOME:-~/.cache}/maixcam-face-landmarks/maixpy-stubs/<ver>)
# and mypy finds them through MAIXPY_STUBS (mypy.ini: mypy_path). Stubs that do not even
# parse (4.12.x: maix/_maix/example.pyi and pipeline.pyi use `in` as a parameter name)
# are emptied. mypy comes from requirements-typecheck.txt, installed into .venv if needed
# (PYTHON=/path/to/python to use another interpreter).
set -euo pipefail
cd "$(dirname "$0")/.."

MAIXPY_VERSION=4.12.5
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/maixcam-face-landmarks"
WHEELS="$CACHE/maixpy-wheels"
STUBS="$CACHE/maixpy-stubs/$MAIXPY_VERSION"
PY="${PYTHON:-.venv/bin/python}"

die() {
  echo "typecheck: $*" >&2
  exit 1
}

[ -x "$PY" ] || die "no $PY: run ./build.sh setup first (or set PYTHON=...)"

want=$(sed -n 's/^mypy==//p' requirements-typecheck.txt)
have=$("$PY" -c 'from mypy.version import __version__; print(__version__)' 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  log=$(mktemp)
  "$PY" -m pip install --quiet -r requirements-typecheck.txt >"$log" 2>&1 \
    || { cat "$log" >&2; rm -f "$log"; die "cannot install requirements-typecheck.txt into $PY"; }
  rm -f "$log"
fi

if [ ! -f "$STUBS/.complete" ]; then
  wheel=$(ls "$WHEELS"/maixpy-"$MAIXPY_VERSION"-cp313-*.whl 2>/dev/null | head -n1 || true)
  if [ -z "$wheel" ]; then
    mkdir -p "$WHEELS"
    "$PY" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.13 \
      --implementation cp --abi cp313 --platform manylinux2014_x86_64 -d "$WHEELS" \
      "maixpy==$MAIXPY_VERSION" >/dev/null 2>&1 \
      || die "cannot download the maixpy $MAIXPY_VERSION wheel (pip download maixpy==$MAIXPY_VERSION failed)"
    wheel=$(ls "$WHEELS"/maixpy-"$MAIXPY_VERSION"-cp313-*.whl | head -n1)
  fi
  rm -rf "$STUBS"
  "$PY" - "$wheel" "$STUBS" <<'PYEOF' || die "cannot build the stub folder from $wheel"
import ast, pathlib, sys, zipfile

wheel, out = sys.argv[1], pathlib.Path(sys.argv[2])
with zipfile.ZipFile(wheel) as archive:
    names = [n for n in archive.namelist() if n.startswith("maix/") and n.endswith(".pyi")]
    for name in names:
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = archive.read(name).decode("utf-8")
        try:
            ast.parse(text, filename=name)
        except SyntaxError as err:
            print(f"typecheck: emptied {name} (does not parse: {err.msg}, line {err.lineno})",
                  file=sys.stderr)
            text = ""
        target.write_text(text, encoding="utf-8")
if not (out / "maix" / "__init__.pyi").is_file():
    sys.exit(f"no maix/__init__.pyi in {wheel}")
(out / ".complete").write_text(f"{len(names)} stubs from {pathlib.Path(wheel).name}\n")
PYEOF
fi

export MAIXPY_STUBS="$STUBS"
exec "$PY" -m mypy "$@"
