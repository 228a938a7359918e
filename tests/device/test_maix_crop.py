"""Our crop geometry (`crop_transform` + cv2.warpAffine) against the real MaixPy
`nn.FaceLandmarks("").crop_image`, pixel for pixel, and the inverse map against where
the real crop's pixels actually came from.

Tolerance: warpAffine's nearest-neighbour sampling works in fixed point (1/1024 px,
terms rounded separately), and MaixCDK computes cos/sin with the C library's float
functions (`cosf`), whose last bit can differ from any numpy formula. A pixel may then
differ only where the sampling point lies on a rounding tie (x.5 within TIE px); every
other pixel must be identical.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from tests.device._frames import FRAMES, NEEDS_MAIX, load_frame

pytest.importorskip("maix.image", reason=NEEDS_MAIX)

from maix import image, nn  # noqa: E402

from app.core.face.geometry import CropRequest, CropTransform, crop_transform  # noqa: E402

ANGLES = range(-40, 41, 10)  # degrees: eye 0 -> eye 1 rotated by this
SIZES = ((256, 256), (192, 192), (160, 128))
SCALES = (1.0, 1.2, 1.3, 1.5, 2.0)
TIE = 0.004  # px from a .5 rounding boundary


def box_for(kind: str, width: int, height: int) -> tuple[int, int, int, int]:
    """A face-sized box inside, at or beyond the frame's border."""
    side = int(0.35 * min(width, height))
    if kind == "inside":
        return (width - side) // 2, (height - side) // 3, side, int(side * 1.2)
    if kind == "at_top_left":
        return 0, 0, side, side
    if kind == "beyond_bottom_right":
        return width - side // 3, height - side // 2, side, int(side * 1.1)
    if kind == "beyond_top_left":
        return -side // 2, -side // 3, int(side * 0.9), side
    if kind == "tall_past_right":
        return width - side // 4, height // 4, side // 2, side * 2
    raise ValueError(kind)


BOXES = ("inside", "at_top_left", "beyond_bottom_right", "beyond_top_left", "tall_past_right")


def request_for(box: tuple[int, int, int, int], angle: float, scale: float,
                size: tuple[int, int]) -> CropRequest:
    """Eyes 0.4 box widths apart in the box's upper half, rotated by `angle` degrees."""
    x, y, w, h = box
    cx, cy, half = x + w * 0.5, y + h * 0.4, w * 0.2
    dx, dy = half * math.cos(math.radians(angle)), half * math.sin(math.radians(angle))
    eyes = (int(cx - dx), int(cy - dy), int(cx + dx), int(cy + dy))
    return CropRequest(box, eyes, scale, size)


def real_crop(model: nn.FaceLandmarks, img: image.Image, request: CropRequest) -> np.ndarray:
    (x, y, w, h), eyes = request.device_args()
    crop = model.crop_image(img, x, y, w, h, list(eyes), request.size[0], request.size[1],
                            request.scale)
    return image.image2cv(crop, ensure_bgr=False, copy=True)


def our_crop(rgb: np.ndarray, transform: CropTransform) -> np.ndarray:
    return cv2.warpAffine(rgb, transform.to_crop, transform.size, flags=cv2.INTER_NEAREST,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))


