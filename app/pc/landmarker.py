"""MediaPipe face mesh (468) + iris (2 x 5) on LiteRT, giving the 478-point layout.

This is what MediaPipe's iris-tracking graph does: the face landmark model on the
face crop, then the iris model on a 64x64 crop around each eye (eye corners, 2.3x their
distance, rotated level; the eye at 362/263 mirrored so the model sees a left eye).
The iris model's 71 eye-contour points refine the mesh around the eyes (x, y only, as
MediaPipe's attention model does), and each iris gets the mean depth of its eye's
contour (MediaPipe's `assign_average` z refinement).
"""
from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from ..core import topology
from ..core.geometry import CropRequest, CropTransform, crop_transform
from ..core.pipeline import LandmarkOutput
from ..core.timing import StageClock
from .litert import Model

FACE_MODEL = "face_landmark.tflite"
IRIS_MODEL = "iris_landmark.tflite"
EYE_CROP_SCALE = 2.3  # iris_landmark_landmarks_to_roi.pbtxt
# The models answer in continuous pixel coordinates (a pixel's centre at i + 0.5);
# OpenCV's warpAffine, and so CropTransform, index pixels by their centres (i). The
# device needs no such shift: maix truncates the model output to int, which on average
# subtracts the same half pixel.
PIXEL_CENTRE = np.float32(0.5)


def _indices(table: tuple[int, ...]) -> np.ndarray:
    return np.asarray(table, dtype=np.intp)


_EYES = (
    # (corner indices, mesh indices refined by the 71 contour points, contour for z, iris, mirror)
    (topology.EYE_CORNERS_33_133, _indices(topology.EYE_REFINEMENT_33_133),
     _indices(topology.EYE_CONTOUR_33_133), _indices(topology.IRIS_33_133), False),
    (topology.EYE_CORNERS_362_263, _indices(topology.EYE_REFINEMENT_362_263),
     _indices(topology.EYE_CONTOUR_362_263), _indices(topology.IRIS_362_263), True),
)


# Both eyes' tables stacked, so one call maps both: the four corners (eye A's pair,
# then eye B's), the refined mesh points (2, 71), the contours for z (2, 16), irises (2, 5).
_CORNERS = np.array([*_EYES[0][0], *_EYES[1][0]], dtype=np.intp)
_MIRRORED = np.array([_EYES[0][4], _EYES[1][4]])
_REFINED, _CONTOURS, _IRISES = (np.stack([_EYES[0][k], _EYES[1][k]]) for k in (1, 2, 3))


