"""Blendshapes and expressions on the PC (LiteRT) on real faces: agreement with MediaPipe
Tasks' FaceLandmarker (the peer fixture, same model bundle), the labelled portraits, and
the blendshape model built only when an expression is wanted."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app import backends
from app.core.expressions.tables import BLENDSHAPE_NAMES
from app.core.settings import Settings
from conftest import load_rgb, load_video

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "face_landmarker_peer.json"
BOUND = 0.03  # mean absolute difference per face, of the 52 blendshapes
# Faces whose landmarks already differ most from the peer's (test_peer_agreement.py:
# NME 3.3% and 2.2% where the others are 0.45-1.5%): their blendshapes follow
# (measured here, mean absolute difference: 0.065 and 0.046).
RELAXED = {("multi_face.jpg", 1): 0.08, ("obama_partial_face2.jpg", 0): 0.06}
PEER_WRONG = {("multi_face.jpg", 0)}  # the peer's mesh is off the face (test_peer_agreement.py)


@pytest.fixture(scope="module")
def peer():
    return json.loads(FIXTURE.read_text())


@pytest.fixture(scope="module")
def still_differences(peer, find_faces):
    """{(image, peer face): |ours - peer| per blendshape} on every test still."""
    rows = {}
    for name, record in peer["images"].items():
        ours = find_faces(load_rgb(name), max_faces=10)
        for index, face in enumerate(record["faces"]):
            if (name, index) in PEER_WRONG:
                continue
            theirs = np.asarray(face["xy"], np.float32) - 0.5  # pixel centres (see there)
            best = min(ours, key=lambda f: float(np.abs(f.xy - theirs).mean()))
            assert best.expression is not None
            rows[name, index] = np.abs(best.expression.blendshapes
                                       - np.asarray(face["blendshapes"], np.float32))
    return rows


def test_blendshapes_agree_with_mediapipe_tasks_on_every_still(still_differences):
    assert len(still_differences) >= 13
    for key, diff in still_differences.items():
        bound = RELAXED.get(key, BOUND)
        assert diff.mean() <= bound, f"{key}: mean |diff| {diff.mean():.4f} > {bound}"
    plain = [d.mean() for k, d in still_differences.items() if k not in RELAXED]
    assert np.mean(plain) <= 0.02  # measured 0.013


def test_blendshapes_agree_with_mediapipe_tasks_on_every_frame_of_the_clip(peer, pc_tracker):
    """Tracked, smoothing off, evaluated on every frame (60 Hz on a 30 fps clip)."""
    tracker = pc_tracker(max_faces=1, smoothing=0.0, expressions_rate_hz=60.0)
    worst = np.zeros(len(BLENDSHAPE_NAMES))
    means = []
    for i, rgb in enumerate(load_video("single_face.mp4")):
        (face,) = tracker.update(rgb, i / 30)
        diff = np.abs(face.expression.blendshapes
                      - np.asarray(peer["single_face.mp4"][i][0]["blendshapes"], np.float32))
        worst = np.maximum(worst, diff)
        means.append(diff.mean())
    assert max(means) <= BOUND  # measured 0.026, mean 0.015
    order = np.argsort(-worst)[:5]
    print("clip, worst blendshapes:", ", ".join(f"{BLENDSHAPE_NAMES[k]} {worst[k]:.3f}"
                                                for k in order))


def test_the_labelled_portraits_read_as_labelled(find_faces):
    labels = {"0-f1-su-ph.jpg": "surprise", "0-f15-hao-ph.jpg": "happy",
              "15-f13-anc-ph.jpg": "neutral", "45-m7-di-ph.jpg": "neutral"}
    for name, label in labels.items():
        (face,) = find_faces(load_rgb(name), max_faces=1)
        assert face.expression.name == label, name


def test_the_clip_reads_neutral_then_happy_with_no_flicker(pc_tracker):
    tracker = pc_tracker(max_faces=1)
    read = [tracker.update(rgb, i / 30)[0].expression for i, rgb in
            enumerate(load_video("single_face.mp4"))]
    names = [e.name for e in read]
    assert names[:18] == ["neutral"] * 18 and names[30:] == ["happy"] * 42
    assert sum(a != b for a, b in zip(names, names[1:])) == 1
    events = [e.events for e in read]
    assert sum(a != b for a, b in zip(events, events[1:])) <= 2


def test_the_blendshape_model_is_built_only_when_an_expression_is_wanted():
    for wanted in (False, True):
        settings = Settings(expressions_enabled=wanted, show_signals=True)
        models = backends.pc_models(settings, still=True, tracking=False)
        tracker = backends.make_tracker(models, settings, tracking=False)
        (face,) = tracker.update(load_rgb("obama.jpg"), 0.0)
        assert models.blendshapes.built == wanted
        assert (face.expression is not None) == wanted
