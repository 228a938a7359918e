"""Result values passed between stages: a detection and a face with 478 landmarks.

Arrays are structs of arrays in MediaPipe's index order. Frames are named in the
field: `xy` is in source-image pixels, `xy_crop` in the landmark model's crop pixels.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from . import topology
from .geometry import CropTransform, box_of_points
from ..emotion import Emotion
from ..expressions import Expression
from ..signals import Signals

NUM_LANDMARKS = 478


@dataclass(frozen=True, eq=False)
class Detection:
    """One face from a face detector, in source-image pixels.

    box:       (4,) float32 `x, y, w, h` (top-left corner, size).
    score:     detector confidence in [0, 1].
    keypoints: (K, 2) float32; row 0 is the image-left eye, row 1 the image-right eye
               (then nose, mouth corners...). A keypoint the detector could not place
               (maix reports -1, -1) is NaN.
    """

    box: np.ndarray
    score: float
    keypoints: np.ndarray

    def __post_init__(self) -> None:
        box, kps = self.box, self.keypoints
        # Convert only what needs it: the tracker builds one of these per face per frame.
        if not (isinstance(box, np.ndarray) and box.dtype == np.float32 and box.shape == (4,)):
            object.__setattr__(self, "box", np.asarray(box, dtype=np.float32).reshape(4))
        if not (isinstance(kps, np.ndarray) and kps.dtype == np.float32 and kps.ndim == 2
                and kps.shape[1] == 2):
            object.__setattr__(self, "keypoints",
                               np.asarray(kps, dtype=np.float32).reshape(-1, 2))

    @property
    def area(self) -> float:
        return float(self.box[2] * self.box[3])

    @classmethod
    def from_maix(cls, x: float, y: float, w: float, h: float, score: float,
                  points: list[int] | list[float]) -> "Detection":
        """Build from a maix.nn YOLO object's fields; -1 keypoints become NaN."""
        kps = np.asarray(points, dtype=np.float32).reshape(-1, 2)
        kps[(kps[:, 0] < 0) | (kps[:, 1] < 0)] = np.nan
        return cls(np.array([x, y, w, h], np.float32), float(score), kps)


@dataclass(frozen=True, eq=False)
class Face:
    """478 landmarks of one face; mirrors maix.nn.FaceLandmarksObject.

    xy:        (478, 2) float32, source-image pixels.
    depth:     (478,) float32, -z in crop pixels: larger is closer to the camera,
               negative is behind the face's centre (maix: points_z = round(-z)).
    xy_crop:   (478, 2) float32, the landmark model's crop pixels.
    score:     face presence probability from the landmark model.
    valid:     score >= the landmark threshold.
    transform: the crop that produced the landmarks (maps image <-> crop).
    detection: the detection (or tracking box) the crop came from.
    track_id:  stable id while a face is tracked (-1 when not tracked).
    signals:   head pose, eyes, mouth, gaze, blinks of its track (None: not computed).
    expression: blendshapes, named expression and events of its track (None: not
               computed).
    emotion:   the device's face-emotion classifier's label and score for its track
               (None: no classifier, a PC, or not yet classified).

    A tracked face's `detection` is the box its crop was cut around: the previous
    frame's mesh box (and its outer eye corners as keypoints), not a detector box.
    """

    xy: np.ndarray
    depth: np.ndarray
    xy_crop: np.ndarray
    score: float
    valid: bool
    transform: CropTransform
    detection: Detection
    track_id: int = -1
    signals: Signals | None = None
    expression: Expression | None = None
    emotion: Emotion | None = None

    @property
    def points_z(self) -> list[int]:
        """maix layout: `round(-z)` per landmark in crop pixels (larger = closer)."""
        return np.rint(self.depth).astype(np.int32).tolist()

    @functools.cached_property
    def mesh_box(self) -> np.ndarray:
        """(4,) float32 `x, y, w, h` around the 468 mesh points (the irises lie inside);
        computed once per face (the tracker, the overlay and the outputs all ask)."""
        return box_of_points(self.xy[: topology.NUM_MESH])

    def with_track(self, track_id: int) -> "Face":
        return dataclasses.replace(self, track_id=track_id)
