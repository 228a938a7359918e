"""MediaPipe face mesh (468) + iris (2 x 5) on LiteRT, giving the 478-point layout.

This is what MediaPipe's iris-tracking graph does: the face landmark model on the
face crop, then the iris model on a 64x64 crop around each eye (eye corners, 2.3x their
distance, rotated level; the eye at 362/263 mirrored so the model sees a left eye).
The iris model's 71 eye-contour points refine the mesh around the eyes (x, y only, as
MediaPipe's attention model does), and each iris gets the mean depth of its eye's
contour (MediaPipe's `assign_average` z refinement).
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..core import topology
from ..core.geometry import CropRequest, CropTransform, box_of_points, crop_transform
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


def warp(frame: np.ndarray, transform: CropTransform, interpolation: int) -> np.ndarray:
    """Cut the crop out of an RGB frame; outside the frame is black (as crop_image)."""
    return cv2.warpAffine(frame, transform.to_crop, transform.size, flags=interpolation,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))


class MeshIrisLandmarker:
    """`infer(frame, request)` -> 478 landmarks in crop pixels + face presence score."""

    def __init__(self, models_dir: Path, crop_scale: float = 1.5, threads: int = 2,
                 iris: bool = True, clock: StageClock | None = None,
                 interpolation: int = cv2.INTER_LINEAR) -> None:
        self.face_model = Model(models_dir / FACE_MODEL, threads)
        self.iris_model = Model(models_dir / IRIS_MODEL, threads) if iris else None
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

    @property
    def input_size(self) -> tuple[int, int]:
        return self._size

    def infer(self, frame: np.ndarray, request: CropRequest) -> LandmarkOutput:
        with self.clock.stage("crop"):
            transform = crop_transform(request)
            crop = warp(frame, transform, self.interpolation)
            tensor = crop[None].astype(np.float32) * np.float32(1 / 255)
        with self.clock.stage("landmark"):
            outputs = self.face_model.run(tensor)
        mesh, logit = sorted(outputs.values(), key=lambda a: a.size, reverse=True)
        mesh_xyz = mesh.reshape(topology.NUM_MESH, 3).copy()
        mesh_xyz[:, :2] -= PIXEL_CENTRE
        score = float(1.0 / (1.0 + np.exp(-float(logit.reshape(-1)[0]))))
        xyz = np.zeros((topology.NUM_LANDMARKS, 3), np.float32)
        xyz[: topology.NUM_MESH] = mesh_xyz
        if self.iris_model is not None:
            with self.clock.stage("iris"):
                self._refine_eyes(frame, transform, xyz)
        return LandmarkOutput(xyz, score, transform)

    def _refine_eyes(self, frame: np.ndarray, face: CropTransform, xyz: np.ndarray) -> None:
        """Run both eyes as one batch of 2 and write iris + eye contours into `xyz`."""
        assert self.iris_model is not None
        h, w = self.iris_model.input_hw
        xy_image = face.crop_to_image(xyz[: topology.NUM_MESH, :2])
        eye_transforms = []
        batch = np.empty((2, h, w, 3), np.float32)
        for i, (corners, _, _, _, mirror) in enumerate(_EYES):
            a, b = xy_image[corners[0]], xy_image[corners[1]]
            box = box_of_points(np.stack([a, b]))
            request = CropRequest.around(box, a, b, EYE_CROP_SCALE, (w, h), mirror=mirror,
                                         integer=False)
            eye = crop_transform(request)
            eye_transforms.append(eye)
            batch[i] = warp(frame, eye, self.interpolation)
        batch *= np.float32(1 / 255)
        outputs = self.iris_model.run(batch)
        contours = outputs["output_eyes_contours_and_brows"].reshape(2, -1, 3)[:, :, :2] - PIXEL_CENTRE
        irises = outputs["output_iris"].reshape(2, -1, 3)[:, :, :2] - PIXEL_CENTRE
        # Eye-crop pixels -> image -> face-crop pixels (the frame LandmarkOutput uses).
        to_face_crop = np.vstack([face.to_crop, [0.0, 0.0, 1.0]]).astype(np.float64)
        for i, (_, refined, contour, iris, _) in enumerate(_EYES):
            eye_to_face = to_face_crop @ np.vstack([eye_transforms[i].to_image, [0, 0, 1]])
            xyz[refined, :2] = _affine(eye_to_face, contours[i])
            xyz[iris, :2] = _affine(eye_to_face, irises[i])
            xyz[iris, 2] = xyz[contour, 2].mean()


def _affine(matrix3: np.ndarray, xy: np.ndarray) -> np.ndarray:
    return xy @ matrix3[:2, :2].T.astype(np.float32) + matrix3[:2, 2].astype(np.float32)
