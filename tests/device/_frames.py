"""Shared bits of the tests that run against the real MaixPy (tests/device/).

No maix import here: each test module skips itself first (`pytest.importorskip`).
"""
from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
MODELS = ROOT / "models" / "pc"

NEEDS_MAIX = ("needs MaixPy (import maix); these run inside the MaixPy root: "
              "tools/maixpy_root.sh run python3 -m pytest tests/device")

# Real frames: three photos and three frames of a video ("file#index").
FRAMES = ("single_face.jpg", "obama.jpg", "multi_face.jpg",
          "single_face.mp4#0", "single_face.mp4#35", "single_face.mp4#71")


@functools.lru_cache(maxsize=None)
def load_frame(name: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB, read-only."""
    path, _, index = name.partition("#")
    if index:
        capture = cv2.VideoCapture(str(DATA / path))
        capture.set(cv2.CAP_PROP_POS_FRAMES, int(index))
        ok, bgr = capture.read()
        capture.release()
    else:
        bgr = cv2.imread(str(DATA / path), cv2.IMREAD_COLOR)
        ok = bgr is not None
    if not ok or bgr is None:
        raise FileNotFoundError(f"cannot read {DATA / path} (run python tools/fetch_assets.py)")
    rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    rgb.flags.writeable = False
    return rgb


def maix_points(xy: np.ndarray) -> list[int]:
    """(N, 2) image pixels in maix's layout: `[x0, y0, x1, y1, ...]` truncated to int, as
    nn.FaceLandmarks.detect gives them and draw_face takes them."""
    return np.asarray(xy).astype(np.int32).reshape(-1).tolist()


def video_frames(name: str):
    """Every frame of tests/data/<name> as RGB, decoded the same way as VideoSource."""
    capture = cv2.VideoCapture(str(DATA / name))
    try:
        while True:
            ok, bgr = capture.read()
            if not ok or bgr is None:
                return
            yield np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    finally:
        capture.release()
