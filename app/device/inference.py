"""maix.nn models behind the core's FaceDetector / LandmarkModel protocols.

Frames are `maix.image.Image`s (`Frame.native`). The PC models (LiteRT) can stand in for
maix.nn, on a PC running the real maix IO: `RgbDetector` / `RgbLandmarker` hand them the
zero-copy RGB numpy view of the same maix image.
"""
from __future__ import annotations

import functools
import os
import struct
from typing import Any

import numpy as np

import maix
from maix import image, nn, sys

from ..core.face.faces import Detection
from ..core.face.geometry import CropRequest, crop_transform
from ..core.face.pipeline import FaceDetector, LandmarkModel, LandmarkOutput
from ..core.timing import StageClock
from .errors import DeviceError

MIN_MAIXPY = "4.10.0"  # the first MaixPy with nn.FaceLandmarks
YOLOV8_FACE = "/root/models/yolov8n_face.mud"  # MaixCAM, MaixCAM-Pro
YOLO11_FACE = "/root/models/yolo11s_face.mud"  # MaixCAM2


def maixpy_version() -> str:
    """The installed MaixPy version, e.g. "4.12.5" ("unknown" if it does not say)."""
    return str(getattr(maix, "__version__", "") or sys.maixpy_version() or "unknown")


def is_maixcam2() -> bool:
    return sys.device_name().lower() == "maixcam2"


def default_detector_model() -> str:
    """The face detector shipped in /root/models for this device."""
    return YOLO11_FACE if is_maixcam2() else YOLOV8_FACE


def require_model(path: str, what: str) -> None:
    if not os.path.isfile(path):
        raise DeviceError(f"{what.capitalize()} model not found",
                          f"{path} does not exist. Set device.{what.replace(' ', '_')}_model "
                          "in app.yaml, or update the system image (it ships the models in "
                          "/root/models).", "ERR_NOT_FOUND")


def _load(kind: Any, path: str, what: str, **kwargs: Any) -> Any:
    require_model(path, what)
    try:
        return kind(model=path, **kwargs)
    except Exception as err:  # maix raises RuntimeError / err.Exception with its own text
        raise DeviceError(f"Cannot load the {what} model", f"{path}: {err}",
                          "ERR_RUNTIME") from err


class MaixFaceDetector:
    """YOLO face detector on the NPU: `detect(img)` -> detections, largest first.

    `model` is a loaded nn.YOLOv8 / nn.YOLO11 (face pose model); `load` opens the right
    one for the device.
    """

    def __init__(self, model: Any, *, conf_threshold: float, iou_threshold: float) -> None:
        self.model = model
        self.conf_threshold = conf_threshold
        self.iou_threshold = iou_threshold

    @classmethod
    def load(cls, model_path: str, *, conf_threshold: float,
             iou_threshold: float) -> "MaixFaceDetector":
        """nn.YOLOv8 (yolov8n_face) on MaixCAM / MaixCAM-Pro, nn.YOLO11 (yolo11s_face) on
        MaixCAM2; '' = the device's shipped model. An overridden path picks the class by
        its file name ("yolo11" -> YOLO11, "yolov8" -> YOLOv8), else by device.
        `dual_buff=False`: with it, detect() returns the previous frame's boxes, and this
        frame's crops would miss moving faces."""
        path = model_path or default_detector_model()
        name = os.path.basename(path).lower()
        yolo11 = "yolo11" in name or ("yolov8" not in name and is_maixcam2())
        model = _load(nn.YOLO11 if yolo11 else nn.YOLOv8, path, "detector", dual_buff=False)
        return cls(model, conf_threshold=conf_threshold, iou_threshold=iou_threshold)

    @property
    def input_size(self) -> tuple[int, int]:
        """`width, height` the camera should deliver (no resize before the NPU)."""
        return int(self.model.input_width()), int(self.model.input_height())

    @property
    def input_format(self) -> image.Format:
        return self.model.input_format()

    def detect(self, frame: image.Image) -> list[Detection]:
        objs = self.model.detect(frame, conf_th=self.conf_threshold, iou_th=self.iou_threshold,
                                 sort=1)
        return [Detection.from_maix(o.x, o.y, o.w, o.h, o.score, o.points) for o in objs]


def require_face_landmarks() -> None:
    """Fail with a clear message on a MaixPy older than nn.FaceLandmarks."""
    if not hasattr(nn, "FaceLandmarks"):
        raise DeviceError("MaixPy too old",
                          f"This app needs MaixPy >= {MIN_MAIXPY} (nn.FaceLandmarks); "
                          f"installed: {maixpy_version()}. Update the system image.",
                          "ERR_NOT_IMPL")


@functools.lru_cache(maxsize=8)
def _packer(count: int) -> struct.Struct:
    return struct.Struct(f"={count}i")


