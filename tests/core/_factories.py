"""Shared builders for the core tests: real faces (replayed model outputs) and synthetic
ones. Nothing here needs LiteRT or maix."""
from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

from app.backends import Models, make_tracker
from app.core.face.faces import Detection, Face
from app.core.face.geometry import CropTransform
from app.core.settings import Settings
from app.core.timing import StageClock
from app.core.face.tracking import FaceTracker
from tests.replay import ReplayDetector, ReplayFrame, ReplayLandmarker, load_clip

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def replay_tracker(settings: Settings = Settings(), tracking: bool = True,
                   clock: StageClock | None = None, blendshapes=None) -> FaceTracker:
    """The app's tracker over the replay models (recorded real model outputs);
    `blendshapes`: the blendshape network (e.g. `numpy_network()`), None: no expressions."""
    return make_tracker(Models(ReplayDetector(), ReplayLandmarker(), blendshapes), settings,
                        tracking=tracking, clock=clock)


@functools.lru_cache(maxsize=1)
def numpy_network():
    """MediaPipe's blendshape network in numpy, from the committed weights (the device's)."""
    from app.core.expressions.network import BlendshapeNetwork

    return BlendshapeNetwork()


def replay_frames(name: str) -> list[ReplayFrame]:
    clip = load_clip(name)
    return [ReplayFrame(clip, i) for i in range(clip.frames)]


def read_rgb(name: str) -> np.ndarray:
    """tests/data/<name> as RGB (run tools/fetch_assets.py first)."""
    bgr = cv2.imread(str(DATA / name), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f"{DATA / name} is missing: run python tools/fetch_assets.py")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


@functools.lru_cache(maxsize=None)
def real_faces(name: str = "astronaut.png",
               max_faces: int = 2) -> tuple[np.ndarray, tuple[Face, ...]]:
    """(rgb, faces) of a recorded photo; rgb is read-only (copy it)."""
    tracker = replay_tracker(Settings(max_faces=max_faces, smoothing=0.0), tracking=False)
    faces = tuple(tracker.update(ReplayFrame(load_clip(name), 0), 0.0))
    rgb = read_rgb(name)
    rgb.flags.writeable = False
    return rgb, faces


_IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def make_face(xy: np.ndarray, depth: np.ndarray | None = None, track_id: int = -1,
              box: tuple[float, float, float, float] | None = None,
              keypoints: np.ndarray | None = None, score: float = 0.9) -> Face:
    """A Face from image-pixel landmarks (478, 2); depth defaults to zeros."""
    xy = np.asarray(xy, np.float32)
    depth = np.zeros(len(xy), np.float32) if depth is None else np.asarray(depth, np.float32)
    if box is None:
        lo, hi = xy.min(0), xy.max(0)
        box = (lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1])
    kps = np.full((6, 2), np.nan, np.float32) if keypoints is None else keypoints
    det = Detection(np.array(box, np.float32), score, kps)
    transform = CropTransform(_IDENTITY, _IDENTITY, (256, 256), 256.0)
    return Face(xy, depth, xy.copy(), score, True, transform, det, track_id)


def moved(face: Face, scale: float = 1.0, offset: tuple[float, float] = (0.0, 0.0),
          track_id: int | None = None) -> Face:
    """`face` scaled about the origin then shifted (landmarks, box and keypoints)."""
    off = np.asarray(offset, np.float32)
    d = face.detection
    box = np.concatenate([d.box[:2] * scale + off, d.box[2:] * scale])
    det = Detection(box, d.score, d.keypoints * scale + off)
    return Face(face.xy * np.float32(scale) + off, face.depth, face.xy_crop, face.score,
                face.valid, face.transform, det,
                face.track_id if track_id is None else track_id, face.signals)
