"""MediaPipe's attention face mesh on LiteRT: 478 landmarks per face crop.

The face crop is cut as the device cuts it (app.core.geometry, sub-pixel on a PC) and
bilinear, then `attention.AttentionMesh` runs the model: the 468-point mesh first, then
the refinement of lips, eyes and irises (the iris points 468..477).

Whether the crop holds a face at all: the attention model's face flag is sure of real
faces (logit 10 to 30 on the test faces and videos) but also passes some of the
non-faces a detector proposes (a cartoon's pink blob: logit 7.4), which MediaPipe's
468-point face landmark model rejects (logit -9.7). So below `SURE_LOGIT` that model's
flag decides, on the same crop; real faces seldom need it, so it seldom runs, and it is
built only when first asked (its file is checked at construction).
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
from .attention import AttentionMesh
from .attention_split import ATTENTION_MODEL
from .litert import Model, ModelError, require_file

PRESENCE_MODEL = "face_landmark.tflite"  # asked when the attention model is unsure
SURE_LOGIT = 12.0

# The model answers in continuous pixel coordinates (a pixel's centre at i + 0.5);
# OpenCV's warpAffine, and so CropTransform, index pixels by their centres (i). The
# device needs no such shift: maix truncates the model output to int, which on average
# subtracts the same half pixel.
PIXEL_CENTRE = np.float32(0.5)
_INV_255 = np.float32(1 / 255)


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


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # no overflow for very negative logits
    return e / (1.0 + e)


class AttentionLandmarker:
    """`infer(frame, request)` -> 478 landmarks in crop pixels + face presence score.

    crop_scale:    crop side / detector box side (the pc.crop_scale setting).
    threads:       LiteRT CPU threads.
    clock:         receives the stages "crop" (cut and scale the face), "landmark" (the
                   mesh) and "iris" (the refinement of eyes, irises and lips).
    interpolation: how the crop is sampled. The device crops with nearest neighbour;
                   bilinear is how MediaPipe feeds the model and is measurably steadier,
                   so the PC uses it (the geometry is identical).
    """

    # Sub-pixel crop geometry: the device API is int-only, a PC need not be, and int
    # boxes make a slowly drifting face's crop jump a pixel at a time.
    integer_crops = False

    def __init__(self, models_dir: Path, *, crop_scale: float, threads: int,
                 clock: StageClock | None = None,
                 interpolation: int = cv2.INTER_LINEAR) -> None:
        self.model = AttentionMesh(models_dir / ATTENTION_MODEL, threads)
        self._presence_path = require_file(models_dir / PRESENCE_MODEL)
        self._threads = threads
        self._presence: PresenceModel | None = None
        self.crop_scale = crop_scale
        self.clock = clock or StageClock()
        self.interpolation = interpolation
        h, w = self.model.input_hw
        self._size = (w, h)
        self._crop = np.empty((h, w, 3), np.uint8)  # reused every frame

    @property
    def input_size(self) -> tuple[int, int]:
        return self._size

    def infer(self, frame: np.ndarray, request: CropRequest) -> LandmarkOutput:
        with self.clock.stage("crop"):
            transform = crop_transform(request)
            warp(frame, transform, self.interpolation, self._crop)
            # Filled in place: no float32 temporaries.
            np.multiply(self._crop, _INV_255, out=self.model.input()[0], dtype=np.float32)
        xyz = np.empty((topology.NUM_LANDMARKS, 3), np.float32)
        with self.clock.stage("landmark"):
            logit = self.model.mesh(xyz)
            if logit < SURE_LOGIT:  # a second opinion on whether this is a face
                logit = self.presence_logit()
        with self.clock.stage("iris"):
            self.model.refine(xyz)
        xy_crop = np.subtract(xyz[:, :2], PIXEL_CENTRE, dtype=np.float32)
        return LandmarkOutput(xy_crop, np.negative(xyz[:, 2]), _sigmoid(logit), transform)

    def presence_logit(self) -> float:
        """The 468-point model's face logit on the crop in the attention model's input
        (that model is built on the first call)."""
        if self._presence is None:
            self._presence = PresenceModel(self._presence_path, self._threads,
                                           self.model.input().shape)
        return self._presence.logit(self.model.input())

    @property
    def presence_built(self) -> bool:
        """Whether the 468-point model has been needed yet."""
        return self._presence is not None


class PresenceModel:
    """MediaPipe's 468-point face landmark model, asked only for its face flag."""

    def __init__(self, path: Path, threads: int, input_shape: tuple[int, ...]) -> None:
        self.model = Model(path, threads)
        if self.model.input_shape != input_shape:
            raise ModelError(f"{path}: input {self.model.input_shape}, expected {input_shape}")
        # Its face flag: the smallest output (the other is the 468 x 3 mesh).
        self._flag = min(self.model.output_names,
                         key=lambda name: math.prod(self.model.output_shape(name)))

    def logit(self, crop: np.ndarray) -> float:
        """The face logit of `crop` ((1, H, W, 3) float32 in [0, 1])."""
        self.model.input()[...] = crop
        self.model.invoke()
        return float(self.model.output(self._flag).reshape(-1)[0])
