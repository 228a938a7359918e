"""Named expressions and events read from a face's blendshapes: pure numpy, a few
dozen array operations per evaluation (no per-shape Python loops).

MediaPipe's blendshapes are biased per face: a neutral face reads `browDownLeft` 0.84
(obama.jpg), `mouthPressLeft` 0.58 (biden.jpg), and on a crying face `mouthSmile` reads
0.77. So a track reads each shape against its own neutral baseline: the mean of its
evaluations so far, until `baseline_s` seconds have passed; then that mean is kept, and
afterwards follows any shape that falls below it (time constant `baseline_s`), so a
face that starts out smiling reads neutral until its mouth relaxes, and its next smile
reads as one. A shape's *rise* is how far it stands above the baseline, as a fraction
of the headroom left: (value - base) / (1 - base), in 0..1. Stills (one frame: nothing
to learn from) have no baseline of their own: they use the population's, zero, so a
still reads the raw scores against the thresholds (a face whose shapes are biased, as
the crying face, reads wrong there; measured right on the labelled portraits).

Scores (each 0..1, from the rises):
    happy, smile  the mean of mouthSmileLeft/Right
    surprise      min(brows, max(jawOpen, eyeWideLeft/Right mean)): brows up AND the
                  mouth or the eyes opened
    brows_up      brows = max(browInnerUp, mean of browOuterUpLeft/Right)
    mouth_open    jawOpen
    wink_left     eyeBlinkLeft - eyeBlinkRight (MediaPipe's sides), wink_right mirrored

Each score is latched with hysteresis (on at `above`, off below `above - hysteresis`)
and a minimum duration (a change holds `min_duration_s` before it is taken), so
nothing flickers. The named expression is the latched one of happy/surprise with the
higher score, else "neutral" (score: 1 - the highest of the two scores).

Measured on the labelled portraits (raw scores, MediaPipe Tasks' blendshapes):
0-f1-su-ph (surprise) brows 0.48, jawOpen 0.52; 0-f15-hao-ph (happy) smile 0.80.
Left out, as they do not read from these shapes on the labelled images: angry
(15-f13-anc-ph: browDown 0.41, mouthPress 0.14 - lower than neutral faces' 0.49-0.84
and 0.58), disgust (45-m7-di-ph: noseSneer 0.00, mouthUpperUp 0.00); sad and fear
have no labelled image here.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .tables import BLENDSHAPE_INDEX, EVENT_NAMES

NEUTRAL = "neutral"
# The expressions this reader names (a subset of tables.EXPRESSION_NAMES, whose ids the
# face report sends); the events are all of tables.EVENT_NAMES, in their bit order.
READ_EXPRESSIONS: tuple[str, ...] = (NEUTRAL, "happy", "surprise")
# Latched channels: the named expressions (but neutral), then the events.
_CHANNELS = READ_EXPRESSIONS[1:] + EVENT_NAMES
_NAMED = len(READ_EXPRESSIONS) - 1

# Shapes the scores read, gathered in one indexing per evaluation.
_USED = ("mouthSmileLeft", "mouthSmileRight", "browInnerUp", "browOuterUpLeft",
         "browOuterUpRight", "jawOpen", "eyeWideLeft", "eyeWideRight", "eyeBlinkLeft",
         "eyeBlinkRight")
_USED_INDEX = np.array([BLENDSHAPE_INDEX[name] for name in _USED], np.intp)
_HEADROOM_MIN = 0.05  # a baseline near 1 leaves no room: rises are capped by this


class ReaderParams(NamedTuple):
    """Thresholds (expressions.* settings): a score turns on at `*_above` and off below
    `*_above - hysteresis`; a change is taken when it has held `min_duration_s`.
    baseline_s: seconds of a track's first evaluations averaged as its neutral (0: the
    population's baseline, zero, always)."""

    baseline_s: float = 1.0
    happy_above: float = 0.5
    surprise_above: float = 0.3
    smile_above: float = 0.5
    mouth_open_above: float = 0.35
    brows_up_above: float = 0.3
    wink_above: float = 0.4
    hysteresis: float = 0.1
    min_duration_s: float = 0.2

    @property
    def on(self) -> np.ndarray:
        """(K,) on levels in _CHANNELS order."""
        return np.array([self.happy_above, self.surprise_above, self.wink_above,
                         self.wink_above, self.smile_above, self.mouth_open_above,
                         self.brows_up_above], np.float32)


