#!/usr/bin/env bash
# Create or update the bench venv (.venv-bench in the checkout root): MediaPipe's own
# FaceMesh and this app's PC backend in one environment, for bench/pipeline_vs_mediapipe.py
# and bench/memory.py only; MediaPipe is never an app dependency. Idempotent
# (tools/venv.sh); silent on success.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/venv.sh .venv-bench bench/requirements.txt
