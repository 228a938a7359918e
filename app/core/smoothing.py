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
    # Geometric interpolation of the still cutoff: 2 Hz (light) .. 0.02 Hz (heavy).
    min_cutoff = math.exp(math.log(2.0) + s * (math.log(0.02) - math.log(2.0)))
    return OneEuroParams(min_cutoff=min_cutoff, beta=10.0)


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    # 1 / (1 + tau / dt) with tau = 1 / (2 pi cutoff), in three operations.
    x = cutoff * (2.0 * math.pi * dt)
    return x / (x + 1.0)


class OneEuroFilter:
    """Smooths (N, D) float arrays over time: `update(value, t, scale) -> value`."""

    def __init__(self, params: OneEuroParams) -> None:
        self.params = params
        self.reset()

    def reset(self) -> None:
        self._value: np.ndarray | None = None
        self._velocity: np.ndarray | None = None
        self._t = 0.0

    def update(self, value: np.ndarray, t: float, scale: float = 1.0) -> np.ndarray:
        """value (N, D) at time t (s); `scale` is the object's size in value units."""
        value = np.asarray(value, dtype=np.float32)
        if self._value is None or self._value.shape != value.shape or t <= self._t:
            self._value, self._velocity, self._t = value.copy(), np.zeros_like(value), t
            return value
        dt = t - self._t
        p = self.params
        # Velocity per landmark in object sizes per second, low-passed as a signed vector
        # before taking its length, so sensor noise averages out instead of adding speed.
        velocity = (value - self._value) / (dt * max(scale, 1e-6))
        assert self._velocity is not None
        self._velocity = self._velocity + _alpha(p.d_cutoff, dt) * (velocity - self._velocity)
        speed = np.sqrt(np.einsum("ij,ij->i", self._velocity, self._velocity))  # row norms
        cutoff = p.min_cutoff + p.beta * speed
        a = np.asarray(_alpha(cutoff, dt), dtype=np.float32)[:, None]
        self._value = self._value + a * (value - self._value)
        self._t = t
        return self._value.copy()


class LandmarkSmoother:
    """Smooths a face's landmarks as rigid motion + shape, each with its own filter.

    The mean of all landmarks follows the face's translation with almost no noise (478
    points average it out), so it gets a light filter and moves without lag; the shape
    (landmarks minus their mean) holds still on a still face, so it gets the strong
    filter. Plain per-point filtering would have to lag the whole face to calm it.
    `update(xyd (N, D), t, scale) -> (N, D)`; `scale` is the face's size in pixels.
    """

    # The centre is nearly noise-free: it can afford a higher cutoff and a much faster
    # response to speed, which is what keeps a moving face from trailing.
    CENTRE_CUTOFF_GAIN = 8.0
    CENTRE_BETA_GAIN = 10.0

    def __init__(self, params: OneEuroParams) -> None:
        self.shape = OneEuroFilter(params)
        self.centre = OneEuroFilter(OneEuroParams(params.min_cutoff * self.CENTRE_CUTOFF_GAIN,
                                                  params.beta * self.CENTRE_BETA_GAIN,
                                                  params.d_cutoff))

    def update(self, value: np.ndarray, t: float, scale: float = 1.0) -> np.ndarray:
        value = np.asarray(value, dtype=np.float32)
        mean = value.mean(axis=0, keepdims=True)
        centre = self.centre.update(mean, t, scale)
        return self.shape.update(value - mean, t, scale) + centre