def scores(rise: np.ndarray) -> np.ndarray:
    """(K,) channel scores in _CHANNELS order from the (52,) rises."""
    smile_l, smile_r, inner, outer_l, outer_r, jaw, wide_l, wide_r, blink_l, blink_r = (
        rise[_USED_INDEX].tolist())
    smile = 0.5 * (smile_l + smile_r)
    brows = max(inner, 0.5 * (outer_l + outer_r))
    surprise = min(brows, max(jaw, 0.5 * (wide_l + wide_r)))
    wink = blink_l - blink_r
    return np.array([smile, surprise, max(wink, 0.0), max(-wink, 0.0), smile, jaw, brows],
                    np.float32)


def rises(shapes: np.ndarray, base: np.ndarray | None) -> np.ndarray:
    """How far each shape stands above `base` (None: zero), over the headroom, 0..1."""
    if base is None:
        return shapes
    rise = shapes - base
    rise /= np.maximum(1.0 - base, _HEADROOM_MIN)
    return np.clip(rise, 0.0, 1.0, out=rise)


def name_of(score: np.ndarray, active: np.ndarray) -> tuple[str, float]:
    """The named expression: the active named channel scoring highest, else neutral."""
    named = np.where(active[:_NAMED], score[:_NAMED], -1.0)
    best = int(np.argmax(named))
    if named[best] >= 0.0:
        return READ_EXPRESSIONS[best + 1], float(score[best])
    return NEUTRAL, float(1.0 - min(max(float(score[:_NAMED].max()), 0.0), 1.0))


def events_of(active: np.ndarray) -> tuple[str, ...]:
    return tuple(name for name, on in zip(EVENT_NAMES, active[_NAMED:].tolist()) if on)


def read_still(shapes: np.ndarray, params: ReaderParams) -> tuple[str, float, tuple[str, ...]]:
    """One frame with no track (a still): the raw scores against the on levels."""
    score = scores(rises(np.asarray(shapes, np.float32), None))
    active = score >= params.on
    name, value = name_of(score, active)
    return name, value, events_of(active)


class TrackReader:
    """A track's reader: its baseline and its latched channels. `update(shapes, t)` with
    the track's smoothed blendshapes at each evaluation."""

    def __init__(self, params: ReaderParams) -> None:
        self.configure(params)
        self._start: float | None = None
        self._last_t = 0.0
        self._sum = np.zeros(len(BLENDSHAPE_INDEX), np.float64)
        self._count = 0
        self.base: np.ndarray | None = None  # the baseline; None: none yet
        self.learnt = False  # the first baseline_s have passed
        self.active = np.zeros(len(_CHANNELS), bool)
        self._since = np.full(len(_CHANNELS), np.nan)  # when a pending change began

    def configure(self, params: ReaderParams) -> None:
        """New thresholds; the baseline and the latched state are kept."""
        self.params = params
        self._on = params.on
        self._off = self._on - np.float32(params.hysteresis)

    def _learn(self, shapes: np.ndarray, t: float) -> None:
        p = self.params
        if p.baseline_s <= 0:
            return
        if self._start is None:
            self._start = t
        if not self.learnt:
            self._sum += shapes
            self._count += 1
            self.base = (self._sum / self._count).astype(np.float32)
            self.learnt = t - self._start >= p.baseline_s
            return
        assert self.base is not None
        # Follow a shape that falls below the baseline, with time constant baseline_s.
        k = np.float32(1.0 - np.exp(-max(t - self._last_t, 0.0) / p.baseline_s))
        below = np.minimum(shapes - self.base, 0.0)
        self.base += k * below

    def update(self, shapes: np.ndarray, t: float) -> tuple[str, float, tuple[str, ...]]:
        shapes = np.asarray(shapes, np.float32)
        self._learn(shapes, t)
        self._last_t = t
        score = scores(rises(shapes, self.base))
        wants = np.where(self.active, score >= self._off, score >= self._on)
        changing = wants != self.active
        self._since[~changing] = np.nan
        start = changing & np.isnan(self._since)
        self._since[start] = t
        take = changing & (t - self._since >= self.params.min_duration_s)
        self.active[take] = wants[take]
        self._since[take] = np.nan
        name, value = name_of(score, self.active)
        return name, value, events_of(self.active)