def source_points(transform: CropTransform, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Where crop pixels (u, v) sample the image, (N, 2) float64 (our inverse map)."""
    uv1 = np.stack([u, v, np.ones_like(u)], axis=1).astype(np.float64)
    return uv1 @ transform.to_image.T


def on_tie(xy: np.ndarray) -> np.ndarray:
    frac = xy - np.floor(xy)
    return np.any(np.abs(frac - 0.5) < TIE, axis=1)


def compare(real: np.ndarray, ours: np.ndarray, transform: CropTransform) -> tuple[int, int]:
    """(pixels that differ, of which not on a rounding tie)."""
    v, u = np.nonzero(np.any(real != ours, axis=2))
    if not len(u):
        return 0, 0
    return len(u), int((~on_tie(source_points(transform, u, v))).sum())


@pytest.fixture(scope="module")
def maix_landmarks() -> nn.FaceLandmarks:
    return nn.FaceLandmarks("")  # no model: crop_image and draw_face only


@pytest.mark.parametrize("box_kind", BOXES)
@pytest.mark.parametrize("frame_name", FRAMES)
def test_crop_matches_maix_crop_image(maix_landmarks, frame_name, box_kind):
    rgb = load_frame(frame_name)
    img = image.cv2image(np.array(rgb), bgr=False, copy=True)
    box = box_for(box_kind, rgb.shape[1], rgb.shape[0])
    failures, ties, pixels = [], 0, 0
    for angle in ANGLES:
        for size in SIZES:
            for scale in SCALES:
                request = request_for(box, angle, scale, size)
                transform = crop_transform(request)
                real = real_crop(maix_landmarks, img, request)
                assert real.shape == (size[1], size[0], 3)
                pixels += size[0] * size[1]
                differ, off_tie = compare(real, our_crop(rgb, transform), transform)
                ties += differ - off_tie
                if off_tie:
                    failures.append((angle, size, scale, request.device_args(), differ, off_tie))
    assert not failures, (
        f"{len(failures)} crops differ from crop_image off rounding ties "
        f"(angle, size, scale, device args, pixels differing, off tie): {failures[:6]}")
    # Ties are rare: about 1 pixel in 100,000 here.
    assert ties <= pixels * 1e-4, (ties, pixels)


@pytest.mark.parametrize("frame_name", FRAMES[:3])
def test_random_crops_match_maix_crop_image(maix_landmarks, frame_name):
    """Seeded random boxes (any size, partly outside), eyes and scales 1.0..3.0."""
    rgb = load_frame(frame_name)
    img = image.cv2image(np.array(rgb), bgr=False, copy=True)
    height, width = rgb.shape[:2]
    rng = np.random.default_rng(20240611)
    failures = []
    for _ in range(150):
        w, h = (int(v) for v in rng.integers(8, (width, height)))
        x, y = int(rng.integers(-w // 2, width - w // 2)), int(rng.integers(-h // 2, height - h // 2))
        scale = float(rng.choice([1.0, 1.1, 1.2, 1.25, 1.3, 1.5, 1.7, 2.0, 2.3, 3.0]))
        request = request_for((x, y, w, h), float(rng.uniform(-40, 40)), scale,
                              SIZES[int(rng.integers(len(SIZES)))])
        transform = crop_transform(request)
        differ, off_tie = compare(real_crop(maix_landmarks, img, request),
                                  our_crop(rgb, transform), transform)
        if off_tie:
            failures.append((request.device_args(), scale, request.size, differ, off_tie))
    assert not failures, f"{len(failures)} of 150 crops differ: {failures[:6]}"


def test_crop_side_uses_float32_scale(maix_landmarks):
    """C++ `int new_size = max(w, h); new_size *= scale;` multiplies in float32:
    340 * 1.3f = 441.99998 -> 441, where float64 gives 442.00000000000006 -> 442."""
    rgb = load_frame("obama.jpg")
    img = image.cv2image(np.array(rgb), bgr=False, copy=True)
    request = CropRequest((60, 20, 340, 300), (150, 120, 250, 125), 1.3, (256, 256))
    transform = crop_transform(request)
    differ, off_tie = compare(real_crop(maix_landmarks, img, request), our_crop(rgb, transform),
                              transform)
    assert (differ, off_tie) == (0, 0)
    assert transform.side == 441


def coordinate_image(width: int, height: int) -> np.ndarray:
    """RGB pixels that say where they are: x+1 and y+1 in 12 bits each (0 = black border)."""
    xs, ys = np.meshgrid(np.arange(1, width + 1), np.arange(1, height + 1))
    out = np.empty((height, width, 3), np.uint8)
    out[..., 0] = xs & 0xFF
    out[..., 1] = ys & 0xFF
    out[..., 2] = (xs >> 8) | ((ys >> 8) << 4)
    return out


def decode(crop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, 2) source pixel (x, y) each crop pixel was copied from, and an inside mask."""
    r, g, b = (crop[..., i].astype(np.int32) for i in range(3))
    x1 = r | ((b & 0x0F) << 8)
    y1 = g | ((b >> 4) << 8)
    inside = (x1 > 0) & (y1 > 0)
    return np.stack([x1 - 1, y1 - 1], axis=-1), inside


@pytest.mark.parametrize("box_kind", BOXES)
@pytest.mark.parametrize("image_size", [(320, 224), (640, 480), (1280, 720)])
def test_inverse_map_matches_where_real_crop_pixels_come_from(maix_landmarks, box_kind,
                                                              image_size):
    """Every crop pixel the real crop_image copied from pixel (x, y) is mapped by our
    `to_image` to within half a pixel (nearest sampling) of (x, y); every black border
    pixel maps outside the image. This is the map landmarks are projected back with."""
    width, height = image_size
    coded = coordinate_image(width, height)
    img = image.cv2image(coded, bgr=False, copy=True)
    box = box_for(box_kind, width, height)
    worst = 0.0
    for angle in ANGLES:
        for size in SIZES[::2]:
            for scale in (1.2, 1.5, 2.0):
                request = request_for(box, angle, scale, size)
                transform = crop_transform(request)
                source, inside = decode(real_crop(maix_landmarks, img, request))
                v, u = np.nonzero(np.ones(inside.shape, bool))
                ours = source_points(transform, u, v).reshape(size[1], size[0], 2)
                err = np.abs(ours - source)[inside]
                if err.size:
                    worst = max(worst, float(err.max()))
                nearest = np.floor(ours[~inside] + 0.5)
                outside = ((nearest[:, 0] < 0) | (nearest[:, 0] >= width)
                           | (nearest[:, 1] < 0) | (nearest[:, 1] >= height))
                tie = on_tie(ours[~inside])
                assert np.all(outside | tie), (angle, size, scale, int((~outside & ~tie).sum()))
                # The stored inverse (cv::invertAffineTransform) is our to_image.
                np.testing.assert_allclose(transform.to_image,
                                           cv2.invertAffineTransform(transform.to_crop),
                                           atol=1e-9)
    assert worst <= 0.5 + TIE, worst
