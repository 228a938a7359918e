#!/usr/bin/env bash
# Create or update a virtual environment from requirement files, idempotently:
#   tools/venv.sh VENV_DIR REQUIREMENTS.txt [MORE_FILES_TO_HASH...]
# pip runs only when the sha256 of the listed files changed since the last install (a
# stamp kept in the venv). Uses python3.11 when present (the device's Python), else
# python3. Quiet on success; pip's errors are shown.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: tools/venv.sh VENV_DIR REQUIREMENTS.txt [FILES_TO_HASH...]" >&2; exit 2; }
venv=$1 req=$2
shift 2
py="$venv/bin/python"
if [ ! -x "$py" ]; then
  base=$(command -v python3.11 || command -v python3)
  "$base" -m venv "$venv"
fi
stamp="$venv/.requirements.sha256"
want=$(cat "$req" "$@" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$py" -m pip install -qq --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi
