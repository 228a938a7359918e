"""The tracker's logic on replayed real model outputs (tests/replay.py): stable ids, a
rare detector, faces leaving and coming back, the face limit, stills."""
from __future__ import annotations

import numpy as np

from app.core.settings import Settings
from app.core.face.topology import NUM_MESH
from tests.core._factories import replay_frames, replay_tracker
from tests.replay import BLANK, ReplayFrame, load_clip


def run(tracker, frames):
    results, stats = [], []
    for i, frame in enumerate(frames):
        results.append(tracker.update(frame, i / 30))
        stats.append(tracker.stats)
    return results, stats


def test_one_face_keeps_its_id_and_the_detector_is_rare():
    frames = replay_frames("single_face.mp4")
    results, stats = run(replay_tracker(Settings(max_faces=1)), frames)
    assert all(len(faces) == 1 for faces in results)
    assert {faces[0].track_id for faces in results} == {1}
    assert sum(s.detector_runs for s in stats) == 1  # only the first frame
    assert all(s.landmark_runs == 1 for s in stats)


def test_below_the_limit_the_detector_runs_every_interval():
    frames = replay_frames("single_face.mp4")
    _, stats = run(replay_tracker(Settings(max_faces=2, detector_interval=10)), frames)
    assert [i for i, s in enumerate(stats) if s.detector_runs] == list(range(0, 72, 10))


def test_tracked_landmarks_follow_the_face():
    """Each frame's crop is cut from the previous frame's mesh: the landmarks found in
    it are the face's own (smoothing off)."""
    frames = replay_frames("single_face.mp4")
    results, _ = run(replay_tracker(Settings(max_faces=1, smoothing=0.0)), frames)
    clip = load_clip("single_face.mp4")
    for i, faces in enumerate(results):
        recorded, _ = clip.faces(i)
        np.testing.assert_allclose(faces[0].xy, recorded[0, :, :2], atol=1e-3)


def test_a_face_that_leaves_is_dropped_and_comes_back_with_a_new_id():
    clip = load_clip("single_face.mp4")
    frames = ([ReplayFrame(clip, i) for i in range(20)] + [ReplayFrame(clip, BLANK)] * 5
              + [ReplayFrame(clip, i) for i in range(20, 40)])
    results, stats = run(replay_tracker(Settings(max_faces=2)), frames)
    counts = [len(faces) for faces in results]
    assert counts == [1] * 20 + [0] * 5 + [1] * 20
    # Nothing tracked: the detector looks on every frame, and picks the face up at once.
    assert all(s.detector_runs == 1 for s in stats[20:26])
    assert {f[0].track_id for f in results[:20]} == {1}
    assert {f[0].track_id for f in results[25:]} == {2}


def test_group_limit_changes_keep_the_largest_faces():
    clip = load_clip("multi_face.jpg")
    still = ReplayFrame(clip, 0)
    tracker = replay_tracker(Settings(max_faces=5, detector_interval=5))
    faces = tracker.update(still, 0.0)
    assert len(faces) == 5
    ids = {f.track_id for f in faces}
    for i in range(1, 12):
        assert {f.track_id for f in tracker.update(still, i / 30)} == ids
        assert tracker.stats.detector_runs == 0  # at the limit: no periodic detection
    tracker.configure(max_faces=2, smoothing=0.5, detector_interval=5,
                      signals=tracker.signals)
    faces = tracker.update(still, 1.0)
    areas = [float(np.ptp(f.xy[:NUM_MESH, 0]) * np.ptp(f.xy[:NUM_MESH, 1])) for f in faces]
    assert len(faces) == 2 and areas == sorted(areas, reverse=True)
    tracker.configure(max_faces=4, smoothing=0.5, detector_interval=5,
                      signals=tracker.signals)
    seen = [len(tracker.update(still, 1.0 + i / 30)) for i in range(1, 8)]
    assert seen[-1] == 4  # new faces picked up within one detector interval
    assert len({f.track_id for f in tracker.update(still, 2.0)}) == 4


def test_without_tracking_every_frame_is_a_still():
    frames = replay_frames("single_face.mp4")[:10]
    results, stats = run(replay_tracker(Settings(max_faces=1), tracking=False), frames)
    assert all(s.detector_runs == 1 and s.landmark_runs == 1 for s in stats)
    assert [f[0].track_id for f in results] == list(range(1, 11))  # nothing carried over


def test_a_new_smoothing_strength_restarts_the_filters():
    frames = replay_frames("single_face.mp4")
    tracker = replay_tracker(Settings(max_faces=1, smoothing=0.9))
    for i, frame in enumerate(frames[:30]):
        tracker.update(frame, i / 30)
    lagging = tracker.update(frames[30], 1.0)[0].xy
    raw = load_clip("single_face.mp4").faces(30)[0][0, :, :2]
    assert np.abs(lagging - raw).max() > 0.1  # the strong filter holds the face back
    tracker.configure(max_faces=1, smoothing=0.2, detector_interval=10,
                      signals=tracker.signals)
    fresh = tracker.update(frames[31], 31 / 30)[0].xy
    raw = load_clip("single_face.mp4").faces(31)[0][0, :, :2]
    np.testing.assert_allclose(fresh, raw, atol=1e-3)  # a new filter starts at the input
