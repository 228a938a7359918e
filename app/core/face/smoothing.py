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
from typing import NamedTuple

import numpy as np


class OneEuroParams(NamedTuple):
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


def _alpha(cutoff: float, dt: float) -> float:
    # 1 / (1 + tau / dt) with tau = 1 / (2 pi cutoff), in three operations.
    x = cutoff * (2.0 * math.pi * dt)
    return x / (x + 1.0)


class OneEuroFilter:
    """Smooths (N, D) float arrays over time: `update(value, t, scale) -> value`.

    A dozen whole-array operations a call, most in place: on the device's CPU each numpy
    call costs as much as thousands of elements of its work."""

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
        assert self._velocity is not None
        dt = t - self._t
        p = self.params
        diff = value - self._value
        # Velocity per landmark in object sizes per second, low-passed as a signed vector
        # before taking its length, so sensor noise averages out instead of adding speed:
        # v += a_d * (diff / (dt * scale) - v).
        a_d = _alpha(p.d_cutoff, dt)
        velocity = self._velocity
        velocity *= np.float32(1.0 - a_d)
        velocity += diff * np.float32(a_d / (dt * max(scale, 1e-6)))
        speed = np.sqrt(np.einsum("ij,ij->i", velocity, velocity))  # row norms
        # alpha = x / (x + 1) with x = (min_cutoff + beta * speed) * 2 pi dt, in place.
        k = 2.0 * math.pi * dt
        speed *= np.float32(p.beta * k)
        speed += np.float32(p.min_cutoff * k)
        a = speed / (speed + np.float32(1.0))
        diff *= a[:, None]
        self._value += diff
        self._t = t
        return self._value.copy()


class OneEuroScalars:
    """The One Euro filter for a few numbers in plain Python floats (cheaper than numpy
    calls for under a dozen values): `update(values, t, scale) -> values`, no NaN.

    joint: the values are one point's coordinates, with one speed (the length of their
           velocity, as OneEuroFilter's rows); else each value is filtered on its own
           (a face's signals, as an (N, 1) OneEuroFilter).
    """

    def __init__(self, params: OneEuroParams, joint: bool = False) -> None:
        self.params = params
        self.joint = joint
        self.reset()

    def reset(self) -> None:
        self._value: list[float] | None = None
        self._velocity: list[float] = []
        self._t = 0.0

    def update(self, values: list[float], t: float, scale: float = 1.0) -> list[float]:
        if self._value is None or len(self._value) != len(values) or t <= self._t:
            self._value, self._velocity, self._t = list(values), [0.0] * len(values), t
            return list(values)
        dt = t - self._t
        p = self.params
        a_d = _alpha(p.d_cutoff, dt)
        gain = a_d / (dt * max(scale, 1e-6))
        diffs = [v - last for v, last in zip(values, self._value)]
        self._velocity = [vel * (1.0 - a_d) + d * gain for vel, d in zip(self._velocity, diffs)]
        if self.joint:
            speeds = [math.sqrt(sum(v * v for v in self._velocity))] * len(values)
        else:
            speeds = [abs(v) for v in self._velocity]
        k = 2.0 * math.pi * dt
        out = []
        for last, d, speed in zip(self._value, diffs, speeds):
            x = (p.min_cutoff + p.beta * speed) * k
            out.append(last + d * (x / (x + 1.0)))
        self._value = out
        self._t = t
        return list(out)


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
        self.centre = OneEuroScalars(OneEuroParams(params.min_cutoff * self.CENTRE_CUTOFF_GAIN,
                                                   params.beta * self.CENTRE_BETA_GAIN,
                                                   params.d_cutoff), joint=True)

    def update(self, value: np.ndarray, t: float, scale: float = 1.0) -> np.ndarray:
        value = np.asarray(value, dtype=np.float32)
        # Column means by einsum: a third of the cost of mean(axis=0) on an (N, 3) array.
        mean = np.einsum("ij->j", value) * np.float32(1.0 / len(value))
        centre = self.centre.update(mean.tolist(), t, scale)
        out = self.shape.update(value - mean, t, scale)
        out += np.asarray(centre, np.float32)
        return out
