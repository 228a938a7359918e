"""A face's emotion as a 7-class image classifier reads it (pure: no maix).

On the device, where the system ships Sipeed's face-emotion model
(`/root/models/face_emotion.mud`, classes angry, disgust, fear, happy, sad, surprise,
neutral), app/device/emotion.py classifies each tracked face's crop with it, as MaixPy's
`examples/vision/ai_vision/nn_face_emotion.py` does; a PC has no such model and its
faces carry no emotion. `EmotionSchedule` says which tracks are due on a frame: each
track at `rate_hz`, spread across tracks so that no frame classifies every face.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .timing import StageClock

if TYPE_CHECKING:
    from .face.faces import Face


@dataclass(frozen=True)
class Emotion:
    """label: one of expressions.tables.EXPRESSION_NAMES; score: the classifier's
    softmax probability of it, 0..1."""

    label: str
    score: float


class EmotionSchedule:
    """Per track, when its next classification is due: every 1 / rate_hz seconds (due
    times anchored to the previous due time, so the rate holds on average; after a stall,
    no burst), a new track at once but at most `per_frame` tracks on one frame (the rest
    wait for the next frames, so that the cost is spread), and a track's last result is
    kept until the next. Tracks that left are forgotten."""

    def __init__(self, rate_hz: float, per_frame: int = 1) -> None:
        if not rate_hz > 0:
            raise ValueError(f"rate_hz {rate_hz}: must be > 0")
        self.period_s = 1.0 / rate_hz
        self.per_frame = max(1, per_frame)
        self._next: dict[int, float] = {}
        self.latest: dict[int, Emotion] = {}

    def due(self, track_ids: Sequence[int], now: float) -> list[int]:
        """The tracks to classify on this frame (most overdue first), marked done."""
        alive = set(track_ids)
        for gone in [t for t in self._next if t not in alive]:
            del self._next[gone]
            self.latest.pop(gone, None)
        waiting = sorted((self._next.get(t, -math.inf), t) for t in alive
                         if self._next.get(t, -math.inf) <= now)
        chosen = waiting[:self.per_frame]
        for due, t in chosen:
            anchored = due + self.period_s
            self._next[t] = anchored if anchored > now else now + self.period_s
        return [t for _, t in chosen]


# What classifies one face: (the frame as the platform's models take it, the face) -> its
# emotion, or None when the face could not be classified (e.g. no crop).
Classify = Callable[[Any, "Face"], "Emotion | None"]


class EmotionTracker:
    """A tracker whose faces carry their track's emotion: after each update the tracks
    due (`EmotionSchedule`) are classified with `classify` on this frame, and every
    tracked face gets its track's latest result (None until its first). Faces without a
    track id (tracking off) are not classified. Everything else is the inner tracker's."""

    def __init__(self, tracker: Any, classify: Classify, schedule: EmotionSchedule,
                 clock: StageClock | None = None) -> None:
        self.tracker = tracker
        self.classify = classify
        self.schedule = schedule
        self.clock = clock or StageClock()

    def update(self, frame: Any, t: float) -> list["Face"]:
        faces = self.tracker.update(frame, t)
        tracked = [face for face in faces if face.track_id >= 0]
        due = set(self.schedule.due([face.track_id for face in tracked], t))
        if due:
            with self.clock.stage("emotion"):
                for face in tracked:
                    if face.track_id in due:
                        emotion = self.classify(frame, face)
                        if emotion is not None:
                            self.schedule.latest[face.track_id] = emotion
        latest = self.schedule.latest
        return [replace(face, emotion=latest[face.track_id])
                if face.track_id >= 0 and face.track_id in latest else face for face in faces]

    def configure(self, **settings: Any) -> None:
        self.tracker.configure(**settings)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tracker, name)
