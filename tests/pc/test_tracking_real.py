"""Tracking with the real models: tracked crops agree with detector crops, faces leave
for a cartoon and come back from one, crossing faces, a group. (The tracker's logic on
replayed model outputs: tests/core/test_tracking.py.)"""
from __future__ import annotations

import cv2
import numpy as np

from app.core.face.geometry import box_of_points, iou
from conftest import load_rgb, load_video


def track(make_tracker, frames, **settings):
    tracker = make_tracker(**settings)
    results, stats = [], []
    for i, frame in enumerate(frames):
        results.append(tracker.update(frame, i / 30))
        stats.append(tracker.stats)
    return tracker, results, stats


def test_tracking_matches_detection_every_frame(pc_tracker):
    """Landmarks from tracked crops agree with landmarks from detector crops."""
    frames = load_video("single_face.mp4")
    _, tracked, _ = track(pc_tracker, frames, max_faces=1, smoothing=0.0)
    _, detected, stats = track(pc_tracker, frames, max_faces=1, smoothing=0.0, tracking=False)
    assert sum(s.detector_runs for s in stats) == len(frames)
    for a, b in zip(tracked, detected):
        iod = np.linalg.norm(b[0].xy[33] - b[0].xy[263])
        assert np.linalg.norm(a[0].xy - b[0].xy, axis=1).mean() / iod < 0.04


def test_face_leaves_then_no_faces(pc_tracker):
    frames = load_video("face_noface.mov")
    _, results, stats = track(pc_tracker, frames, max_faces=2)
    counts = [len(f) for f in results]
    assert counts[0] == 1
    gone = counts.index(0)
    assert all(c == 0 for c in counts[gone:])  # once the face left, nothing is invented
    assert 30 < gone < len(frames) - 30
    # With nothing to track, the detector runs on every frame to pick faces up again.
    assert all(s.detector_runs == 1 for s in stats[gone:])


def test_face_appears_and_is_picked_up_at_once(pc_tracker):
    frames = load_video("noface_face.mov")
    _, results, _ = track(pc_tracker, frames, max_faces=2)
    counts = [len(f) for f in results]
    first = counts.index(1)
    assert counts[:first] == [0] * first and first > 30
    assert frames[-1].max() == 0 and counts[-1] == 0  # the clip ends on a black frame
    assert all(c == 1 for c in counts[first:-1])
    assert len({f[0].track_id for f in results[first:-1]}) == 1


def test_group_tracks_five_faces_and_limit_changes(pc_tracker):
    still = load_rgb("multi_face.jpg")
    tracker = pc_tracker(max_faces=5, detector_interval=5, pc_tiling="on")
    faces = tracker.update(still, 0.0)
    assert len(faces) == 5
    ids = {f.track_id for f in faces}
    for i in range(1, 12):
        faces = tracker.update(still, i / 30)
        assert {f.track_id for f in faces} == ids
        assert tracker.stats.detector_runs == 0  # at the limit: no periodic detection
    tracker.configure(max_faces=2, smoothing=tracker.smoothing, detector_interval=5,
                      signals=tracker.signals)
    faces = tracker.update(still, 1.0)
    assert len(faces) == 2
    areas = [float(np.prod(box_of_points(f.xy)[2:])) for f in faces]
    assert areas == sorted(areas, reverse=True)
    tracker.configure(max_faces=4, smoothing=tracker.smoothing, detector_interval=5,
                      signals=tracker.signals)
    seen = [len(tracker.update(still, 1.0 + i / 30)) for i in range(1, 8)]
    assert seen[-1] == 4  # new faces picked up within one detector interval
    assert len({f.track_id for f in tracker.update(still, 2.0)}) == 4


def test_crossing_faces_never_share_a_track(pc_tracker):
    """Two real faces slide past each other; one hides the other for a while."""
    a = cv2.resize(load_rgb("astronaut.png")[20:300, 120:400], (200, 200))
    b = cv2.resize(load_rgb("obama.jpg")[150:750, 150:750], (200, 200))
    frames = []
    for i in range(40):
        canvas = np.full((240, 640, 3), 120, np.uint8)
        xa, xb = 10 + 11 * i, 430 - 11 * i
        canvas[20:220, xb:xb + 200] = b
        canvas[20:220, xa:xa + 200] = a  # a passes in front of b
        frames.append(canvas)
    _, results, _ = track(pc_tracker, frames, max_faces=2, detector_interval=3)
    assert len(results[0]) == 2
    for faces in results:
        boxes = np.array([box_of_points(f.xy) for f in faces])
        if len(boxes) == 2:
            assert iou(boxes[0], boxes[1:]).max() < 0.3  # never two tracks on one face
        assert len({f.track_id for f in faces}) == len(faces)
    assert len(results[-1]) == 2  # both found again after crossing
