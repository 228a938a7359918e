"""Per-face depth normalisation that holds still from frame to frame.

`face.depth` is in crop pixels and its extremes jump with single noisy points (nose
tip, ear edge). The range used for colouring is the 5th..95th percentile, smoothed by
an exponential moving average per track id, so one point moving changes almost nothing
and the colours do not flicker. A new (or untracked, id -1) face starts from its own
percentiles.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..face.faces import Face


def _percentiles(values: np.ndarray, pcts: np.ndarray) -> np.ndarray:
    """The `pcts` percentiles of `values` as order statistics (nearest rank): one
    np.partition, a tenth of np.percentile's cost for a colour range that needs no
    interpolation."""
    ranks = np.rint(pcts / 100.0 * (len(values) - 1)).astype(np.intp)
    return np.partition(values, ranks)[ranks].astype(np.float64)


class DepthRange:
    """Stateful: `update(faces)` once per frame, then `normalize(face, rng)`.

    lo_pct/hi_pct: percentiles of a face's depth taken as far/near ends.
    alpha:         EMA weight of the new frame's range (1 = no smoothing).
    min_span:      smallest range in crop pixels (a flat face would divide by ~0).
    """

    def __init__(self, lo_pct: float = 5.0, hi_pct: float = 95.0, alpha: float = 0.2,
                 min_span: float = 4.0) -> None:
        self.pcts = np.array([lo_pct, hi_pct], dtype=np.float64)
        self.alpha = alpha
        self.min_span = min_span
        self._ranges: dict[int, np.ndarray] = {}

    def reset(self) -> None:
        self._ranges = {}

    def update(self, faces: Sequence[Face]) -> list[tuple[float, float]]:
        """(lo, hi) in crop pixels per face, in order; forgets ids not in `faces`."""
        seen: dict[int, np.ndarray] = {}
        out = []
        for face in faces:  # a few faces; the work per face is vectorised
            now = _percentiles(face.depth, self.pcts)
            prev = self._ranges.get(face.track_id) if face.track_id >= 0 else None
            rng = now if prev is None else prev + self.alpha * (now - prev)
            if face.track_id >= 0:
                seen[face.track_id] = rng
            lo, hi = float(rng[0]), float(rng[1])
            mid = 0.5 * (lo + hi)
            half = max(hi - lo, self.min_span) * 0.5
            out.append((mid - half, mid + half))
        self._ranges = seen
        return out

    @staticmethod
    def normalize(depth: np.ndarray, rng: tuple[float, float]) -> np.ndarray:
        """(N,) crop-pixel depth -> (N,) float32 in [0, 1], 1 = nearest."""
        lo, hi = rng
        out = (np.asarray(depth, np.float32) - np.float32(lo)) * np.float32(1.0 / (hi - lo))
        return np.clip(out, 0.0, 1.0, out=out)
