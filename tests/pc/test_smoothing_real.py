"""Smoothing measured on a real face: jitter down, lag not up (issue: steadier landmarks).

The astronaut photo becomes a 200-frame video with small known shifts and sensor noise,
and a second one moving at a known 4 px/frame. Errors are taken around the known motion.
"""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import load_rgb

FPS = 30.0
NOISE_SIGMA = 6.0  # grey levels: a camera in ordinary indoor light


def shifted(rgb: np.ndarray, dx: float, dy: float, noise: np.random.Generator | None,
            canvas: tuple[int, int] | None = None) -> np.ndarray:
    w, h = canvas or (rgb.shape[1], rgb.shape[0])
    m = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    frame = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    if noise is not None:
        frame = np.clip(frame + noise.normal(0, NOISE_SIGMA, frame.shape), 0, 255).astype(np.uint8)
    return frame


def run(pc_tracker, frames, smoothing: float) -> np.ndarray:
    tracker = pc_tracker(max_faces=1, smoothing=smoothing)
    out = []
    for i, frame in enumerate(frames):
        faces = tracker.update(frame, i / FPS)
        assert len(faces) == 1
        out.append(faces[0].xy)
    return np.asarray(out)


@pytest.fixture(scope="module")
def still_video():
    rgb = load_rgb("astronaut.png")
    rng = np.random.default_rng(7)
    # Small known shifts: a slow sub-pixel drift, as a hand-held camera gives.
    t = np.arange(200) / FPS
    shifts = np.stack([1.5 * np.sin(2 * np.pi * 0.2 * t), 1.0 * np.cos(2 * np.pi * 0.13 * t)], 1)
    return [shifted(rgb, dx, dy, rng) for dx, dy in shifts], shifts


def jitter(xy: np.ndarray, shifts: np.ndarray) -> float:
    """Std over time of landmarks around the known shift, in % of inter-ocular distance."""
    residual = xy[20:] - shifts[20:, None, :]  # skip the filter's warm-up
    iod = np.linalg.norm(xy[:, 33] - xy[:, 263], axis=1).mean()
    return float(residual.std(axis=0).mean() / iod * 100)


def test_smoothing_cuts_jitter_on_a_still_face(pc_tracker, still_video):
    frames, shifts = still_video
    raw = jitter(run(pc_tracker, frames, 0.0), shifts)
    smooth = jitter(run(pc_tracker, frames, 0.5), shifts)
    assert raw > 0.1  # the noise is real: the raw model output does jitter
    # FaceMesh V2 measured here: raw 0.20%, smoothed 0.105% (0.53x). What is left is the
    # filter following the slow drift, not noise: a lower beta (slower to follow) leaves
    # more (0.58x at beta 3, 0.68x at 1), so the strength mapping stays as it is.
    assert smooth <= 0.6 * raw, f"jitter raw {raw:.3f}% smoothed {smooth:.3f}%"


def test_smoothing_adds_at_most_a_pixel_of_lag_at_4_px_per_frame(pc_tracker):
    rgb = load_rgb("astronaut.png")
    rng = np.random.default_rng(3)
    count, speed = 60, 4.0
    frames = [shifted(rgb, speed * i, 0.0, rng, canvas=(512 + int(speed * count), 512))
              for i in range(count)]
    truth = speed * np.arange(count)
    lags = {}
    for strength in (0.0, 0.5):
        xy = run(pc_tracker, frames, strength)
        moved = xy[:, :, 0] - xy[0:1, :, 0]  # x motion of each landmark since frame 0
        lags[strength] = float((truth[15:, None] - moved[15:]).mean())  # after warm-up
    assert lags[0.5] - lags[0.0] <= 1.0, lags
