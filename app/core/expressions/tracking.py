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
named expressions (no state of a lost face carries over). A track not yet evaluated
(a new face) is evaluated on its first frame whatever the turns say, so every face
carries an expression. Stills (no track carried over) read each face on its own
(reader.read_still).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable, NamedTuple, Protocol, Sequence

import numpy as np

from ..face.smoothing import OneEuroFilter, params_for_strength
from . import Expression
from .reader import ReaderParams, TrackReader, read_still
from .tables import BLENDSHAPE_INPUT_POINTS

if TYPE_CHECKING:
    from ..settings import Settings

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
    smoothing: One Euro strength 0..1, the landmarks' (0 = raw).
    reader:    thresholds of the named expressions and events."""

    rate_hz: float
    smoothing: float
    reader: ReaderParams = ReaderParams()

    @property
    def period(self) -> float:
        return 1.0 / self.rate_hz

    @classmethod
    def from_settings(cls, settings: "Settings") -> "ExpressionParams":
        s = settings
        return cls(s.expressions_rate_hz, s.smoothing, ReaderParams(
            baseline_s=s.expressions_baseline_s, happy_above=s.expressions_happy_above,
            surprise_above=s.expressions_surprise_above,
            smile_above=s.expressions_smile_above,
            mouth_open_above=s.expressions_mouth_open_above,
            brows_up_above=s.expressions_brows_up_above,
            wink_above=s.expressions_wink_above, hysteresis=s.expressions_hysteresis,
            min_duration_s=s.expressions_min_duration_s))


def blendshape_input(xy: np.ndarray) -> np.ndarray:
    """The network's input from a face's 478 image-pixel landmarks: (146, 2) float32."""
    return np.ascontiguousarray(xy[_SUBSET], dtype=np.float32)


class ExpressionTrack:
    """One track's blendshapes: its turn (`due_at`), its filter and its reader."""

    def __init__(self, params: ExpressionParams, reader: ExpressionReader, t: float) -> None:
        self.params = params
        self.reader = reader
        self._filter = self._new_filter(params.smoothing)
        self.due_at = t  # a new track's first turn comes at once (if no other is older)
        self.expression: Expression | None = None

    @staticmethod
    def _new_filter(smoothing: float) -> OneEuroFilter | None:
        filter_params = params_for_strength(smoothing)
        return OneEuroFilter(filter_params) if filter_params is not None else None

    def configure(self, params: ExpressionParams) -> None:
        """Changed settings mid-track: a new smoothing strength restarts the filter, new
        thresholds take effect at the next turn (the baseline is kept); a new rate moves
        the next turn."""
        if params.smoothing != self.params.smoothing:
            self._filter = self._new_filter(params.smoothing)
        if params.reader != self.params.reader and isinstance(self.reader, TrackReader):
            self.reader.configure(params.reader)
        if params.rate_hz != self.params.rate_hz:
            self.due_at += params.period - self.params.period
        self.params = params

    def evaluate(self, model: BlendshapeModel, xy: np.ndarray, t: float) -> Expression | None:
        """Run the network on this frame's raw landmarks `xy` (478, 2) and read them. A
        reading that is not finite (a degenerate mesh: the network normalises by the
        points' spread) is dropped, so it never reaches the filter, the JSON or a report:
        the face keeps its last expression."""
        raw = np.asarray(model(blendshape_input(xy)), np.float32).reshape(-1, 1)
        if not np.isfinite(raw).all():
            self.due_at = t + self.params.period
            return self.expression
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


class StillReader:
    """The reader of a face seen once (a still): no baseline, no latching."""

    def __init__(self, params: ReaderParams) -> None:
        self.params = params

    def update(self, blendshapes: np.ndarray, t: float) -> tuple[str, float, tuple[str, ...]]:
        return read_still(blendshapes, self.params)


def make_tracks(params: ExpressionParams | None,
                reader: Callable[[], ExpressionReader]) -> Callable[[float], ExpressionTrack | None]:
    """A factory of new tracks' expression state (None when expressions are off)."""
    if params is None or not math.isfinite(params.rate_hz) or params.rate_hz <= 0:
        return lambda t: None
    return lambda t: ExpressionTrack(params, reader(), t)


def new_track(params: ExpressionParams | None, t: float, *,
              still: bool) -> ExpressionTrack | None:
    """A new track's expression state (None when expressions are off); `still`: a face
    seen once, read without a baseline."""
    if params is None:
        return None
    thresholds = params.reader
    reader: Callable[[], ExpressionReader] = (
        (lambda: StillReader(thresholds)) if still else (lambda: TrackReader(thresholds)))
    return make_tracks(params, reader)(t)


def due(tracks: Sequence[ExpressionTrack], t: float) -> list[int]:
    """The tracks to evaluate at `t`: those never evaluated (new faces), and the turns
    of the others (take_turns)."""
    fresh = [i for i, track in enumerate(tracks) if track.expression is None]
    if len(fresh) == len(tracks):
        return fresh
    old = [i for i in range(len(tracks)) if tracks[i].expression is not None]
    turns = take_turns([tracks[i] for i in old], t)
    return sorted(fresh + [old[k] for k in turns])
