"""The PC benchmarks still run (on tiny settings) and print the figures the README
quotes: a refactor that breaks one fails here, not the next time someone measures.
(bench/pipeline_vs_mediapipe.py, startup.py and marginal.py need MediaPipe's own venv,
instructions.py valgrind, and device_cost.sh a root and valgrind;
tests/tools/test_device_cost.py checks its arithmetic.)"""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

BENCHES = [
    (["bench/signals.py", "--passes", "2"], ["update, smoothed", "update, raw"]),
    (["bench/overlay.py", "--draws", "3"], ["| 320x224 | 1 | mesh |", "| 640x480 | 4 | depth |"]),
    (["bench/memory.py", "--frames", "40", "--warmup", "5", "--every", "20",
      "--blank-every", "15"], ["growth +", "(ok: limit"]),
    (["bench/stills.py", "--rounds", "1", "--images", "16"], ["(ok: limit"]),
    (["bench/quality.py"], ["peer NME vs face_landmarker_peer.json (FaceMeshLandmarker",
                            "mean over 14 faces", "astronaut jitter", "2nd difference"]),
    (["bench/vmc.py", "--passes", "1"], ["sink write (encode + send), bundle",
                                         "sink write, no face, per message", "in 55 datagram"]),
]


@pytest.mark.parametrize("args,expected", BENCHES, ids=[b[0][0] for b in BENCHES])
def test_bench_runs_and_prints_its_figures(args, expected):
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    for text in expected:
        assert text in result.stdout, (text, result.stdout[-2000:])
