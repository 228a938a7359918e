"""The PC landmarker's eye crops: the closed form equals the device-exact crop maths."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.geometry import CropRequest, box_of_points, crop_transform
from app.pc.landmarker import EYE_CROP_SCALE, eye_crops

CORNERS = [
    [[200.0, 120.0], [240.5, 126.25]],  # a level-ish eye
    [[310.2, 80.7], [280.9, 140.1]],  # turned past 90 degrees
    [[50.0, 50.0], [50.0, 90.0]],  # vertical
    [[12.0, 7.5], [12.0, 7.5]],  # both corners on one point (a degenerate mesh)
    [[-30.0, 5.0], [-2.0, -8.0]],  # off the image's top-left
]


@pytest.mark.parametrize("mirror", [False, True])
@pytest.mark.parametrize("pair", CORNERS)
def test_eye_crop_matches_the_crop_request_path(pair, mirror):
    corners = np.array([pair], np.float32)
    got = eye_crops(corners, EYE_CROP_SCALE, (64, 64), np.array([mirror]))[0]
    a, b = corners[0]
    want = crop_transform(CropRequest.around(box_of_points(corners[0]), a, b, EYE_CROP_SCALE,
                                             (64, 64), mirror=mirror, integer=False)).to_image
    # crop_transform rounds its corners to float32: equal to that rounding, in pixels.
    np.testing.assert_allclose(got, want, atol=1e-4 * max(1.0, np.abs(want).max()))


def test_two_eyes_at_once_equal_each_alone():
    corners = np.array(CORNERS[:2], np.float32)
    mirrored = np.array([False, True])
    both = eye_crops(corners, EYE_CROP_SCALE, (64, 64), mirrored)
    for i in range(2):
        np.testing.assert_array_equal(
            both[i], eye_crops(corners[i:i + 1], EYE_CROP_SCALE, (64, 64), mirrored[i:i + 1])[0])
