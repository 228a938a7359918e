"""Expressions of a tracked face: MediaPipe's 52 blendshapes and what they are read as.

`Expression` is what a face carries (Face.expression): the track's smoothed blendshapes
and the named expression and events read from them. The tables (tables.py) and the
numpy port of the blendshape network (network.py) live beside it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Expression:
    """One tracked face's expression on one frame.

    blendshapes: (52,) float32 in 0..1, in tables.BLENDSHAPE_NAMES order, smoothed
                 over the track (the latest evaluation when the rate skipped this frame).
    name:        the named expression ("neutral", "happy", "surprise", ...).
    score:       how sure that name is, 0..1.
    events:      the events active on this frame ("smile", "wink_left", ...), in a fixed
                 order.
    """

    blendshapes: np.ndarray
    name: str
    score: float
    events: tuple[str, ...] = ()


def expression_record(expression: Expression) -> dict:
    """An expression as the JSONL face record has it: `blendshapes` {name: value} (all
    52, MediaPipe's names in its order, 3 decimals), `expression` (its name),
    `expression_score` (3 decimals) and `events` (those active on this frame)."""
    from .tables import BLENDSHAPE_NAMES

    values = np.round(expression.blendshapes.astype(np.float64), 3).tolist()
    return {
        "blendshapes": dict(zip(BLENDSHAPE_NAMES, values)),
        "expression": expression.name,
        "expression_score": round(float(expression.score), 3),
        "events": list(expression.events),
    }
