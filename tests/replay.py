"""Replay models: recorded real detector and landmark outputs behind the core's protocols.

tools/record_replay.py ran MediaPipe's models on real faces (a talking face video, a
group photo, a portrait) and stored what they answered in tests/fixtures/replay.npz.
Here a `ReplayDetector` hands back a frame's recorded detections, and a
`ReplayLandmarker` answers a crop request with the recorded face whose centre lies in
that crop, mapped into the crop's pixels exactly as a model's output would be (and no
face, score 0, when the crop holds none). So the tracker, the frame loop and the
renderer run on real faces with neither LiteRT nor maix installed.

A frame is a `ReplayFrame(clip, index)`; index -1 is a blank frame (nothing in it).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.face.faces import Detection
from app.core.face.geometry import CropRequest, crop_transform
from app.core.face.pipeline import LandmarkOutput

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "replay.npz"
XY_STEP = np.float32(1 / 16)  # tools/record_replay.py stores 1/16 pixel int16
BLANK = -1
# A crop holds a recorded face when the face's centre is this close to the crop's
# centre (fraction of the crop side): a tracked crop follows its face within a few
# pixels; a crop on empty ground or another face misses by far more.
CENTRE_TOLERANCE = 0.25


@dataclass(frozen=True)
class Clip:
    """The recorded outputs of one video or photo."""

    name: str
    frames: int
    size: tuple[int, int]  # width, height
    det_frame: np.ndarray  # (N,) frame of each detection
    det_box: np.ndarray  # (N, 4) x, y, w, h image px
    det_score: np.ndarray  # (N,)
    det_kps: np.ndarray  # (N, 6, 2) image px
    face_frame: np.ndarray  # (M,) frame of each face
    face_xyz: np.ndarray  # (M, 478, 3) float32 image px; z as the model gives it
    face_score: np.ndarray  # (M,)

    def detections(self, index: int) -> list[Detection]:
        rows = np.flatnonzero(self.det_frame == index)
        return [Detection(self.det_box[i], float(self.det_score[i]), self.det_kps[i])
                for i in rows]

    def faces(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """((K, 478, 3) landmarks, (K,) scores) of frame `index`."""
        rows = self.face_frame == index
        return self.face_xyz[rows], self.face_score[rows]


@functools.lru_cache(maxsize=None)
def load_clip(name: str) -> Clip:
    """A recorded clip: "single_face.mp4" (72 frames), "multi_face.jpg" (5 faces),
    "astronaut.png"."""
    with np.load(FIXTURE) as data:
        def get(key: str) -> np.ndarray:
            return data[f"{name}/{key}"]

        frames, width, height = (int(v) for v in get("frames"))
        return Clip(name, frames, (width, height), get("det_frame"), get("det_box"),
                    get("det_score"), get("det_kps"), get("face_frame"),
                    get("face_xyz").astype(np.float32) * XY_STEP, get("face_score"))


@dataclass(frozen=True)
class ReplayFrame:
    """Frame `index` of a recorded clip (BLANK: a frame with nothing in it)."""

    clip: Clip
    index: int


class ReplayDetector:
    """The recorded detections of each frame."""

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, frame: ReplayFrame) -> list[Detection]:
        self.calls += 1
        return [] if frame.index == BLANK else frame.clip.detections(frame.index)


class ReplayLandmarker:
    """The recorded landmarks of the face a crop is cut around, in that crop's pixels.

    As the PC's landmark model: a 256-px crop, 1.5x the detector box, sub-pixel crops.
    """

    crop_scale = 1.5
    integer_crops = False
    input_size = (256, 256)

    def __init__(self) -> None:
        self.calls = 0

    def infer(self, frame: ReplayFrame, request: CropRequest) -> LandmarkOutput:
        self.calls += 1
        transform = crop_transform(request)
        nothing = LandmarkOutput(np.zeros((478, 2), np.float32), np.zeros(478, np.float32),
                                 0.0, transform)
        if frame.index == BLANK:
            return nothing
        faces, scores = frame.clip.faces(frame.index)
        if not len(faces):
            return nothing
        w, h = transform.size
        centre = transform.crop_to_image(np.array([[w / 2, h / 2]], np.float32))[0]
        miss = np.linalg.norm(faces[:, :, :2].mean(axis=1) - centre, axis=1) / transform.side
        best = int(np.argmin(miss))
        if miss[best] > CENTRE_TOLERANCE:
            return nothing
        depth = -faces[best, :, 2] / transform.pixels_per_crop_pixel
        return LandmarkOutput(transform.image_to_crop(faces[best, :, :2]),
                              depth.astype(np.float32), float(scores[best]), transform)
