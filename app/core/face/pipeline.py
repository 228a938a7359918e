"""The face pipeline's stages: detector -> eye-aligned crop -> landmark model -> Face.

Backends plug in through two small protocols; everything here is platform-free. A frame
is whatever the backend's models take (a numpy RGB array on a PC, a maix.image.Image on
the device): the pipeline itself never touches pixels. The tracker (tracking.py) is the
one caller that strings the stages together, for videos and stills alike.
"""
from __future__ import annotations

from typing import Any, NamedTuple, Protocol, Sequence

import numpy as np

from .faces import Detection, Face, NUM_LANDMARKS
from .geometry import CropRequest, CropTransform
from ..timing import StageClock
from . import topology


class LandmarkOutput(NamedTuple):
    """What a landmark model returns for one crop.

    xy_crop:   (478, 2) float32 in crop pixels.
    depth:     (478,) float32, the model's -z in crop pixels (larger = closer; maix's
               points_z, unrounded on a PC).
    score:     face presence probability in [0, 1].
    transform: the crop's image <-> crop maps.
    """

    xy_crop: np.ndarray
    depth: np.ndarray
    score: float
    transform: CropTransform


class FaceDetector(Protocol):
    def detect(self, frame: Any) -> list[Detection]:
        """All faces in `frame`, in source-image pixels (any order)."""
        ...


class LandmarkModel(Protocol):
    @property
    def crop_scale(self) -> float:
        """Crop side / detector box side, as the model was trained."""
        ...

    @property
    def integer_crops(self) -> bool:
        """Crops follow the device API's int geometry (CropRequest.integer)."""
        ...

    @property
    def input_size(self) -> tuple[int, int]: ...

    def infer(self, frame: Any, request: CropRequest) -> LandmarkOutput:
        """Crop `frame` as `request` says and run the model on the crop."""
        ...


# Tracking crops are rebuilt from the landmarks of the previous frame: a square
# around the mesh, rotated by the outer eye corners (MediaPipe's
# face_landmark_landmarks_to_roi).
_EYE_A, _EYE_B = topology.OUTER_EYE_CORNERS
SAME_FACE_IOU = 0.3  # a detection overlapping a face's mesh box this much is that face


def largest_first(detections: Sequence[Detection]) -> list[Detection]:
    return sorted(detections, key=lambda d: d.area, reverse=True)


class FacePipeline:
    """The stages for one face at a time: detect, crop requests, landmarks.

    detector:           finds faces in a frame.
    landmark_model:     478 landmarks for one crop.
    landmark_threshold: face presence score a face needs to be valid.
    clock:              receives the "detect" stage time.
    """

    def __init__(self, detector: FaceDetector, landmark_model: LandmarkModel,
                 landmark_threshold: float, clock: StageClock | None = None) -> None:
        self.detector = detector
        self.landmark_model = landmark_model
        self.landmark_threshold = landmark_threshold
        self.clock = clock or StageClock()

    def detect(self, frame: Any) -> list[Detection]:
        """The frame's detections, largest first."""
        with self.clock.stage("detect"):
            return largest_first(self.detector.detect(frame))

    def request_for(self, detection: Detection) -> CropRequest:
        """The device-identical crop for a detector box, eyes from keypoints 0 and 1."""
        kps = detection.keypoints
        eye0 = kps[0] if len(kps) > 0 else np.array([np.nan, np.nan], np.float32)
        eye1 = kps[1] if len(kps) > 1 else np.array([np.nan, np.nan], np.float32)
        model = self.landmark_model
        return CropRequest.around(detection.box, eye0, eye1, model.crop_scale,
                                  model.input_size, integer=model.integer_crops)

    def request_from_face(self, face: Face, scale: float, box: np.ndarray) -> CropRequest:
        """The next frame's crop for a tracked face: its mesh box, outer eye corners."""
        model = self.landmark_model
        return CropRequest.around(box, face.xy[_EYE_A], face.xy[_EYE_B], scale,
                                  model.input_size, integer=model.integer_crops)

    def landmarks_for(self, frame: Any, request: CropRequest, detection: Detection,
                      track_id: int = -1) -> Face:
        """Run the landmark model on `request`'s crop; the Face keeps `detection` and
        `track_id` (the track it is for, -1 none)."""
        out = self.landmark_model.infer(frame, request)
        if out.xy_crop.shape != (NUM_LANDMARKS, 2) or out.depth.shape != (NUM_LANDMARKS,):
            raise ValueError(f"landmark model gave {out.xy_crop.shape} points and "
                             f"{out.depth.shape} depths, expected {NUM_LANDMARKS}")
        return Face(
            xy=out.transform.crop_to_image(out.xy_crop),
            depth=out.depth,
            xy_crop=out.xy_crop,
            score=float(out.score),
            valid=bool(out.score >= self.landmark_threshold),
            transform=out.transform,
            detection=detection,
            track_id=track_id,
        )
