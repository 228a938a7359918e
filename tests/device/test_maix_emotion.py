"""The device's face-emotion classifier (app/device/emotion.py) on the real MaixPy.

A PC has no NPU (`nn.Classifier` throws "NN not support this platform yet"), so the
classifier is a stand-in with nn.Classifier's interface: its own label order (not ours),
a 64x64 input, and `classify` that records the image it gets and ranks the classes by
fixed scores. Everything else is real: `nn.FaceLandmarks("").crop_image` cuts the face
out of real frames, maix turns it grey, the app's tracker (the PC's models behind maix
images) follows a real clip, and the device's report adapter sends the result.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from tests.device._frames import NEEDS_MAIX, load_frame, video_frames

pytest.importorskip("maix.image", reason=NEEDS_MAIX)

from maix import image, nn  # noqa: E402

from app.backends import maix_pc_models, make_tracker  # noqa: E402
from app.core import report as core  # noqa: E402
from app.core.emotion import Emotion, EmotionSchedule, EmotionTracker  # noqa: E402
from app.core.face.geometry import CropRequest, crop_transform  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.core.face.topology import SUBSET_5  # noqa: E402
from app.device.comm import MaixCommReporter  # noqa: E402
from app.device.emotion import IRIS_CENTRES, MaixEmotionClassifier  # noqa: E402
from tests._report_cases import peer_blendshape_faces  # noqa: E402
from tests.core._factories import make_face  # noqa: E402
from tests.device.test_maix_report import FakePort  # noqa: E402

# the .mud's labels in an order of its own: the adapter must go by name
STAND_IN_LABELS = ["neutral", "happy", "sad", "surprise", "fear", "disgust", "angry"]


class StandInClassifier:
    """nn.Classifier's interface around fixed class scores (softmax of `logits`)."""

    def __init__(self, logits: list[float], labels: list[str] = STAND_IN_LABELS,
                 size: tuple[int, int] = (64, 64)) -> None:
        self.labels = labels
        self.size = size
        self.logits = np.asarray(logits, np.float64)
        self.images: list[image.Image] = []

    def input_width(self) -> int:
        return self.size[0]

    def input_height(self) -> int:
        return self.size[1]

    def classify(self, img: image.Image, softmax: bool = True):
        assert softmax
        self.images.append(img)
        p = np.exp(self.logits - self.logits.max())
        p /= p.sum()
        return sorted(((i, float(v)) for i, v in enumerate(p)), key=lambda r: -r[1])


def portrait(name: str):
    """(maix image, Face from MediaPipe's landmarks) of a real portrait."""
    (xy,) = [xy for image_name, _, xy, _ in peer_blendshape_faces() if image_name == name]
    rgb = load_frame(name)
    return image.cv2image(np.array(rgb), bgr=False, copy=True), make_face(xy, track_id=1), rgb


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(np.corrcoef(a, b)[0, 1])


def test_the_classifier_sees_the_levelled_grey_face_at_its_input_size():
    img, face, rgb = portrait("0-f15-hao-ph.jpg")
    stand_in = StandInClassifier([0, 5, 0, 0, 0, 0, 0])
    classify = MaixEmotionClassifier(stand_in, nn.FaceLandmarks(model=""))
    emotion = classify(img, face)
    (seen,) = stand_in.images
    assert seen.format() == image.Format.FMT_GRAYSCALE
    assert (seen.width(), seen.height()) == (64, 64)
    crop = image.image2cv(seen, ensure_bgr=False, copy=True).reshape(64, 64)
    # the crop the core's restatement of crop_image predicts, from the same arguments
    x, y, w, h, eyes = classify.crop_args(face)
    request = CropRequest((x, y, w, h), tuple(float(v) for v in eyes), 0.9, (64, 64))
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    want = cv2.warpAffine(grey, crop_transform(request).to_crop, (64, 64))
    upside_down = want[::-1, ::-1]
    assert _correlation(crop, want) > 0.95 and _correlation(crop, upside_down) < 0.8
    # the eyes are level in the crop: eye 0 on the left, both on one row
    eyes_in_crop = crop_transform(request).image_to_crop(face.xy[IRIS_CENTRES])
    assert eyes_in_crop[0, 0] < eyes_in_crop[1, 0]
    assert abs(eyes_in_crop[0, 1] - eyes_in_crop[1, 1]) < 1.0
    # the label by name, from the stand-in's own order
    assert emotion is not None and emotion.label == "happy"
    assert emotion.score == pytest.approx(math.exp(5) / (math.exp(5) + 6))


def test_a_label_outside_the_seven_classes_is_not_reported():
    img, face, _ = portrait("0-f1-su-ph.jpg")
    stand_in = StandInClassifier([3, 0], labels=["contempt", "happy"])
    assert MaixEmotionClassifier(stand_in, nn.FaceLandmarks(model=""))(img, face) is None
    stand_in = StandInClassifier([0, 3], labels=["contempt", "surprise"])
    found = MaixEmotionClassifier(stand_in, nn.FaceLandmarks(model=""))(img, face)
    assert found is not None and found.label == "surprise"


def test_without_the_model_there_is_no_classifier(tmp_path):
    lines: list[str] = []
    assert MaixEmotionClassifier.load(str(tmp_path / "face_emotion.mud"), lines.append) is None
    assert lines == []   # no model: nothing to say (a PC, a system without it)
    mud = tmp_path / "face_emotion.mud"
    mud.write_text("[basic]\ntype = cvimodel\n")
    assert MaixEmotionClassifier.load(str(mud), lines.append) is None  # real maix.nn: no NPU
    assert len(lines) == 1 and lines[0].startswith("warning: emotion off")


def test_a_real_clip_on_the_device_path_reports_emotion_at_the_rate():
    """single_face.mp4 through the app's tracker (PC models behind maix images), faces
    classified at 10 Hz on 30 fps frame times, reported through the device adapter."""
    settings = Settings()
    tracker = make_tracker(maix_pc_models(settings, tracking=True), settings, tracking=True)
    stand_in = StandInClassifier([0, 0, 0, 0, 0, 0, 4])   # "angry"
    emotional = EmotionTracker(tracker, MaixEmotionClassifier(stand_in,
                                                              nn.FaceLandmarks(model="")),
                               EmotionSchedule(10.0))
    port = FakePort([])
    sink = core.ReportingSink(MaixCommReporter(core.FaceReporter(), port), SUBSET_5)
    frames = 0
    for i, rgb in enumerate(video_frames("single_face.mp4")):
        if i == 45:
            break
        faces = emotional.update(image.cv2image(rgb, bgr=False, copy=True), i / 30)
        sink.write(i, (rgb.shape[1], rgb.shape[0]), faces, {})
        frames += 1
    reports = [core.decode_faces(body) for kind, cmd, body in port.sent
               if kind == "report" and cmd == core.CMD_FACES]
    assert len(reports) == frames == 45
    tracked = [f for r in reports for f in r.faces]
    assert len(tracked) == 45 and len({f.track_id for f in tracked}) == 1
    assert all(f.emotion == "angry" and f.emotion_score == pytest.approx(
        round(255 * math.exp(4) / (math.exp(4) + 6)) / 255) for f in tracked)
    assert len(stand_in.images) == 15   # 1.5 s at 10 Hz, not every frame
    assert emotional.schedule.latest == {tracked[0].track_id: Emotion(
        "angry", pytest.approx(math.exp(4) / (math.exp(4) + 6)))}
