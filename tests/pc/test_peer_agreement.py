"""Agreement with the peer: MediaPipe's own FaceMesh(refine_landmarks=True).

tests/fixtures/facemesh_peer.json was made by tools/peer/make_fixtures.py in its own
environment (mediapipe 0.10.21). The peer runs MediaPipe's attention mesh model; ours
runs the 468-point mesh + iris models (the attention model needs custom ops no plain
runtime has), so the two differ by what the two models disagree on. NME = mean point
error / distance between landmarks 33 and 263 (outer eye corners).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import load_rgb

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "facemesh_peer.json"
IRIS = slice(468, 478)

# Per-face bounds on the mean NME over all 478 points and over the 10 iris points: 3% and
# 5% everywhere but three faces where the pose is extreme or the peer itself is off
# (measured here, ours vs peer, all points / iris):
RELAXED = {
    # Near-profile head: the hidden half of the mesh and the far eye are a guess for both
    # models (4.7% / 5.0%).
    "45-m7-di-ph.jpg": (0.05, 0.055),
    # A 100 px face in a group photo: the peer's mesh runs past the chin (4.0% / 4.1%).
    "multi_face.jpg": (0.045, 0.05),
    # Half the face beyond the border: the unseen half disagrees (5.6% / 4.0%).
    "obama_partial_face2.jpg": (0.06, 0.05),
}
MESH_BOUND, IRIS_BOUND = 0.03, 0.05
MEAN_BOUND = 0.03  # the mean over all faces of all images, no exceptions


def peer_images():
    return json.loads(FIXTURE.read_text())["images"]


def nme(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    iod = np.linalg.norm(theirs[33] - theirs[263])
    return np.linalg.norm(ours - theirs, axis=1) / iod


@pytest.fixture(scope="module")
def comparisons(pipeline_factory):
    """[(image, nme per point)] for every face the peer found, matched to ours."""
    pipeline = pipeline_factory()
    rows = []
    for name, record in peer_images().items():
        ours = pipeline.process(load_rgb(name), max_faces=10)
        for face in record["faces"]:
            # MediaPipe's landmark x, y are continuous (a pixel's centre at i + 0.5);
            # ours index pixel centres as OpenCV does.
            theirs = np.asarray(face["xy"], np.float32) - 0.5
            assert ours, f"{name}: no face found where the peer found one"
            best = min(ours, key=lambda f: float(np.abs(f.xy - theirs).mean()))
            rows.append((name, nme(best.xy, theirs)))
    return rows


def test_fixture_covers_the_test_stills():
    images = peer_images()
    assert len(images) >= 12
    assert sum(len(r["faces"]) for r in images.values()) >= 12
    for record in images.values():
        for face in record["faces"]:
            assert np.asarray(face["xy"]).shape == (478, 2)


def test_every_face_agrees_with_the_peer(comparisons):
    for name, errors in comparisons:
        bound = RELAXED.get(name, (MESH_BOUND, IRIS_BOUND))[0]
        assert errors.mean() <= bound, f"{name}: NME {errors.mean():.2%} > {bound:.0%}"


def test_iris_points_agree_with_the_peer(comparisons):
    for name, errors in comparisons:
        bound = RELAXED.get(name, (MESH_BOUND, IRIS_BOUND))[1]
        assert errors[IRIS].mean() <= bound, f"{name}: iris NME {errors[IRIS].mean():.2%}"


def test_mean_agreement_over_all_faces(comparisons):
    mean = float(np.mean([errors.mean() for _, errors in comparisons]))
    assert mean <= MEAN_BOUND, f"mean NME {mean:.2%}"
