"""Emotion per tracked face (app/core/emotion.py): which tracks are classified on which
frame (the rate, spread across tracks, new tracks at once, gone tracks forgotten), and
the app's tracker on recorded real model outputs with each face carrying its track's
latest emotion. The classifier itself is the device's (tests/device/test_maix_emotion.py):
here a function of the face's own landmarks stands in (mouth open -> surprise)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from app.core.emotion import Emotion, EmotionSchedule, EmotionTracker
from app.core.settings import Settings
from app.core.timing import StageClock
from tests.core._factories import replay_frames, replay_tracker


def test_each_track_at_the_rate_never_two_on_one_frame():
    schedule = EmotionSchedule(10.0, per_frame=1)
    picks = [schedule.due([4, 7], i / 30) for i in range(90)]   # 3 s at 30 fps
    assert all(len(p) <= 1 for p in picks)
    counts = {t: sum(t in p for p in picks) for t in (4, 7)}
    assert counts == {4: 30, 7: 30}        # 10 Hz each, on average
    assert picks[0] == [4] and picks[1] == [7]   # the second waits one frame


def test_new_tracks_at_once_gone_tracks_forgotten():
    schedule = EmotionSchedule(2.0, per_frame=2)
    assert schedule.due([1], 0.0) == [1]
    schedule.latest[1] = Emotion("happy", 0.9)
    assert schedule.due([1, 2], 0.1) == [2]      # 1 is not due before 0.5 s
    assert schedule.due([2], 0.2) == [] and 1 not in schedule.latest
    assert schedule.due([1, 2], 0.3) == [1]      # back: a new track
    assert schedule.due([1, 2], 10.0) == [2, 1]      # the most overdue first
    with pytest.raises(ValueError):
        EmotionSchedule(0.0)


def _mouth_reader(calls: list):
    def classify(frame, face):
        calls.append(face.track_id)
        gap = float(np.linalg.norm(face.xy[13] - face.xy[14]))
        width = float(np.linalg.norm(face.xy[61] - face.xy[291]))
        return Emotion("surprise" if gap > 0.15 * width else "neutral", min(1.0, gap / width))
    return classify


def test_tracked_faces_carry_their_tracks_latest_emotion():
    calls: list[int] = []
    clock = StageClock()
    tracker = EmotionTracker(replay_tracker(), _mouth_reader(calls), EmotionSchedule(5.0),
                             clock)
    frames = replay_frames("single_face.mp4")
    seen = []
    for i, frame in enumerate(frames):
        clock.new_frame()
        faces = tracker.update(frame, i / 30)
        seen.append(faces)
        for face in faces:
            assert face.track_id >= 0 and face.emotion is not None
            assert face.emotion == tracker.schedule.latest[face.track_id]
    assert len(frames) == 72 and all(len(f) == 1 for f in seen)
    assert len(calls) == 12   # 72 frames = 2.4 s at 5 Hz (frames 0, 6, 12, ...)
    labels = {f.emotion.label for faces in seen for f in faces}
    assert labels <= {"surprise", "neutral"}
    # between classifications a face keeps the last result, not its own frame's reading
    assert seen[1][0].emotion is seen[0][0].emotion


def test_faces_without_a_track_id_are_not_classified():
    calls: list[int] = []
    inner = replay_tracker()
    untracked = EmotionTracker(
        type("Untracked", (), {"update": lambda self, frame, t: [
            dataclasses.replace(f, track_id=-1) for f in inner.update(frame, t)]})(),
        _mouth_reader(calls), EmotionSchedule(30.0))
    faces = untracked.update(replay_frames("single_face.mp4")[0], 0.0)
    assert faces and all(f.emotion is None and f.track_id == -1 for f in faces)
    assert calls == []


def test_settings_reach_the_inner_tracker():
    inner = replay_tracker()
    tracker = EmotionTracker(inner, _mouth_reader([]), EmotionSchedule(5.0))
    tracker.configure(max_faces=1, smoothing=0.0, detector_interval=3, signals=None)
    assert (inner.max_faces, inner.smoothing, inner.detector_interval) == (1, 0.0, 3)
    assert tracker.max_faces == 1   # everything else is the inner tracker's


def test_a_failed_classification_keeps_the_last_result():
    results = iter([Emotion("happy", 0.8), None, None])
    tracker = EmotionTracker(replay_tracker(), lambda frame, face: next(results),
                             EmotionSchedule(30.0))
    frames = replay_frames("single_face.mp4")
    emotions = [tracker.update(frames[i], i / 30)[0].emotion for i in range(3)]
    assert emotions == [Emotion("happy", 0.8)] * 3
    assert dataclasses.is_dataclass(emotions[0])
