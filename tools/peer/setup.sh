#!/usr/bin/env bash
# Create or update the "peer" venv (.venv-peer in the checkout root) that runs
# MediaPipe's own FaceMesh. Only for tools/peer/make_fixtures.py and benchmarks;
# MediaPipe is never an app dependency. Idempotent: pip runs only when
# tools/peer/requirements.txt changed (sha256 stamp). Silent on success.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV=.venv-peer
PY="$VENV/bin/python"
REQ=tools/peer/requirements.txt

if [ ! -x "$PY" ]; then
  base=$(command -v python3.11 || command -v python3)
  "$base" -m venv "$VENV"
fi
stamp="$VENV/.requirements.sha256"
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$PY" -m pip install -qq --disable-pip-version-check -r "$REQ"
  echo "$want" > "$stamp"
fi
