"""BlazeFace face detection on LiteRT (MediaPipe's short- and full-range models).

"both" runs the short-range model on the whole frame (large, close and turned faces:
it is what MediaPipe's FaceMesh uses) and the full-range model on the whole frame and,
for stills and large frames, on overlapping tiles (small and far faces); the detections
are merged by weighted NMS. "auto" (the default) runs both too, except where the
detector runs on every video frame (tracking off): there the short-range model alone
looks at frames up to 960 px, as MediaPipe's FaceMesh does, at about a third of the cost.
Tracking calls the detector every few frames, so it affords both; stills, frames over
960 px and tiling on always get both.

Each model is built when it first looks at a frame (its file is checked at construction):
a video detected on every frame with "auto" never builds the full-range model.

When the full-range model runs, small faces are looked for and every region is
area-averaged down to the model input (a 5-10x shrink keeps them crisp). The short-range
model alone looks for large faces and gets a bilinear shrink, as MediaPipe's
ImageToTensor feeds it: it reads a fraction of the frame, 10x cheaper.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from ..core.face.blazeface import (FULL_RANGE, SHORT_RANGE, BlazeFaceConfig, BlazeFaceDecoder,
                              to_detections, weighted_nms)
from ..core.face.faces import Detection
from ..core.face.regions import TILE_MIN_FRAME, Region, detection_regions, want_tiles
from .litert import Model, require_file

MODEL_FILES = {
    "full_range": ("face_detection_full_range_sparse.tflite", FULL_RANGE),
    "short_range": ("face_detection_short_range.tflite", SHORT_RANGE),
}
VARIANTS = {"auto": ("short_range", "full_range"), "both": ("short_range", "full_range"),
            "full_range": ("full_range",), "short_range": ("short_range",)}


@dataclass(frozen=True, eq=False)
class _Letterbox:
    """Where a region lands in the square model input, and the map back to the frame.

    The region is resized to `w` x `h` at offset `ox, oy` (the rest stays black);
    frame = origin + normalised model coordinate * scale.
    """

    w: int
    h: int
    ox: int
    oy: int
    interpolation: int
    origin: np.ndarray  # (2,) float32
    scale: np.ndarray  # (2,) float32


@lru_cache(maxsize=64)
def _letterbox(size: int, region: Region, antialias: bool) -> _Letterbox:
    """The letterbox of `region` in a `size` square (cached: a video's regions repeat)."""
    fit = size / region.side
    w = max(1, round(region.w * fit))
    h = max(1, round(region.h * fit))
    interpolation = cv2.INTER_AREA if antialias and fit < 1 else cv2.INTER_LINEAR
    ox, oy = (size - w) // 2, (size - h) // 2
    # Exact inverse of the integer resize and offset (frame pixels per model pixel).
    per_px = np.array([region.w / w, region.h / h], np.float32)
    scale = per_px * np.float32(size)
    origin = np.array([region.x, region.y], np.float32) - np.array([ox, oy], np.float32) * per_px
    return _Letterbox(w, h, ox, oy, interpolation, origin, scale)


_TWO_OVER_255 = np.float32(2 / 255)


class _BlazeFaceModel:
    """One BlazeFace model: letterbox a region, run, decode to frame pixels."""

    def __init__(self, path: Path, config: BlazeFaceConfig, threads: int) -> None:
        self.model = Model(path, threads)
        self.decoder = BlazeFaceDecoder(config)
        self.size = config.input_size
        # Outputs by their last axis, resolved once: regressors (1, N, 16), logits (1, N, 1).
        self._regressors, self._logits = sorted(
            self.model.output_names, key=lambda name: self.model.output_shape(name)[-1],
            reverse=True)
        self._square = np.zeros((self.size, self.size, 3), np.uint8)
        self._placed: tuple[int, int, int, int] | None = None  # layout _square's border fits

    def _input(self, frame: np.ndarray, region: Region, antialias: bool) -> _Letterbox:
        """Letterbox `region` of the RGB frame into the model input, in [-1, 1]."""
        box = _letterbox(self.size, region, antialias)
        layout = (box.w, box.h, box.ox, box.oy)
        if layout != self._placed:  # another layout: clear the old picture's border
            self._square[:] = 0
            self._placed = layout
        patch = frame[region.y:region.y + region.h, region.x:region.x + region.w]
        place = self._square[box.oy:box.oy + box.h, box.ox:box.ox + box.w]
        resized = cv2.resize(patch, (box.w, box.h), dst=place, interpolation=box.interpolation)
        if resized.ctypes.data != place.ctypes.data:  # this cv2 build did not resize in place
            place[...] = resized
        tensor = self.model.input()  # written in place: no float32 temporaries, no copy
        np.multiply(self._square, _TWO_OVER_255, out=tensor[0], dtype=np.float32)
        np.subtract(tensor, np.float32(1), out=tensor)
        return box

    def run(self, frame: np.ndarray, region: Region, threshold: float, antialias: bool):
        """(boxes (N, 4), scores (N,), keypoints (N, 6, 2)) in frame pixels."""
        box = self._input(frame, region, antialias)
        self.model.invoke()
        # The outputs of this invoke; decode copies out only the candidates it keeps.
        raw = self.decoder.decode(self.model.output(self._regressors)[0],
                                  self.model.output(self._logits)[0], threshold)
        boxes = np.concatenate([box.origin + raw.boxes[:, :2] * box.scale,
                                raw.boxes[:, 2:] * box.scale], 1)
        kps = box.origin + raw.keypoints * box.scale
        keep = ~region.cut_by_inner_edge(boxes)
        return boxes[keep], raw.scores[keep], kps[keep]


class BlazeFaceDetector:
    """`detect(rgb)` -> detections in frame pixels; keypoint 0 is the image-left eye.

    variant:         the pc.detector setting: auto | both | full_range | short_range.
    threads:         LiteRT CPU threads.
    score_threshold: keep detections scoring above this (and above each model's floor).
    iou_threshold:   weighted NMS overlap.
    tiling:          the pc.tiling setting: auto | on | off.
    still:           the source is a single image (auto tiling always tiles stills).
    every_frame:     called on every video frame (tracking off): see "auto" above.
    """

    def __init__(self, models_dir: Path, *, variant: str, threads: int, score_threshold: float,
                 iou_threshold: float, tiling: str, still: bool, every_frame: bool) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"unknown detector variant {variant!r}: use {', '.join(VARIANTS)}")
        self.variant = variant
        self.threads = threads
        self._files = {name: require_file(models_dir / MODEL_FILES[name][0])
                       for name in VARIANTS[variant]}
        self._models: dict[str, _BlazeFaceModel] = {}  # built on first use
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold
        self.tiling = tiling
        self.still = still
        self.every_frame = every_frame

    def model(self, name: str) -> _BlazeFaceModel:
        """The model `name` ("short_range" or "full_range"), built on the first call."""
        model = self._models.get(name)
        if model is None:
            model = self._models[name] = _BlazeFaceModel(self._files[name],
                                                         MODEL_FILES[name][1], self.threads)
        return model

    @property
    def built(self) -> list[str]:
        """The models built so far (names)."""
        return list(self._models)

    def models_for(self, width: int, height: int) -> list[str]:
        """Which models look at a `width` x `height` frame (names, in run order)."""
        names = list(self._files)
        if self.variant == "auto" and self.every_frame and not (
                self.still or self.tiling == "on" or max(width, height) > TILE_MIN_FRAME):
            return ["short_range"]
        return names

    def detect(self, frame: np.ndarray) -> list[Detection]:
        height, width = frame.shape[:2]
        regions = detection_regions(width, height, want_tiles(self.tiling, width, height, self.still))
        names = self.models_for(width, height)
        antialias = "full_range" in names  # small faces are looked for: keep them crisp
        found = []
        for name in names:
            # Tiles exist for small faces: the full-range model's job when both run.
            for region in regions if name == "full_range" or len(names) == 1 else regions[:1]:
                found.append(self.model(name).run(frame, region, self.score_threshold,
                                                  antialias))
        boxes, scores, kps = (np.concatenate(parts) for parts in zip(*found))
        if not len(scores):
            return []
        return to_detections(*weighted_nms(boxes, scores, kps, self.iou_threshold))