def warp(frame: np.ndarray, transform: CropTransform, interpolation: int,
         dst: np.ndarray | None = None) -> np.ndarray:
    """Cut the crop out of an RGB frame; outside the frame is black (as crop_image).

    `dst`, a uint8 (H, W, 3) array, receives the crop (in place: no new array).
    """
    crop = cv2.warpAffine(frame, transform.to_crop, transform.size, dst=dst, flags=interpolation,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    if dst is not None and crop.ctypes.data != dst.ctypes.data:  # cv2 could not reuse dst
        dst[...] = crop
    return crop


_INV_255 = np.float32(1 / 255)
_MESH_SHIFT = np.array([PIXEL_CENTRE, PIXEL_CENTRE, 0.0], np.float32)


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # no overflow for very negative logits
    return e / (1.0 + e)


class MeshIrisLandmarker:
    """`infer(frame, request)` -> 478 landmarks in crop pixels + face presence score."""

    def __init__(self, models_dir: Path, crop_scale: float = 1.5, threads: int = 2,
                 iris: bool = True, clock: StageClock | None = None,
                 interpolation: int = cv2.INTER_LINEAR) -> None:
        self.face_model = Model(models_dir / FACE_MODEL, threads)
        # Both eyes go through the iris model as one batch of 2.
        self.iris_model = Model(models_dir / IRIS_MODEL, threads, batch=2) if iris else None
        self.crop_scale = crop_scale
        # Sub-pixel crop geometry: the device API is int-only, a PC need not be, and
        # int boxes make a slowly drifting face's crop jump a pixel at a time.
        self.integer_crops = False
        self.clock = clock or StageClock()
        # The device crops with nearest neighbour; bilinear is how MediaPipe feeds these
        # models and is measurably steadier, so the PC uses it (geometry is identical).
        self.interpolation = interpolation
        h, w = self.face_model.input_hw
        self._size = (w, h)
        # Outputs resolved once, by size: the 1404 mesh values and the presence logit.
        self._mesh, self._logit = sorted(
            self.face_model.output_names,
            key=lambda name: math.prod(self.face_model.output_shape(name)), reverse=True)
        # Crop buffers reused every frame (uint8, as cv2 cuts them).
        self._crop = np.empty((h, w, 3), np.uint8)
        if self.iris_model is not None:
            eye_h, eye_w = self.iris_model.input_hw
            self._eyes = np.empty((2, eye_h, eye_w, 3), np.uint8)

    @property
    def input_size(self) -> tuple[int, int]:
        return self._size

    def infer(self, frame: np.ndarray, request: CropRequest) -> LandmarkOutput:
        with self.clock.stage("crop"):
            transform = crop_transform(request)
            warp(frame, transform, self.interpolation, self._crop)
            # Filled in place: no float32 temporaries.
            np.multiply(self._crop, _INV_255, out=self.face_model.input()[0], dtype=np.float32)
        with self.clock.stage("landmark"):
            self.face_model.invoke()
        xyz = np.empty((topology.NUM_LANDMARKS, 3), np.float32)
        # Copied out of the output buffer with the half-pixel shift of x, y on the way.
        np.subtract(self.face_model.output(self._mesh).reshape(topology.NUM_MESH, 3),
                    _MESH_SHIFT, out=xyz[: topology.NUM_MESH])
        score = _sigmoid(float(self.face_model.output(self._logit).reshape(-1)[0]))
        if self.iris_model is not None:
            with self.clock.stage("iris"):
                self._refine_eyes(frame, transform, xyz)
        else:
            xyz[topology.NUM_MESH:] = 0.0
        return LandmarkOutput(xyz, score, transform)

    def _refine_eyes(self, frame: np.ndarray, face: CropTransform, xyz: np.ndarray) -> None:
        """Run both eyes as one batch of 2 and write iris + eye contours into `xyz`."""
        assert self.iris_model is not None
        h, w = self.iris_model.input_hw
        corners = face.crop_to_image(xyz[_CORNERS, :2]).reshape(2, 2, 2)  # (eye, corner, xy)
        eye_to_image = eye_crops(corners, EYE_CROP_SCALE, (w, h), _MIRRORED)
        for eye, matrix in zip(self._eyes, eye_to_image):
            # The crop -> image map as is: warpAffine inverts it itself.
            crop = cv2.warpAffine(frame, matrix, (w, h), dst=eye,
                                  flags=self.interpolation | cv2.WARP_INVERSE_MAP,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
            if crop.ctypes.data != eye.ctypes.data:  # cv2 could not reuse dst
                eye[...] = crop
        np.multiply(self._eyes, _INV_255, out=self.iris_model.input(), dtype=np.float32)
        self.iris_model.invoke()
        # Eye-crop pixels -> image -> face-crop pixels (the frame LandmarkOutput uses).
        eye_to_face = _compose(face.to_crop, eye_to_image).astype(np.float32)
        contours = self.iris_model.output("output_eyes_contours_and_brows").reshape(2, -1, 3)
        xyz[_REFINED, :2] = _affine(eye_to_face, contours)
        irises = self.iris_model.output("output_iris").reshape(2, -1, 3)
        xyz[_IRISES, :2] = _affine(eye_to_face, irises)
        xyz[_IRISES, 2] = xyz[_CONTOURS, 2].mean(axis=1, keepdims=True)


def eye_crops(corners: np.ndarray, scale: float, size: tuple[int, int],
              mirrored: np.ndarray) -> np.ndarray:
    """(E, 2, 3) float64 crop-pixel -> image-pixel affines of E eye crops at once.

    Per eye, what `crop_transform(CropRequest.around(box of the two corners, corner 0,
    corner 1, scale, size, mirror, integer=False)).to_image` gives, in closed form: a
    square of side `scale` x the corners' larger extent around their midpoint, turned
    so corner 0 -> corner 1 runs along +x, flipped left-right where `mirrored`.
    corners: (E, 2, 2) image pixels (eye, corner, xy).
    """
    width, height = size
    a, b = corners[:, 0].astype(np.float64), corners[:, 1].astype(np.float64)
    extent = np.maximum(np.abs(b - a), 1.0)  # CropRequest.around keeps a box >= 1 px
    centre = np.minimum(a, b) + extent * 0.5
    half = extent.max(axis=1) * scale * 0.5
    theta = np.arctan2(b[:, 1] - a[:, 1], b[:, 0] - a[:, 0])
    cos, sin = np.cos(theta) * half, np.sin(theta) * half
    # Crop pixel (u, v) sits at p = p0 + pu * u, q = -1 + 2 v / H on the unit square;
    # a flip maps pixel u to W - 1 - u.
    pu = np.where(mirrored, -2.0 / width, 2.0 / width)
    p0 = np.where(mirrored, 1.0 - 2.0 / width, -1.0)
    out = np.empty((len(corners), 2, 3), np.float64)
    out[:, 0, 0], out[:, 0, 1] = pu * cos, -2.0 / height * sin
    out[:, 1, 0], out[:, 1, 1] = pu * sin, 2.0 / height * cos
    out[:, 0, 2] = centre[:, 0] + p0 * cos + sin
    out[:, 1, 2] = centre[:, 1] + p0 * sin - cos
    return out


def _compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """(E, 2, 3): the (2, 3) affine `outer` after each of the (E, 2, 3) `inner` ones."""
    out = np.empty(inner.shape, np.float64)
    for r in range(2):  # six broadcast products, no BLAS (see core.geometry)
        out[:, r, :] = outer[r, 0] * inner[:, 0, :] + outer[r, 1] * inner[:, 1, :]
        out[:, r, 2] += outer[r, 2]
    return out


def _affine(matrices: np.ndarray, xyz: np.ndarray) -> np.ndarray:
    """(E, N, 2) float32: per eye e, the (2, 3) affine `matrices[e]` applied to the model's
    (N, 3) eye-crop output `xyz[e]`, x, y shifted from pixel-area to pixel-centre
    coordinates first (float32 maths)."""
    m = matrices[:, :, :, None]  # (E, 2, 3, 1): broadcasts over the N points
    x = xyz[:, :, 0] - PIXEL_CENTRE
    y = xyz[:, :, 1] - PIXEL_CENTRE
    out = np.empty((*xyz.shape[:2], 2), np.float32)
    out[:, :, 0] = x * m[:, 0, 0] + y * m[:, 0, 1] + m[:, 0, 2]
    out[:, :, 1] = x * m[:, 1, 0] + y * m[:, 1, 1] + m[:, 1, 2]
    return out
