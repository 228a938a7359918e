"""MediaPipe's FaceMesh V2 on LiteRT: 478 landmarks per face crop, the device's model.

`face_landmarks_detector.tflite` from MediaPipe's Face Landmarker bundle is the model
family that `nn.FaceLandmarks` runs on the device (256 x 256 RGB in [0, 1] -> 478 x
(x, y, z) in crop pixels and a face logit), so both platforms measure the same points.
The crop is cut as the device cuts it (app.core.face.geometry), sub-pixel and bilinear on a PC.

Whether the crop holds a face at all: V2's face flag is sure of real faces (logit 17 to
25 on the test stills and clips, down to 8 for a small face in a crowd) but also passes
some of the non-faces the full-range detector proposes (cartoon blobs in no_face.mp4 and
face_noface.mov: logit 9.7 and 9.9), which MediaPipe's 468-point face landmark model
rejects (logit -3.7 and -4.8; 17 to 36 on those real faces). So below `SURE_LOGIT` a face
must convince that model too: the lower of the two logits decides. Real faces seldom need
it, so it seldom runs, and it is built only when first asked (its file is checked at
construction).
"""
from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from ..core.face import topology
from ..core.face.geometry import CropRequest, CropTransform, crop_transform
from ..core.face.pipeline import LandmarkOutput
from ..core.timing import StageClock
from .litert import Model, ModelError, require_file

LANDMARK_MODEL = "face_landmarks_detector.tflite"
PRESENCE_MODEL = "face_landmark.tflite"  # asked when V2 is unsure
SURE_LOGIT = 15.0

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


class FaceMeshLandmarker:
    """`infer(frame, request)` -> 478 landmarks in crop pixels + face presence score.

    crop_scale:    crop side / detector box side (the pc.crop_scale setting).
    threads:       LiteRT CPU threads.
    clock:         receives the stages "crop" (cut and scale the face) and "landmark".
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
        self.model = Model(models_dir / LANDMARK_MODEL, threads)
        self._points, self._flag = self._outputs(self.model)
        self._presence_path = require_file(models_dir / PRESENCE_MODEL)
        self._threads = threads
        self._presence: PresenceModel | None = None
        self.crop_scale = crop_scale
        self.clock = clock or StageClock()
        self.interpolation = interpolation
        h, w = self.model.input_hw
        self._size = (w, h)
        self._crop = np.empty((h, w, 3), np.uint8)  # reused every frame

    @staticmethod
    def _outputs(model: Model) -> tuple[str, str]:
        """The names of the 478 x 3 points output and of the face logit (the first
        single-value output: V2's last output is another scalar)."""
        sizes = {name: math.prod(model.output_shape(name)) for name in model.output_names}
        points = [name for name, size in sizes.items() if size == topology.NUM_LANDMARKS * 3]
        scalars = [name for name, size in sizes.items() if size == 1]
        if len(model.input_shape) != 4 or not points or not scalars:
            raise ModelError(f"{model.path}: not MediaPipe's FaceMesh V2 model (outputs "
                             f"{sizes}, expected {topology.NUM_LANDMARKS * 3} points and a "
                             f"face score)")
        return points[0], scalars[0]

    @property
    def input_size(self) -> tuple[int, int]:
        return self._size

    def infer(self, frame: np.ndarray, request: CropRequest) -> LandmarkOutput:
        with self.clock.stage("crop"):
            transform = crop_transform(request)
            warp(frame, transform, self.interpolation, self._crop)
            # Filled in place: no float32 temporaries.
            np.multiply(self._crop, _INV_255, out=self.model.input()[0], dtype=np.float32)
        with self.clock.stage("landmark"):
            self.model.invoke()
        xyz = self.model.output(self._points).reshape(topology.NUM_LANDMARKS, 3)
        logit = float(self.model.output(self._flag).reshape(-1)[0])
        if logit < SURE_LOGIT:  # a second opinion on whether this is a face
            logit = min(logit, self.presence_logit())
        xy_crop = np.subtract(xyz[:, :2], PIXEL_CENTRE, dtype=np.float32)
        return LandmarkOutput(xy_crop, np.negative(xyz[:, 2]), _sigmoid(logit), transform)

    def presence_logit(self) -> float:
        """The 468-point model's face logit on the current crop (that model is built on
        the first call)."""
        if self._presence is None:
            self._presence = PresenceModel(self._presence_path, self._threads)
        return self._presence.logit(self._crop)

    @property
    def presence_built(self) -> bool:
        """Whether the 468-point model has been needed yet."""
        return self._presence is not None


class PresenceModel:
    """MediaPipe's 468-point face landmark model, asked only for its face flag.

    It takes the same crop at its own (smaller) input size: MediaPipe feeds both models
    the same 1.5x box around the face."""

    def __init__(self, path: Path, threads: int) -> None:
        self.model = Model(path, threads)
        h, w = self.model.input_hw
        self._size = (w, h)
        # Its face flag: the smallest output (the other is the 468 x 3 mesh).
        self._flag = min(self.model.output_names,
                         key=lambda name: math.prod(self.model.output_shape(name)))

    def logit(self, crop: np.ndarray) -> float:
        """The face logit of `crop` ((H, W, 3) uint8 RGB, any size: area-resized)."""
        small = cv2.resize(crop, self._size, interpolation=cv2.INTER_AREA)
        np.multiply(small, _INV_255, out=self.model.input()[0], dtype=np.float32)
        self.model.invoke()
        return float(self.model.output(self._flag).reshape(-1)[0])
