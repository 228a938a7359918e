"""Perceptual colour maps as (256, 3) uint8 RGB lookup tables; no cv2.

Turbo (Mikhailov, Google AI Blog 2019, Apache-2.0) from the published polynomial fit
(Ruofei Du's GLSL port, https://www.shadertoy.com/view/3lBXR3): dark blue at 0, green in
the middle, dark red at 1. Used as "far = cold, near = warm".
"""
from __future__ import annotations

import numpy as np

# Coefficients of x^0..x^5 per channel, from the polynomial fit.
_TURBO_COEFFS = np.array([
    [0.13572138, 4.61539260, -42.66032258, 132.13108234, -152.94239396, 59.28637943],  # r
    [0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604],  # g
    [0.10667330, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973],  # b
], dtype=np.float64)


def turbo(x: np.ndarray) -> np.ndarray:
    """Turbo colours: (...,) values in [0, 1] (clipped) -> (..., 3) float64 RGB in [0, 1]."""
    t = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)[..., None]
    powers = t ** np.arange(6)  # (..., 6)
    return np.clip(powers @ _TURBO_COEFFS.T, 0.0, 1.0)


def make_lut(fn=turbo, size: int = 256) -> np.ndarray:
    """(size, 3) uint8 RGB table sampling `fn` on [0, 1]."""
    rgb = fn(np.linspace(0.0, 1.0, size))
    lut = np.rint(rgb * 255.0).astype(np.uint8)
    lut.flags.writeable = False
    return lut


TURBO_LUT = make_lut(turbo)


def sample(lut: np.ndarray, levels: int, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """`levels` evenly spaced colours of `lut` between fractions `lo` and `hi`: (levels, 3) uint8.

    Trimming the ends keeps the darkest, hardest-to-see entries off a dark scene.
    """
    pos = np.linspace(lo, hi, levels) * (len(lut) - 1)
    return lut[np.rint(pos).astype(np.intp)]
