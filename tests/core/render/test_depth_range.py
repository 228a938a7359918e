"""The depth view's per-face range: robust to single points, smooth per track, reset on new ids."""
from __future__ import annotations

import numpy as np

from app.core.render.depth_range import DepthRange
from tests.core._factories import make_face

RNG = np.random.default_rng(7)
XY = RNG.uniform(100, 200, (478, 2)).astype(np.float32)
DEPTH = RNG.normal(0, 12, 478).astype(np.float32)


def _span(rng):
    return rng[1] - rng[0]


def test_one_point_jumping_barely_moves_the_range():
    base = DepthRange(alpha=1.0).update([make_face(XY, DEPTH)])[0]
    for idx in (int(np.argmax(DEPTH)), int(np.argmin(DEPTH)), 4):
        for jump in (-500.0, 500.0):
            d = DEPTH.copy()
            d[idx] += jump
            after = DepthRange(alpha=1.0).update([make_face(XY, d)])[0]
            assert abs(after[0] - base[0]) < 0.02 * _span(base)
            assert abs(after[1] - base[1]) < 0.02 * _span(base)


def test_range_is_smoothed_per_track_and_reset_on_new_ids():
    dr = DepthRange(alpha=0.2)
    first = dr.update([make_face(XY, DEPTH, track_id=1)])[0]
    shifted = make_face(XY, DEPTH + 20.0, track_id=1)
    second = dr.update([shifted])[0]
    assert 0 < second[0] - first[0] < 0.25 * 20.0 + 1e-3  # moved a fifth of the way
    # A new id (or an untracked face) starts from its own percentiles.
    fresh = dr.update([make_face(XY, DEPTH + 20.0, track_id=2)])[0]
    assert np.allclose(fresh, np.array(first) + 20.0, atol=1e-3)
    assert np.allclose(dr.update([make_face(XY, DEPTH + 20.0)])[0], fresh, atol=1e-3)
    # Id 1 was not seen in the last frames: forgotten, so it restarts too.
    assert np.allclose(dr.update([make_face(XY, DEPTH, track_id=1)])[0], first, atol=1e-3)


def test_flicker_free_over_noisy_frames():
    dr = DepthRange()
    los = []
    for _ in range(60):
        d = DEPTH + RNG.normal(0, 1.0, 478).astype(np.float32)
        d[RNG.integers(0, 478)] += 300.0  # one outlier per frame, anywhere
        los.append(dr.update([make_face(XY, d, track_id=3)])[0][0])
    assert np.std(np.diff(los[10:])) < 0.05 * _span(dr.update([make_face(XY, DEPTH, 3)])[0])


def test_normalize_clips_and_is_near_one_for_near():
    rng = (-10.0, 10.0)
    out = DepthRange.normalize(np.array([-20, -10, 0, 10, 20], np.float32), rng)
    assert out.tolist() == [0.0, 0.0, 0.5, 1.0, 1.0] and out.dtype == np.float32


def test_flat_face_does_not_divide_by_zero():
    rng = DepthRange().update([make_face(XY, np.zeros(478, np.float32))])[0]
    assert rng[1] - rng[0] >= 4.0
