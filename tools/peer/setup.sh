#!/usr/bin/env bash
# Create or update the "peer" venv (.venv-peer in the checkout root) that runs
# MediaPipe's own FaceMesh. Only for tools/peer/make_fixtures.py; MediaPipe is never an
# app dependency. Idempotent (tools/venv.sh); silent on success.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/venv.sh .venv-peer tools/peer/requirements.txt
