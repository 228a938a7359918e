"""Crop geometry shared by the device and the PC, and screen mapping.

`crop_transform` restates MaixCDK's `nn.FaceLandmarks.crop_image` step by step (int
truncations, float32 corner maths, the three corners given to getAffineTransform), so a
crop cut here on a PC is the crop the device's NPU sees, and the inverse maps landmarks
back exactly as the device does. Pure numpy: no maix, no cv2.
"""
from __future__ import annotations

import math
import struct
from typing import NamedTuple

import numpy as np


class CropRequest(NamedTuple):
    """What to crop: the arguments of `crop_image(img, x, y, w, h, points, W, H, scale)`.

    box:  `x, y, w, h` of the face in image pixels.
    eyes: `x0, y0, x1, y1`; the crop is rotated so eye 0 -> eye 1 is horizontal.
    scale: crop side relative to `max(w, h)`.
    size: `W, H` of the crop (the landmark model's input).
    integer: follow the device API's int arguments and truncations (`device_args`).
            The device must; the PC may keep sub-pixel geometry, which keeps tracked
            crops from jumping a whole pixel as a face drifts.
    """

    box: tuple[float, float, float, float]
    eyes: tuple[float, float, float, float]
    scale: float
    size: tuple[int, int]
    integer: bool = True

    @classmethod
    def around(cls, box: np.ndarray, eye0: np.ndarray, eye1: np.ndarray, scale: float,
               size: tuple[int, int], integer: bool = True) -> "CropRequest":
        """Build from float geometry; an eye that is NaN (not found) gives an unrotated crop."""
        x, y, w, h = (float(v) for v in np.asarray(box).reshape(4))
        eyes = (float(eye0[0]), float(eye0[1]), float(eye1[0]), float(eye1[1]))
        if not all(math.isfinite(v) for v in eyes):
            eyes = (0.0, 0.0, 1.0, 0.0)  # a horizontal vector: theta = 0
        request = cls((x, y, max(w, 1.0), max(h, 1.0)), eyes, float(scale), size, integer)
        ex0, ey0, ex1, ey1 = request.device_args()[1] if integer else eyes
        if ex0 == ex1 and ey0 == ey1:  # both eyes on one pixel: say theta = 0 outright
            request = cls(request.box, (0.0, 0.0, 1.0, 0.0), request.scale, size, integer)
        return request

    def device_args(self) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]]:
        """`(x, y, w, h), (x0, y0, x1, y1)` as the ints crop_image takes (truncated, as C++)."""
        return (tuple(int(v) for v in self.box),  # type: ignore[return-value]
                tuple(int(v) for v in self.eyes))


class CropTransform(NamedTuple):
    """Affine maps between the source image and a crop.

    to_crop:  (2, 3) float64, image pixel -> crop pixel (what warpAffine takes).
    to_image: (2, 3) float64, crop pixel -> image pixel.
    size:     crop `W, H`.
    side:     crop side in image pixels (the device's `int(max(w, h) * scale)`).
    """

    to_crop: np.ndarray
    to_image: np.ndarray
    size: tuple[int, int]
    side: float

    @property
    def pixels_per_crop_pixel(self) -> float:
        """Image pixels per crop pixel (the crop is square, so one number)."""
        return float(np.hypot(self.to_image[0, 0], self.to_image[1, 0]))

    def crop_to_image(self, xy_crop: np.ndarray) -> np.ndarray:
        """(N, 2) crop pixels -> (N, 2) image pixels."""
        return apply_affine(self.to_image, xy_crop)

    def image_to_crop(self, xy: np.ndarray) -> np.ndarray:
        """(N, 2) image pixels -> (N, 2) crop pixels."""
        return apply_affine(self.to_crop, xy)


# The per-frame maths below is written out element by element on purpose: numpy's `@`
# and `linalg` go through BLAS/LAPACK, whose own thread pool wakes up and fights the
# inference runtime's threads for the cores (on a 2-core PC that cost ~0.7 ms a frame).


