"""Models are built when first needed: the 468-point flag model only for a crop the
landmark model (FaceMesh V2) is unsure of, the full-range detector only where it looks at a frame."""
from __future__ import annotations

from app import backends
from app.core.settings import Settings
from conftest import load_rgb, load_video


def fresh(still: bool, tracking: bool, **settings):
    """New models and tracker (not the session's shared ones: nothing built yet)."""
    chosen = Settings().replace(**settings)
    models = backends.pc_models(chosen, still=still, tracking=tracking)
    return models, backends.make_tracker(models, chosen, tracking=tracking)


def test_tracked_real_faces_never_build_the_flag_model():
    models, tracker = fresh(still=False, tracking=True)
    assert models.detector.built == [] and not models.landmarker.presence_built
    for index, rgb in enumerate(load_video("single_face.mp4")[:30]):
        assert len(tracker.update(rgb, index / 30)) == 1
    assert not models.landmarker.presence_built
    assert models.detector.built == ["short_range", "full_range"]  # tracking detects with both


def test_an_uncertain_crop_builds_the_flag_model_once():
    """no_face.mp4 frame 89: a pink blob FaceMesh V2 is unsure of (see
    test_landmarker.py); the 468-point model is built then, and refuses it."""
    models, tracker = fresh(still=False, tracking=False)
    assert not models.landmarker.presence_built
    assert tracker.update(load_video("no_face.mp4")[89], 0.0) == []
    assert models.landmarker.presence_built
    flag_model = models.landmarker._presence
    tracker.update(load_video("no_face.mp4")[89], 0.1)
    assert models.landmarker._presence is flag_model  # built once


def test_a_video_detected_every_frame_never_builds_the_full_range_model():
    models, tracker = fresh(still=False, tracking=False)
    for index, rgb in enumerate(load_video("single_face.mp4")[:5]):
        assert len(tracker.update(rgb, index / 30)) == 1
    assert models.detector.built == ["short_range"]


def test_a_still_builds_both_detectors_and_no_flag_model():
    models, tracker = fresh(still=True, tracking=False)
    assert len(tracker.update(load_rgb("obama.jpg"), 0.0)) == 1
    assert models.detector.built == ["short_range", "full_range"]
    assert not models.landmarker.presence_built
