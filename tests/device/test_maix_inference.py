"""The maix.nn adapters (app/device/inference.py) around the real MaixPy API.

A PC has no NPU, so the models are stand-ins built from real maix parts: the real
`nn.FaceLandmarks("").crop_image`, real `nn.Objects` / `nn.FaceLandmarksObject`, and a
detect() that reports known landmarks exactly as MaixCDK's `_decode_landmarks` does
with `landmarks_rel` (crop pixels stored into ints, `points_z = roundf(-z)`).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from tests.device._frames import NEEDS_MAIX, load_frame, maix_points

pytest.importorskip("maix.image", reason=NEEDS_MAIX)

from maix import image, nn  # noqa: E402

from app.core.face.faces import Detection  # noqa: E402
from app.core.face.geometry import CropRequest, crop_transform  # noqa: E402
from app.core.face.pipeline import FacePipeline  # noqa: E402
from app.device import DeviceError  # noqa: E402
from app.device import inference  # noqa: E402
from app.device.inference import MaixFaceDetector, MaixLandmarker, crop_points_to_float  # noqa: E402

N = 478


def c_int(v: float) -> int:
    return int(v)  # C++ float -> int: truncation toward zero, as Python's int()


def c_roundf(v: float) -> int:
    return int(math.copysign(math.floor(abs(v) + 0.5), v))  # roundf: half away from zero


class StandInFaceLandmarks:
    """nn.FaceLandmarks with the real crop_image and a detect() that 'sees' `xyz_crop`."""

    def __init__(self, xyz_crop: np.ndarray, score: float = 0.9, size=(256, 256)) -> None:
        self.real = nn.FaceLandmarks("")
        self.xyz_crop = xyz_crop
        self.score = score
        self.size = size
        self.crop_args: tuple = ()
        self.detect_args: tuple = ()

    def input_width(self) -> int:
        return self.size[0]

    def input_height(self) -> int:
        return self.size[1]

    def crop_image(self, *args):
        self.crop_args = args
        return self.real.crop_image(*args)

    def detect(self, img, conf_th=0.5, landmarks_abs=True, landmarks_rel=False):
        self.detect_args = (conf_th, landmarks_abs, landmarks_rel)
        assert (img.width(), img.height()) == self.size  # detect() has no resize
        assert img.format() == image.Format.FMT_RGB888
        obj = nn.FaceLandmarksObject()
        obj.score = self.score
        obj.valid = self.score >= conf_th
        obj.points = [c_int(v) for v in self.xyz_crop[:, :2].reshape(-1)]
        obj.points_z = [c_roundf(-v) for v in self.xyz_crop[:, 2]]
        return obj


class StandInYolo:
    def __init__(self, objects: nn.Objects) -> None:
        self.objects = objects
        self.kwargs: dict = {}

    def detect(self, img, **kwargs):
        self.kwargs = kwargs
        return self.objects


def model_output(seed: int = 0) -> np.ndarray:
    """(478, 3) float32 'model output' in crop pixels, some just outside the crop."""
    rng = np.random.default_rng(seed)
    xyz = np.empty((N, 3), np.float32)
    xyz[:, :2] = rng.uniform(-3.0, 259.0, (N, 2))
    xyz[:, 2] = rng.uniform(-40.0, 40.0, N)
    return xyz


@pytest.mark.parametrize("angle", [-35, 0, 20])
def test_landmarks_come_back_in_image_pixels_unbiased(angle):
    rgb = load_frame("single_face.jpg")
    img = image.cv2image(np.array(rgb), bgr=False, copy=True)
    xyz = model_output(angle + 100)
    model = StandInFaceLandmarks(xyz)
    landmarker = MaixLandmarker(model, crop_scale=1.2)
    assert landmarker.input_size == (256, 256) and landmarker.integer_crops
    pipeline = FacePipeline(StandInYolo(nn.Objects()), landmarker, landmark_threshold=0.5)
    dx, dy = 60 * math.cos(math.radians(angle)), 60 * math.sin(math.radians(angle))
    detection = Detection(np.array([250.5, 180.2, 200.7, 230.1], np.float32), 0.9,
                          np.array([[350 - dx, 260 - dy], [350 + dx, 260 + dy]], np.float32))
    request = pipeline.request_for(detection)
    face = pipeline.landmarks_for(img, request, detection)

    (x, y, w, h), eyes = request.device_args()
    assert model.crop_args[1:] == (x, y, w, h, list(eyes), 256, 256, request.scale)
    assert model.detect_args == (0.0, False, True)  # conf 0, crop pixels only
    transform = crop_transform(request)
    # The model's continuous coordinates, in the core's convention (centres at integers).
    truth = transform.crop_to_image(xyz[:, :2] - 0.5)
    per_px = transform.pixels_per_crop_pixel
    err = (face.xy - truth) / per_px  # in crop pixels
    assert np.abs(err).max() <= 1.0 + 1e-3  # quantisation: 1 px bins (2 px around 0)
    assert np.abs(err.mean(axis=0)).max() < 0.08  # unbiased
    np.testing.assert_array_equal(face.depth, [c_roundf(-v) for v in xyz[:, 2]])
    assert face.valid and face.score == pytest.approx(0.9)
    assert face.points_z == [c_roundf(-v) for v in xyz[:, 2]]


def test_low_score_is_returned_and_judged_by_the_core():
    img = image.Image(320, 224, image.Format.FMT_RGB888)
    landmarker = MaixLandmarker(StandInFaceLandmarks(model_output(), score=0.2), crop_scale=1.2)
    pipeline = FacePipeline(StandInYolo(nn.Objects()), landmarker, landmark_threshold=0.5)
    detection = Detection(np.array([100, 50, 80, 90], np.float32), 0.9,
                          np.full((5, 2), np.nan, np.float32))
    face = pipeline.landmarks_for(img, pipeline.request_for(detection), detection)
    assert not face.valid and face.xy.shape == (N, 2) and np.isfinite(face.xy).all()


def test_float_requests_are_cut_and_mapped_with_the_device_ints():
    img = image.Image(320, 224, image.Format.FMT_RGB888)
    model = StandInFaceLandmarks(model_output())
    request = CropRequest((100.7, 50.2, 80.9, 90.4), (110.6, 80.2, 150.3, 82.9), 1.2,
                          (256, 256), integer=False)
    out = MaixLandmarker(model, crop_scale=1.2).infer(img, request)
    assert model.crop_args[1:6] == (100, 50, 80, 90, [110, 80, 150, 82])
    ints = CropRequest((100.7, 50.2, 80.9, 90.4), (110.6, 80.2, 150.3, 82.9), 1.2, (256, 256))
    np.testing.assert_array_equal(out.transform.to_image, crop_transform(ints).to_image)


def test_crop_points_to_float_takes_the_middle_of_each_truncation_bin():
    got = crop_points_to_float([0, 0, 5, -3, -1, 255])
    np.testing.assert_array_equal(got, [[-0.5, -0.5], [5, -4], [-2, 255]])


def test_detector_maps_maix_objects_to_detections():
    objects = nn.Objects()
    objects.add(10, 20, 100, 120, 0, 0.91, [30, 50, 80, 52, -1, -1, 40, 100, 75, 101])
    objects.add(200, 30, 40, 50, 0, 0.6, [210, 40, 230, 41, 220, 55, 212, 65, 228, 66])
    yolo = StandInYolo(objects)
    detections = MaixFaceDetector(yolo, conf_threshold=0.55, iou_threshold=0.4).detect(
        image.Image(320, 224, image.Format.FMT_RGB888))
    assert yolo.kwargs == {"conf_th": 0.55, "iou_th": 0.4, "sort": 1}
    assert [d.box.tolist() for d in detections] == [[10, 20, 100, 120], [200, 30, 40, 50]]
    assert detections[0].score == pytest.approx(0.91)
    assert detections[0].keypoints.shape == (5, 2)
    assert np.isnan(detections[0].keypoints[2]).all()  # -1, -1: keypoint not found
    assert detections[0].keypoints[0].tolist() == [30, 50]


def test_missing_model_says_which_path(tmp_path):
    missing = str(tmp_path / "nope" / "yolov8n_face.mud")
    with pytest.raises(DeviceError) as caught:
        MaixFaceDetector.load(missing, conf_threshold=0.5, iou_threshold=0.45)
    assert missing in caught.value.message and caught.value.code == "ERR_NOT_FOUND"
    with pytest.raises(DeviceError) as caught:
        MaixLandmarker.load(str(tmp_path / "face_landmarks.mud"), crop_scale=1.2)
    assert "face_landmarks.mud" in caught.value.message


def test_model_that_cannot_load_is_reported(tmp_path):
    mud = tmp_path / "face_landmarks.mud"
    mud.write_text("[basic]\ntype = cvimodel\n")
    with pytest.raises(DeviceError) as caught:
        MaixLandmarker.load(str(mud), crop_scale=1.2)  # on a PC: "NN not support this platform yet"
    assert str(mud) in caught.value.message and caught.value.code == "ERR_RUNTIME"


def test_old_maixpy_without_face_landmarks_says_what_is_needed(monkeypatch):
    monkeypatch.delattr(inference.nn, "FaceLandmarks")
    with pytest.raises(DeviceError) as caught:
        MaixLandmarker.load("/root/models/face_landmarks.mud", crop_scale=1.2)
    assert ">= 4.10.0" in caught.value.message
    assert inference.maixpy_version() in caught.value.message
    assert caught.value.code == "ERR_NOT_IMPL"


def test_default_detector_model_follows_the_device():
    assert inference.default_detector_model() == inference.YOLOV8_FACE  # a PC: not MaixCAM2
    assert inference.maixpy_version() == "4.12.5"


def test_draw_face_accepts_face_points_and_points_z():
    img = image.Image(640, 480, image.Format.FMT_RGB888, bg=image.COLOR_BLACK)
    landmarker = MaixLandmarker(StandInFaceLandmarks(model_output(3)), crop_scale=1.2)
    pipeline = FacePipeline(StandInYolo(nn.Objects()), landmarker, landmark_threshold=0.5)
    detection = Detection(np.array([200, 100, 220, 240], np.float32), 0.9,
                          np.array([[260, 190], [360, 195]], np.float32))
    face = pipeline.landmarks_for(img, pipeline.request_for(detection), detection)
    drawer = nn.FaceLandmarks("")
    drawer.draw_face(img, maix_points(face.xy), N, face.points_z)
    drawer.draw_face(img, maix_points(face.xy), N)
    drawn = image.image2cv(img, ensure_bgr=False, copy=True)
    x, y = (int(v) for v in face.xy[240])
    if 0 <= x < 640 and 0 <= y < 480:
        assert drawn[y, x].any()
    assert drawn.any()
