"""Recording the tape the device-cost count replays (bench/device_cost.py).

A loop is first run here, natively, with the "oracle" stand-ins below in place of the
two NPU models; what they answered is written to a tape (bench/device_tape.py), which
the counted run (under callgrind) plays back with nothing but maix loaded.

- frames: real frames at the detector's input size, 320x224, cut from a real video
  (tests/data/single_face.mp4) or a group photo (multi_face.jpg);
- detections: each frame's real detections (tests/fixtures/replay.npz, recorded from
  MediaPipe's detector), in YOLO's int format;
- landmark answers: for each crop the loop asks about, the recorded face whose centre
  lies in the crop, mapped into the crop exactly as MaixCDK reports it (ints,
  `points_z = round(-z)`, absolute or crop-relative), in call order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.core.face.geometry import CropRequest, crop_transform

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
FIXTURE = ROOT / "tests" / "fixtures" / "replay.npz"
CAMERA = (320, 224)  # yolov8n_face's input: the camera is opened at it
LANDMARKS_INPUT = (256, 256)  # face_landmarks.mud's input (MAIX_REFERENCE.md)
XY_STEP = 1 / 16  # tools/record_replay.py's landmark quantum
CENTRE_TOLERANCE = 0.25  # a crop holds a face whose centre is this close (crop sides)


@dataclass(frozen=True)
class Scene:
    """Frames at the camera's size with their recorded detections and faces.

    frames:     (H, W, 3) uint8 RGB, one per camera read.
    detections: per frame, [(x, y, w, h, score, [10 keypoint ints])] as YOLO gives them.
    faces:      per frame, ((K, 478, 3) image px with z as the model's, (K,) scores).
    """

    frames: list[np.ndarray]
    detections: list[list[tuple]]
    faces: list[tuple[np.ndarray, np.ndarray]]


def _recorded(clip: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURE) as data:
        return {key.split("/", 1)[1]: data[key] for key in data.files
                if key.startswith(clip + "/")}


def _source_frames(clip: str) -> list[np.ndarray]:
    path = DATA / clip
    if path.suffix == ".mp4":
        capture = cv2.VideoCapture(str(path))
        frames = []
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        capture.release()
    else:
        frames = [cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)]
    if not frames:
        raise SystemExit(f"cannot read {path}: run python3 tools/fetch_assets.py")
    return frames


def load_scene(clip: str, count: int) -> Scene:
    """`count` frames of `clip` (looped) cut to the camera's aspect and scaled to it."""
    rec = _recorded(clip)
    source = _source_frames(clip)
    height, width = source[0].shape[:2]
    cut_w = min(width, round(height * CAMERA[0] / CAMERA[1]))
    x0 = (width - cut_w) // 2
    sx, sy = CAMERA[0] / cut_w, CAMERA[1] / height
    scale = np.array([sx, sy], np.float32)
    frames, detections, faces = [], [], []
    for i in range(count):
        k = i % len(source)
        frames.append(np.ascontiguousarray(cv2.resize(
            source[k][:, x0:x0 + cut_w], CAMERA, interpolation=cv2.INTER_AREA)))
        dets = []
        for j in np.flatnonzero(rec["det_frame"] == k):
            x, y, w, h = rec["det_box"][j]
            kps = (rec["det_kps"][j][[0, 1, 2, 3, 3]] - [x0, 0]) * scale
            dets.append((int((x - x0) * sx), int(y * sy), int(w * sx), int(h * sy),
                         float(rec["det_score"][j]), [int(v) for v in kps.reshape(-1)]))
        detections.append(dets)
        rows = rec["face_frame"] == k
        xyz = rec["face_xyz"][rows].astype(np.float32) * np.float32(XY_STEP)
        xyz[:, :, 0] = (xyz[:, :, 0] - x0) * sx
        xyz[:, :, 1] *= sy
        xyz[:, :, 2] *= (sx + sy) / 2
        faces.append((xyz, rec["face_score"][rows]))
    return Scene(frames, detections, faces)


def _c_roundf(v: float) -> int:
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


class Oracle:
    """Answers a landmark forward for a crop, from the scene's recorded faces."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene

    def answer(self, frame: int, crop: tuple, landmarks_abs: bool,
               landmarks_rel: bool) -> tuple[list[int], list[int], float]:
        """(points, points_z, score) as MaixCDK reports them for `crop` =
        (x, y, w, h, (eye ints), width, height, scale) of crop_image."""
        x, y, w, h, eyes, width, height, scale = crop
        transform = crop_transform(CropRequest((x, y, w, h), eyes, scale, (width, height)))
        faces, scores = self.scene.faces[frame]
        if not len(faces):
            return [0] * (956 * (int(landmarks_abs) + int(landmarks_rel))), [0] * 478, 0.0
        centre = transform.crop_to_image(np.array([[width / 2, height / 2]], np.float32))[0]
        miss = np.linalg.norm(faces[:, :, :2].mean(axis=1) - centre, axis=1) / transform.side
        best = int(np.argmin(miss))
        score = float(scores[best]) if miss[best] <= CENTRE_TOLERANCE else 0.0
        xyz = faces[best]
        # Continuous coordinates (a pixel's centre at i + 0.5), as the model answers.
        crop_xy = transform.image_to_crop(xyz[:, :2]) + 0.5
        points: list[int] = []
        if landmarks_abs:
            points += [int(v) for v in (xyz[:, :2] + 0.5).reshape(-1)]
        if landmarks_rel:
            points += [int(v) for v in crop_xy.reshape(-1)]
        z_crop = xyz[:, 2] / transform.pixels_per_crop_pixel
        return points, [_c_roundf(-v) for v in z_crop], score


def frame_bytes(scene: Scene) -> list[bytes]:
    return [f.tobytes() for f in scene.frames]
