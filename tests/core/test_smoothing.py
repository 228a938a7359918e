"""One Euro filtering of landmark arrays (the maths; real-face measurements in tests/pc)."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.face.smoothing import LandmarkSmoother, OneEuroFilter, OneEuroParams, params_for_strength


def test_strength_zero_is_off_and_strength_orders_the_cutoff():
    assert params_for_strength(0.0) is None
    cutoffs = [params_for_strength(s).min_cutoff for s in (0.1, 0.5, 0.9, 1.0)]
    assert cutoffs == sorted(cutoffs, reverse=True)
    assert params_for_strength(5.0) == params_for_strength(1.0)


def test_first_value_passes_through_and_reset_forgets():
    f = OneEuroFilter(OneEuroParams(1.0, 0.0))
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    np.testing.assert_array_equal(f.update(x, 0.0), x)
    moved = f.update(x + 10, 0.1)
    assert (moved < x + 10).all()  # low-passed
    f.reset()
    np.testing.assert_array_equal(f.update(x + 10, 0.2), x + 10)


def test_noise_is_reduced_and_a_constant_is_reached():
    rng = np.random.default_rng(0)
    f = OneEuroFilter(OneEuroParams(0.5, 0.0))
    truth = np.full((50, 2), 100.0, np.float32)
    outs = [f.update(truth + rng.normal(0, 1, truth.shape), i / 30) for i in range(300)]
    assert np.std(np.array(outs[100:]) - 100) < 0.25


def test_speed_raises_the_cutoff_so_motion_lags_less():
    def lag(beta):
        f = OneEuroFilter(OneEuroParams(0.5, beta))
        for i in range(60):
            out = f.update(np.array([[4.0 * i, 0.0]], np.float32), i / 30, scale=100.0)
        return 4.0 * 59 - out[0, 0]
    assert lag(50.0) < 0.25 * lag(0.0)


def test_time_going_backwards_restarts():
    f = OneEuroFilter(OneEuroParams(1.0, 0.0))
    f.update(np.zeros((3, 2)), 1.0)
    np.testing.assert_array_equal(f.update(np.ones((3, 2)), 0.5), np.ones((3, 2)))


def test_landmark_smoother_moves_rigidly_without_lag_and_calms_the_shape():
    rng = np.random.default_rng(1)
    shape = rng.uniform(-50, 50, (478, 2)).astype(np.float32)
    smoother = LandmarkSmoother(params_for_strength(0.5))
    errors, lags = [], []
    for i in range(120):
        centre = np.array([200 + 4.0 * i, 150], np.float32)
        noisy = shape + centre + rng.normal(0, 0.8, shape.shape)
        out = smoother.update(noisy, i / 30, scale=100.0)
        if i > 30:
            errors.append(np.abs(out - (shape + centre)).mean())
            lags.append(float(centre[0] - out[:, 0].mean() + shape[:, 0].mean()))
    assert np.mean(errors) < 0.35  # raw noise is ~0.64 mean abs
    assert abs(np.mean(lags)) < 1.0


@pytest.mark.parametrize("shape", [(478, 2), (478, 3)])
def test_shapes_are_kept(shape):
    smoother = LandmarkSmoother(params_for_strength(0.5))
    assert smoother.update(np.zeros(shape), 0.0).shape == shape
    assert smoother.update(np.ones(shape), 0.1).shape == shape