def int_array(values: list[int]) -> np.ndarray:
    """A list of Python ints as an int32 array. maix hands its points over as lists;
    packing them with struct is the cheapest way in (x86 instructions for a face's 956
    ints: struct ~90 thousand, np.fromiter 240, array.array 260, np.array 310; one pack
    of the points and their z chained together is dearer than two)."""
    return np.frombuffer(_packer(len(values)).pack(*values), np.int32)


def crop_points_to_float(points: list[int] | np.ndarray) -> np.ndarray:
    """FaceLandmarks.detect(..., landmarks_rel=True) crop points -> (N, 2) float32, in
    the core's pixel convention (a pixel's centre at i, as OpenCV and CropTransform).

    The model answers in continuous coordinates (a pixel's centre at i + 0.5, as the PC
    backend's PIXEL_CENTRE notes), so the wanted value is v - 0.5. MaixCDK stores v into
    an `int` (truncation toward zero): n for v in [n, n+1) when n > 0, where v - 0.5 is
    centred on n already; (n-1, n] when n < 0, centred on n - 1; (-1, 1) when n == 0,
    centred on -0.5. Taking each bin's centre keeps device and PC landmarks unbiased
    against each other.
    """
    return _bin_centres(np.array(points, dtype=np.float32).reshape(-1, 2))


def _bin_centres(n: np.ndarray) -> np.ndarray:
    """`crop_points_to_float` in place on float32 truncated ints: n - clip(0.5 - n, 0, 1)
    is n above zero, -0.5 at zero and n - 1 below (three numpy calls, no masks)."""
    shift = np.subtract(np.float32(0.5), n)
    np.clip(shift, 0.0, 1.0, out=shift)
    return np.subtract(n, shift, out=n)


class MaixLandmarker:
    """nn.FaceLandmarks (MediaPipe's 478-point face mesh) on the NPU.

    `infer(img, request)` cuts the crop with the model's own `crop_image` and runs
    `detect` on it; the two run as a pair, one face at a time (crop_image leaves the
    crop's inverse affine in the object for the next detect). Landmarks come back in
    crop pixels (`landmarks_rel`) and are mapped to the image by the core with
    `crop_transform(request)`, our float restatement of the same affine, instead of
    the device's int-truncated `landmarks_abs` points.
    """

    integer_crops = True  # crop_image takes int geometry; the core builds requests to match

    def __init__(self, model: Any, *, crop_scale: float,
                 clock: StageClock | None = None) -> None:
        self.model = model  # a loaded nn.FaceLandmarks
        self.crop_scale = crop_scale
        self.clock = clock or StageClock()
        self._size = (int(model.input_width()), int(model.input_height()))

    @classmethod
    def load(cls, model_path: str, *, crop_scale: float,
             clock: StageClock | None = None) -> "MaixLandmarker":
        require_face_landmarks()
        return cls(_load(nn.FaceLandmarks, model_path, "landmarks"), crop_scale=crop_scale,
                   clock=clock)

    @property
    def input_size(self) -> tuple[int, int]:
        return self._size

    def infer(self, frame: image.Image, request: CropRequest) -> LandmarkOutput:
        if not request.integer:  # the device API is int-only: map back with the same ints
            request = request._replace(integer=True)
        (x, y, w, h), eyes = request.device_args()
        width, height = request.size
        with self.clock.stage("crop"):
            crop = self.model.crop_image(frame, x, y, w, h, list(eyes), width, height,
                                         request.scale)
        if crop is None:
            raise MemoryError("nn.FaceLandmarks.crop_image returned no image")
        with self.clock.stage("landmark"):
            # conf_th 0: points are always decoded; the core applies the settings' threshold.
            obj = self.model.detect(crop, conf_th=0.0, landmarks_abs=False, landmarks_rel=True)
        xy_crop = _bin_centres(int_array(obj.points).reshape(-1, 2).astype(np.float32))
        depth = int_array(obj.points_z).astype(np.float32)  # points_z = round(-z)
        return LandmarkOutput(xy_crop, depth, float(obj.score), crop_transform(request))


def rgb_view(frame: image.Image) -> np.ndarray:
    """(H, W, 3) uint8 RGB numpy view of a maix RGB888 image, no copy."""
    return image.image2cv(frame, ensure_bgr=False, copy=False)


class RgbDetector:
    """A numpy-RGB face detector (the PC's BlazeFace) taking maix images."""

    def __init__(self, model: FaceDetector) -> None:
        self.model = model

    def detect(self, frame: image.Image) -> list[Detection]:
        return self.model.detect(rgb_view(frame))


class RgbLandmarker:
    """A numpy-RGB landmark model (the PC's FaceMesh V2 on LiteRT) taking maix images."""

    def __init__(self, model: LandmarkModel) -> None:
        self.model = model

    @property
    def crop_scale(self) -> float:
        return self.model.crop_scale

    @property
    def integer_crops(self) -> bool:
        return self.model.integer_crops

    @property
    def input_size(self) -> tuple[int, int]:
        return self.model.input_size

    def infer(self, frame: image.Image, request: CropRequest) -> LandmarkOutput:
        return self.model.infer(rgb_view(frame), request)
