"""Blendshapes per track: when each track's are evaluated, and how they are smoothed.

The blendshape network costs far more than the rest of a face's signals on the device
(tens of MFLOP against a few hundred kFLOP), so a track evaluates it `rate_hz` times a
second, not every frame, and the tracks take turns: a frame evaluates the track most
overdue, and a second one only when that one has waited a whole period beyond its
turn. So four faces at 10 Hz on a 30 fps loop cost about one evaluation a frame, never
four on one frame. Between evaluations a face keeps its track's last expression.

Each evaluation runs on the track's raw landmarks of that frame (as the signals do) and
is smoothed by the app's One Euro filter at the signals' strength, so blendshapes lag
no more than the landmarks; a new track starts with a new filter and a new reader of
named expressions (no state of a lost face carries over).
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple, Protocol, Sequence

import numpy as np

from ..smoothing import OneEuroFilter, params_for_strength
from . import Expression
from .tables import BLENDSHAPE_INPUT_POINTS

_SUBSET = np.array(BLENDSHAPE_INPUT_POINTS, np.intp)


class BlendshapeModel(Protocol):
    def __call__(self, points: np.ndarray) -> np.ndarray:
        """(146, 2) float32 landmarks (tables.BLENDSHAPE_INPUT_POINTS) in image pixels ->
        (52,) float32 scores in tables.BLENDSHAPE_NAMES order."""
        ...


class ExpressionReader(Protocol):
    def update(self, blendshapes: np.ndarray, t: float) -> tuple[str, float, tuple[str, ...]]:
        """A track's smoothed blendshapes at time `t` -> (name, score, active events)."""
        ...


class ExpressionParams(NamedTuple):
    """rate_hz:   evaluations a second per track (the device's cost driver).
    smoothing: One Euro strength 0..1, the landmarks' (0 = raw)."""

    rate_hz: float
    smoothing: float

    @property
    def period(self) -> float:
        return 1.0 / self.rate_hz


def blendshape_input(xy: np.ndarray) -> np.ndarray:
    """The network's input from a face's 478 image-pixel landmarks: (146, 2) float32."""
    return np.ascontiguousarray(xy[_SUBSET], dtype=np.float32)


class ExpressionTrack:
    """One track's blendshapes: its turn (`due_at`), its filter and its reader."""

    def __init__(self, params: ExpressionParams, reader: ExpressionReader, t: float) -> None:
        self.params = params
        self.reader = reader
        filter_params = params_for_strength(params.smoothing)
        self._filter = OneEuroFilter(filter_params) if filter_params is not None else None
        self.due_at = t  # a new track's first turn comes at once (if no other is older)
        self.expression: Expression | None = None

    def evaluate(self, model: BlendshapeModel, xy: np.ndarray, t: float) -> Expression:
        """Run the network on this frame's raw landmarks `xy` (478, 2) and read them."""
        raw = np.asarray(model(blendshape_input(xy)), np.float32).reshape(-1, 1)
        shapes = raw if self._filter is None else self._filter.update(raw, t)
        shapes = np.clip(shapes.reshape(-1), 0.0, 1.0)
        name, score, events = self.reader.update(shapes, t)
        self.expression = Expression(shapes, name, score, events)
        self.due_at = t + self.params.period
        return self.expression


def take_turns(tracks: Sequence[ExpressionTrack], t: float) -> list[int]:
    """Indices of the tracks to evaluate at `t`: the most overdue of those whose turn has
    come, and any other whose turn came a whole period ago."""
    due = sorted((track.due_at, i) for i, track in enumerate(tracks) if t >= track.due_at)
    return [i for k, (due_at, i) in enumerate(due)
            if k == 0 or t - due_at >= tracks[i].params.period]


def make_tracks(params: ExpressionParams | None,
                reader: Callable[[], ExpressionReader]) -> Callable[[float], ExpressionTrack | None]:
    """A factory of new tracks' expression state (None when expressions are off)."""
    if params is None or not math.isfinite(params.rate_hz) or params.rate_hz <= 0:
        return lambda t: None
    return lambda t: ExpressionTrack(params, reader(), t)