def apply_affine(matrix: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Apply a (2, 3) affine to (..., 2) points; float32 in and out. One cv2.transform
    (float32 maths: a few float32 roundings off the float64 result, ~1e-4 px at 1000 px)
    costs a seventh of the ten numpy calls the same sums take, once per face and frame."""
    import cv2  # here: the UI logic and settings import this module and need no cv2

    pts = np.asarray(xy, dtype=np.float32)
    out = cv2.transform(pts.reshape(-1, 1, 2), np.asarray(matrix, np.float64))
    return out.reshape(pts.shape)


Affine = tuple[float, float, float, float, float, float]  # a, b, c, d, e, f: a (2, 3) matrix


def _affine_from_3_points(src: list[tuple[float, float]],
                          dst: list[tuple[float, float]]) -> Affine:
    """The affine taking the 3 `src` points to `dst` (what cv2.getAffineTransform
    solves, in closed form: equal to its 6x6 LU solve up to float64 rounding)."""
    (x0, y0), (x1, y1), (x2, y2) = src
    (u0, v0), (u1, v1), (u2, v2) = dst
    # Linear part L maps the edge vectors p1 - p0, p2 - p0 to q1 - q0, q2 - q0.
    ax, ay, bx, by = x1 - x0, y1 - y0, x2 - x0, y2 - y0
    det = ax * by - bx * ay
    if det == 0.0:
        raise np.linalg.LinAlgError("the three source points are collinear")
    eu, ev, fu, fv = u1 - u0, v1 - v0, u2 - u0, v2 - v0
    l00, l01 = (eu * by - fu * ay) / det, (fu * ax - eu * bx) / det
    l10, l11 = (ev * by - fv * ay) / det, (fv * ax - ev * bx) / det
    return l00, l01, u0 - l00 * x0 - l01 * y0, l10, l11, v0 - l10 * x0 - l11 * y0


def invert_affine(m: Affine) -> Affine:
    """Inverse of an affine (cv2.invertAffineTransform's maths, term by term)."""
    m0, m1, m2, m3, m4, m5 = m
    det = m0 * m4 - m1 * m3
    det = 1.0 / det if det != 0.0 else 0.0
    a11, a22, a12, a21 = m4 * det, m0 * det, -m1 * det, -m3 * det
    return a11, a12, -a11 * m2 - a12 * m5, a21, a22, -a21 * m2 - a22 * m5


_FLOAT32 = struct.Struct("f")


def _f32(x: float) -> float:
    """`x` rounded to float32, as C++ stores it in a `float`. A float32 operation's result
    is its exact value rounded once: the same as the float64 result rounded to float32
    here (products of float32 values are exact in float64, and so are the sums of the
    sizes this module adds), so MaixCDK's float maths is followed without numpy's
    per-call cost (dozens of tiny arrays a face, every frame, on the device's CPU)."""
    return _FLOAT32.unpack(_FLOAT32.pack(x))[0]


# Corners of the unit square in crop_image's order: top-left, bottom-left, bottom-right
# (the fourth, top-right, is not used by getAffineTransform).
_CORNERS = ((-1.0, -1.0), (-1.0, 1.0), (1.0, 1.0))


def crop_transform(request: CropRequest) -> CropTransform:
    """The affine `crop_image` builds for `request`, step by step as MaixCDK does it."""
    width, height = request.size
    cx: float
    cy: float
    side: float
    if request.integer:
        (ix, iy, iw, ih), (ex0, ey0, ex1, ey1) = request.device_args()
        cx = int(ix + iw * 0.5)  # C++: int cx = x + w * 0.5
        cy = int(iy + ih * 0.5)
        # C++: int new_size = max(w, h); new_size *= scale -- a float32 product, truncated
        # (in float64, 340 * 1.3 gives 442 where the device gets 441).
        side = int(_f32(max(iw, ih) * _f32(request.scale)))
        # C++ keeps theta in a float.
        theta = _f32(math.atan2(ey1 - ey0, ex1 - ex0))
    else:
        x, y, w, h = request.box
        x0, y0, x1, y1 = request.eyes
        cx, cy, side = x + w * 0.5, y + h * 0.5, max(w, h) * request.scale
        theta = math.atan2(y1 - y0, x1 - x0)
    cos_t, sin_t = _f32(math.cos(theta)), _f32(math.sin(theta))
    half, fcx, fcy = _f32(side * 0.5), _f32(cx), _f32(cy)
    # corner @ [[cos, sin], [-sin, cos]] * half + centre, in float32: the corners are +-1,
    # so each product is exact and each sum, product and shift rounds once.
    corners = [(_f32(_f32(_f32(a * cos_t - b * sin_t) * half) + fcx),
                _f32(_f32(_f32(a * sin_t + b * cos_t) * half) + fcy)) for a, b in _CORNERS]
    to_crop = _affine_from_3_points(corners, [(0.0, 0.0), (0.0, float(height)),
                                              (float(width), float(height))])
    return CropTransform(np.array(to_crop, np.float64).reshape(2, 3),
                         np.array(invert_affine(to_crop), np.float64).reshape(2, 3),
                         (width, height), float(side))


def box_of_points(xy: np.ndarray) -> np.ndarray:
    """Axis-aligned `x, y, w, h` (float32) around (N, 2) points."""
    # Reduced as two contiguous rows: numpy's min/max down the columns of an (N, 2)
    # array is ~7x slower, and tracking asks for this box several times a frame.
    rows = np.asarray(xy).T.copy()
    lo = rows.min(axis=1)
    hi = rows.max(axis=1)
    return np.array([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]], dtype=np.float32)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of `x, y, w, h` boxes: (N, 4) x (M, 4) -> (N, M)."""
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    ax1, ay1 = a[:, 0:1], a[:, 1:2]
    ax2, ay2 = ax1 + a[:, 2:3], ay1 + a[:, 3:4]
    bx1, by1 = b[:, 0], b[:, 1]
    bx2, by2 = bx1 + b[:, 2], by1 + b[:, 3]
    iw = np.clip(np.minimum(ax2, bx2) - np.maximum(ax1, bx1), 0, None)
    ih = np.clip(np.minimum(ay2, by2) - np.maximum(ay1, by1), 0, None)
    inter = iw * ih
    union = a[:, 2:3] * a[:, 3:4] + b[:, 2] * b[:, 3] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def lands_on(box: np.ndarray, boxes: np.ndarray, min_iou: float) -> bool:
    """True if `box` (x, y, w, h) overlaps one of `boxes` (N, 4) by more than `min_iou` or
    has its centre inside one: a detection of a face that is already there."""
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    if len(boxes) == 0:
        return False
    if iou(box, boxes).max() > min_iou:
        return True
    cx, cy = np.asarray(box[:2], np.float32) + np.asarray(box[2:4], np.float32) / 2
    inside = ((boxes[:, 0] <= cx) & (cx <= boxes[:, 0] + boxes[:, 2]) &
              (boxes[:, 1] <= cy) & (cy <= boxes[:, 1] + boxes[:, 3]))
    return bool(inside.any())
