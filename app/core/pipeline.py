"""The face pipeline: frame -> detector -> eye-aligned crop -> landmark model -> faces.

Backends plug in through two small protocols; everything here is platform-free. A frame
is whatever the backend's models take (a numpy RGB array on a PC, a maix.image.Image on
the device): the pipeline itself never touches pixels.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence

import numpy as np

from .faces import Detection, Face, NUM_LANDMARKS
from .geometry import CropRequest, CropTransform, box_of_points, lands_on
from .timing import StageClock
from . import topology


@dataclass(frozen=True, eq=False)
class LandmarkOutput:
    """What a landmark model returns for one crop.

    xyz_crop:  (478, 3) float32 in crop pixels; z as the model gives it (negative = closer).
    score:     face presence probability in [0, 1].
    transform: the crop's image <-> crop maps.
    """

    xyz_crop: np.ndarray
    score: float
    transform: CropTransform


class FaceDetector(Protocol):
    def detect(self, frame: Any) -> list[Detection]:
        """All faces in `frame`, in source-image pixels (any order)."""
        ...


class LandmarkModel(Protocol):
    crop_scale: float  # crop side / detector box side, as the model was trained
    integer_crops: bool  # crops follow the device API's int geometry (CropRequest.integer)

    @property
    def input_size(self) -> tuple[int, int]: ...

    def infer(self, frame: Any, request: CropRequest) -> LandmarkOutput:
        """Crop `frame` as `request` says and run the model on the crop."""
        ...


# Tracking crops are rebuilt from the landmarks of the previous frame: a square
# around the mesh, rotated by the outer eye corners (MediaPipe's
# face_landmark_landmarks_to_roi). The mesh box is tighter than a detector box, so
# its scale differs from the detector's; see tracking_scale().
_EYE_A, _EYE_B = topology.OUTER_EYE_CORNERS
SAME_FACE_IOU = 0.3  # a detection overlapping a face's mesh box this much is that face


def largest_first(detections: Sequence[Detection]) -> list[Detection]:
    return sorted(detections, key=lambda d: d.area, reverse=True)


class FacePipeline:
    """Detection and landmarks for up to `max_faces` faces, largest first."""

    def __init__(self, detector: FaceDetector, landmarks: LandmarkModel,
                 landmark_threshold: float = 0.5, clock: StageClock | None = None) -> None:
        self.detector = detector
        self.landmarks = landmarks
        self.landmark_threshold = landmark_threshold
        self.clock = clock or StageClock()

    def detect(self, frame: Any) -> list[Detection]:
        with self.clock.stage("detect"):
            return largest_first(self.detector.detect(frame))

    def request_for(self, detection: Detection) -> CropRequest:
        """The device-identical crop for a detector box, eyes from keypoints 0 and 1."""
        kps = detection.keypoints
        eye0 = kps[0] if len(kps) > 0 else np.array([np.nan, np.nan], np.float32)
        eye1 = kps[1] if len(kps) > 1 else np.array([np.nan, np.nan], np.float32)
        return CropRequest.around(detection.box, eye0, eye1, self.landmarks.crop_scale,
                                  self.landmarks.input_size,
                                  integer=self.landmarks.integer_crops)

    def request_from_face(self, face: Face, scale: float,
                          box: np.ndarray | None = None) -> CropRequest:
        """The next frame's crop for a tracked face: mesh box (if not given), outer eye corners."""
        if box is None:
            box = box_of_points(face.xy[: topology.NUM_MESH])
        return CropRequest.around(box, face.xy[_EYE_A], face.xy[_EYE_B], scale,
                                  self.landmarks.input_size,
                                  integer=self.landmarks.integer_crops)

    def landmarks_for(self, frame: Any, request: CropRequest, detection: Detection) -> Face:
        out = self.landmarks.infer(frame, request)
        xyz = out.xyz_crop
        if xyz.shape != (NUM_LANDMARKS, 3):
            raise ValueError(f"landmark model gave {xyz.shape}, expected ({NUM_LANDMARKS}, 3)")
        xy_crop = np.ascontiguousarray(xyz[:, :2], dtype=np.float32)
        return Face(
            xy=out.transform.crop_to_image(xy_crop),
            depth=(-xyz[:, 2]).astype(np.float32),
            xy_crop=xy_crop,
            score=float(out.score),
            valid=bool(out.score >= self.landmark_threshold),
            transform=out.transform,
            detection=detection,
        )

    def process(self, frame: Any, max_faces: int) -> list[Face]:
        """Detect on this frame, then landmarks per face until `max_faces` valid faces.

        A detection that lands on a face found before it (a second box on one face, from
        another detector model or tile) gives no second face."""
        faces: list[Face] = []
        boxes: list[np.ndarray] = []
        for detection in self.detect(frame):
            if len(faces) >= max_faces:
                break
            if boxes and lands_on(detection.box, np.stack(boxes), SAME_FACE_IOU):
                continue
            with self.clock.stage("landmarks"):
                face = self.landmarks_for(frame, self.request_for(detection), detection)
            if face.valid:
                faces.append(face)
                boxes.append(box_of_points(face.xy[: topology.NUM_MESH]))
        return faces
