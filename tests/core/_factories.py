"""Small shared builders for the render / UI tests: real faces and synthetic ones."""
from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from app.core.faces import Detection, Face
from app.core.geometry import CropTransform

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
MODELS = ROOT / "models" / "pc"


@functools.lru_cache(maxsize=None)
def _pipeline():
    from app.core.pipeline import FacePipeline
    from app.pc.detector import BlazeFaceDetector
    from app.pc.landmarker import AttentionLandmarker

    det = BlazeFaceDetector(MODELS, "full_range")
    det.tiling = "off"  # the whole frame only, as the brief's `det.tiles = False`
    return FacePipeline(det, AttentionLandmarker(MODELS))


@functools.lru_cache(maxsize=None)
def real_faces(name: str = "astronaut.png",
               max_faces: int = 2) -> tuple[np.ndarray, tuple[Face, ...]]:
    """(rgb, faces) from the PC backend on tests/data/<name>; rgb is read-only (copy it)."""
    from app.pc.sources import read_image

    rgb = read_image(DATA / name)
    faces = tuple(_pipeline().process(rgb, max_faces=max_faces))
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
                face.track_id if track_id is None else track_id, face.extras)
