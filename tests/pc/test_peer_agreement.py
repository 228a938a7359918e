"""Agreement with the peer: MediaPipe Tasks' FaceLandmarker on the same model bundle.

tests/fixtures/face_landmarker_peer.json was made by tools/peer/make_fixtures.py in its
own environment (mediapipe 0.10.21) from models/pc/face_landmarker.task. Both run
FaceMesh V2; they differ by where the face crop is cut (our detectors, tiles and crop
geometry against MediaPipe's). NME = mean point error / distance between landmarks 33
and 263 (outer eye corners).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import load_rgb

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "face_landmarker_peer.json"
IRIS = slice(468, 478)

# Per-face bounds on the mean NME over all 478 points and over the 10 iris points: 2% and
# 1.5% everywhere (measured: 0.45-1.5% and 0.26-1.2%) but two faces whose crops differ
# most from the peer's (measured here, ours vs peer, all points / iris):
RELAXED = {
    # A 100 px face in a group photo, cut from a 1000 px frame (3.3% / 1.0%).
    "multi_face.jpg": (0.04, 0.015),
    # Half the face beyond the border: the unseen half is a guess (2.2% / 1.0%).
    "obama_partial_face2.jpg": (0.03, 0.015),
}
# Faces (image, the peer's face index) where the peer itself is wrong, seen on an overlay:
# the right-hand face of multi_face.jpg is cut from a box too low, and the peer's mouth
# lands on the chin and its jaw on the neck (ours sits on the face: 56% NME apart).
PEER_WRONG = {("multi_face.jpg", 0)}
MESH_BOUND, IRIS_BOUND = 0.02, 0.015
MEAN_BOUND = 0.012  # the mean over all other faces of all images (measured 0.9%)


def peer_images():
    return json.loads(FIXTURE.read_text())["images"]


def nme(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    iod = np.linalg.norm(theirs[33] - theirs[263])
    return np.linalg.norm(ours - theirs, axis=1) / iod


@pytest.fixture(scope="module")
def comparisons(find_faces):
    """[(image, nme per point)] for every face the peer found, matched to ours."""
    rows = []
    for name, record in peer_images().items():
        ours = find_faces(load_rgb(name), max_faces=10)
        for index, face in enumerate(record["faces"]):
            if (name, index) in PEER_WRONG:
                continue
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
