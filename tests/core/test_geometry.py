"""Crop maths: the restatement of nn.FaceLandmarks.crop_image, round trips, borders."""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from app.core.face.geometry import (CropRequest, apply_affine, box_of_points, crop_transform, iou,
                               lands_on)
from conftest import load_rgb


def reference_affine(request: CropRequest) -> np.ndarray:
    """crop_image's steps written with OpenCV, as MaixCDK does them (float32 corners)."""
    x, y, w, h = request.box
    cx, cy = int(x + w * 0.5), int(y + h * 0.5)
    side = int(np.float32(max(w, h)) * np.float32(request.scale))  # C++ float maths
    x0, y0, x1, y1 = request.eyes
    theta = float(np.float32(math.atan2(y1 - y0, x1 - x0)))
    rot = np.array([[math.cos(theta), math.sin(theta)], [-math.sin(theta), math.cos(theta)]],
                   np.float32)
    corners = (np.array([[-1, -1], [-1, 1], [1, 1]], np.float32) @ rot) * np.float32(side * 0.5)
    corners += np.array([cx, cy], np.float32)
    W, H = request.size
    return cv2.getAffineTransform(corners, np.array([[0, 0], [0, H], [W, H]], np.float32))


CASES = [
    # box, eyes, scale, size
    ((100, 80, 121, 133), (130, 120, 190, 140), 1.2, (256, 256)),
    ((0, 0, 50, 40), (10, 10, 40, 10), 1.5, (192, 192)),
    ((-30, -20, 90, 90), (0, 10, 30, -10), 1.2, (256, 256)),  # beyond the top-left border
    ((500, 300, 200, 180), (520, 380, 600, 300), 2.0, (64, 64)),  # 45 degrees, off the edge
    ((100, 100, 340, 300), (150, 200, 300, 210), 1.3, (256, 256)),  # 340 * 1.3: 441 in float32
    ((10, 10, 33, 17), (20, 30, 20, 10), 1.2, (256, 256)),  # eyes vertical: -90 degrees
]


@pytest.mark.parametrize("box, eyes, scale, size", CASES)
def test_affine_matches_opencv_restatement(box, eyes, scale, size):
    request = CropRequest(box, eyes, scale, size)
    t = crop_transform(request)
    np.testing.assert_allclose(t.to_crop, reference_affine(request), atol=1e-9)
    np.testing.assert_allclose(t.to_image, cv2.invertAffineTransform(t.to_crop), atol=1e-9)


@pytest.mark.parametrize("box, eyes, scale, size", CASES)
def test_round_trip_image_crop_image(box, eyes, scale, size):
    t = crop_transform(CropRequest(box, eyes, scale, size))
    pts = np.random.default_rng(0).uniform(-50, 700, size=(100, 2)).astype(np.float32)
    np.testing.assert_allclose(t.crop_to_image(t.image_to_crop(pts)), pts, atol=1e-3)


def test_rotation_levels_the_eyes():
    eye0, eye1 = np.array([100.0, 100.0]), np.array([160.0, 140.0])
    box = np.array([80, 70, 110, 120], np.float32)
    t = crop_transform(CropRequest.around(box, eye0, eye1, 1.2, (256, 256)))
    e0, e1 = t.image_to_crop(np.stack([eye0, eye1]))
    assert abs(e0[1] - e1[1]) < 0.5  # the eyes are level in the crop
    assert e0[0] < e1[0]  # and eye 0 stays on the left


def test_crop_is_centred_on_the_box_and_scaled():
    box = np.array([200, 100, 100, 120], np.float32)
    t = crop_transform(CropRequest.around(box, np.array([220, 150]), np.array([280, 150]),
                                          1.5, (192, 192)))
    centre = t.image_to_crop(np.array([[250, 160]], np.float32))[0]
    np.testing.assert_allclose(centre, [96, 96], atol=0.01)
    assert t.side == int(120 * 1.5)
    assert t.pixels_per_crop_pixel == pytest.approx(180 / 192, rel=1e-6)
    # The device multiplies in float32: 340 * 1.3 = 441.99997 -> 441 (float64 says 442).
    wide = crop_transform(CropRequest((0, 0, 340, 300), (0, 0, 1, 0), 1.3, (256, 256)))
    assert wide.side == 441


@pytest.mark.parametrize("eye0, eye1", [
    ((np.nan, np.nan), (140, 100)),  # maix reports -1,-1 -> NaN
    ((120, 100), (np.nan, np.nan)),
    ((120, 100), (120, 100)),  # both on one pixel
])
def test_missing_eye_points_give_an_unrotated_crop(eye0, eye1):
    request = CropRequest.around(np.array([100, 80, 60, 60]), np.array(eye0, np.float32),
                                 np.array(eye1, np.float32), 1.2, (256, 256))
    t = crop_transform(request)
    assert abs(t.to_crop[0, 1]) < 1e-12 and abs(t.to_crop[1, 0]) < 1e-12


def test_crop_at_the_border_is_black_outside_the_image():
    rgb = load_rgb("obama_partial_face.jpg")
    h, w = rgb.shape[:2]
    request = CropRequest((w - 150, 100, 300, 300), (w - 100, 200, w + 50, 200), 1.2, (256, 256))
    t = crop_transform(request)
    crop = cv2.warpAffine(rgb, t.to_crop, t.size, flags=cv2.INTER_NEAREST,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    outside = t.crop_to_image(np.array([[250.0, 128.0]]))[0]
    assert outside[0] > w  # that crop pixel lies right of the image ...
    assert crop[128, 250].sum() == 0  # ... and is black
    assert crop[128, 10].sum() > 0  # inside the image the photo is there


def test_iou_and_box_of_points():
    a = np.array([[0, 0, 10, 10]], np.float32)
    b = np.array([[5, 0, 10, 10], [20, 20, 5, 5], [0, 0, 10, 10]], np.float32)
    np.testing.assert_allclose(iou(a, b)[0], [50 / 150, 0.0, 1.0], atol=1e-6)
    np.testing.assert_allclose(box_of_points(np.array([[1, 2], [4, 8], [3, 3]])), [1, 2, 3, 6])
    np.testing.assert_allclose(apply_affine(np.array([[2, 0, 1], [0, 3, -1]], float),
                                            np.array([[1, 1]])), [[3, 2]])


def test_a_box_lands_on_a_face_by_overlap_or_by_its_centre():
    faces = np.array([[100, 100, 200, 200], [400, 100, 100, 100]], np.float32)
    assert lands_on(np.array([110, 90, 190, 220]), faces, 0.3)  # overlaps the first
    assert lands_on(np.array([180, 180, 40, 40]), faces, 0.3)  # small, centre inside
    assert not lands_on(np.array([290, 290, 100, 100]), faces, 0.3)  # corner touch only
    assert not lands_on(np.array([600, 100, 50, 50]), faces, 0.3)
    assert not lands_on(np.array([180, 180, 40, 40]), np.zeros((0, 4)), 0.3)
