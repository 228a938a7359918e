"""One Euro filtering of whole landmark arrays, scaled to the face's size.

The One Euro filter (Casiez, Roussel, Vogel, CHI 2012, https://gery.casiez.net/1euro/)
is a low-pass whose cutoff rises with speed: still faces are held steady, moving faces
follow with little lag. As in MediaPipe's LandmarksSmoothingCalculator, the speed is
measured in face sizes per second (the derivative is divided by the face's size), so a
face behaves the same near the camera and far from it. One filter instance smooths a
whole (N, D) array per call; no per-landmark Python.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OneEuroParams:
    min_cutoff: float  # Hz, cutoff when still: lower = steadier
    beta: float  # cutoff gain per (face size / s) of speed: higher = less lag
    d_cutoff: float = 1.0  # Hz, cutoff of the speed estimate


def params_for_strength(strength: float) -> OneEuroParams | None:
    """Map the UI's 0..1 strength to filter parameters; 0 means no smoothing (None).

    Tuned on a still and a moving real face (tests/core/test_smoothing.py measures both):
    jitter down by well over half at the default 0.5, and at 4 px/frame the lag stays
    within a pixel of the raw output.
    """
    if strength <= 0.0:
        return None
    s = min(strength, 1.0)
    # Geometric interpolation: 4 Hz (light) down to 0.15 Hz (heavy) when still.
    min_cutoff = math.exp(math.log(4.0) + s * (math.log(0.15) - math.log(4.0)))
    return OneEuroParams(min_cutoff=min_cutoff, beta=40.0)


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Smooths (N, D) float arrays over time: `update(value, t, scale) -> value`."""

    def __init__(self, params: OneEuroParams) -> None:
        self.params = params
        self.reset()

    def reset(self) -> None:
        self._value: np.ndarray | None = None
        self._speed: np.ndarray | None = None
        self._t = 0.0

    def update(self, value: np.ndarray, t: float, scale: float = 1.0) -> np.ndarray:
        """value (N, D) at time t (s); `scale` is the object's size in value units."""
        value = np.asarray(value, dtype=np.float32)
        if self._value is None or self._value.shape != value.shape or t <= self._t:
            self._value, self._speed, self._t = value.copy(), np.zeros(value.shape[0], np.float32), t
            return value
        dt = t - self._t
        p = self.params
        # Speed per landmark: |d value| in object sizes per second, itself low-passed.
        raw_speed = np.linalg.norm(value - self._value, axis=1) / (dt * max(scale, 1e-6))
        assert self._speed is not None
        self._speed = self._speed + _alpha(p.d_cutoff, dt) * (raw_speed - self._speed)
        cutoff = p.min_cutoff + p.beta * self._speed
        a = _alpha(cutoff, dt).astype(np.float32)[:, None]
        self._value = self._value + a * (value - self._value)
        self._t = t
        return self._value.copy()
