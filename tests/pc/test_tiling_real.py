"""Faces in wide and tall images (panoramas): a real portrait's face placed at both ends
and on every kind of tile seam is found, by the real detectors on their tiles."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.core.face.regions import detection_regions
from app.core.settings import Settings
from app.pc.detector import BlazeFaceDetector
from app.backends import pc_models_dir
from conftest import DATA

FACE_SIDE = 240  # the face box, as in the panorama that lost 3 of its 5 faces
LONG, SHORT = 8000, 1137


@pytest.fixture(scope="module")
def detector():
    settings = Settings()
    return BlazeFaceDetector(pc_models_dir(settings), variant="auto", threads=1,
                             score_threshold=settings.detector_conf_threshold,
                             iou_threshold=settings.detector_iou_threshold, tiling="auto",
                             still=True, every_frame=False)


@pytest.fixture(scope="module")
def face_patch(detector):
    """The portrait around its face, scaled so the face box is FACE_SIDE px."""
    rgb = cv2.cvtColor(cv2.imread(str(DATA / "obama.jpg")), cv2.COLOR_BGR2RGB)
    x, y, w, h = detector.detect(rgb)[0].box
    scale = FACE_SIDE / w
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    cx, cy, half = int((x + w / 2) * scale), int((y + h / 2) * scale), int(0.8 * FACE_SIDE)
    return small[cy - half:cy + half, cx - half:cx + half].copy()


def centres_along(length: int, width: int, height: int, patch: int) -> list[int]:
    """Face centres along the long axis: both ends, and the middle of every overlap
    between neighbouring tiles of each size (where a face is cut by both tiles), keeping
    the patches apart."""
    wide = width > height
    seams = set()
    for r in detection_regions(width, height, True)[1:]:
        start, side = (r.x, r.w) if wide else (r.y, r.h)
        if start > 0:  # the band this tile shares with the one before it
            before = [q for q in detection_regions(width, height, True)[1:]
                      if (q.w if wide else q.h) == side and (q.x if wide else q.y) < start]
            end = max((q.x if wide else q.y) for q in before) + side
            seams.add((start + end) // 2)
    centres = [patch // 2]
    for seam in sorted(seams):
        if patch + 8 <= seam - centres[-1] and seam <= length - patch * 3 // 2 - 8:
            centres.append(seam)
    return centres + [length - patch // 2]


@pytest.mark.parametrize("wide", [True, False], ids=["wide", "tall"])
def test_faces_at_both_ends_and_on_the_seams_of_a_panorama(detector, face_patch, wide):
    width, height = (LONG, SHORT) if wide else (SHORT, LONG)
    canvas = np.full((height, width, 3), 127, np.uint8)
    side = face_patch.shape[0]
    centres = centres_along(LONG, width, height, side)
    assert len(centres) >= 8  # ends plus seams of both tile sizes
    for i, c in enumerate(centres):
        across = (SHORT - side) * (i % 3) // 2  # top, middle, bottom of the short side
        if wide:
            canvas[across:across + side, c - side // 2:c - side // 2 + side] = face_patch
        else:
            canvas[c - side // 2:c - side // 2 + side, across:across + side] = face_patch
    found = detector.detect(canvas)
    along = sorted(float(d.box[0 if wide else 1] + d.box[2 if wide else 3] / 2) for d in found)
    assert len(found) == len(centres), (centres, along)
    assert np.allclose(along, centres, atol=FACE_SIDE / 2), (centres, along)
