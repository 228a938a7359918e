"""BlazeFace face detection on LiteRT (MediaPipe's short- and full-range models).

"both" (the default) runs the short-range model on the whole frame (large, close and
turned faces: it is what MediaPipe's FaceMesh uses) and the full-range model on the
whole frame and, for stills and large frames, on overlapping tiles (small and far
faces); the detections are merged by weighted NMS.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..core.blazeface import (FULL_RANGE, SHORT_RANGE, BlazeFaceConfig, BlazeFaceDecoder,
                              to_detections, weighted_nms)
from ..core.faces import Detection
from ..core.regions import Region, detection_regions, want_tiles
from .litert import Model

MODEL_FILES = {
    "full_range": ("face_detection_full_range_sparse.tflite", FULL_RANGE),
    "short_range": ("face_detection_short_range.tflite", SHORT_RANGE),
}
VARIANTS = {"both": ("short_range", "full_range"), "full_range": ("full_range",),
            "short_range": ("short_range",)}


class _BlazeFaceModel:
    """One BlazeFace model: letterbox a region, run, decode to frame pixels."""

    def __init__(self, path: Path, config: BlazeFaceConfig, threads: int) -> None:
        self.model = Model(path, threads)
        self.decoder = BlazeFaceDecoder(config)
        self.size = config.input_size
        self._square = np.zeros((self.size, self.size, 3), np.uint8)

    def _input(self, frame: np.ndarray, region: Region) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Letterbox `region` of the RGB frame into the square model input, in [-1, 1].

        Returns the (1, S, S, 3) input and the map back: frame = origin + norm * scale.
        """
        fit = self.size / region.side
        w = max(1, round(region.w * fit))
        h = max(1, round(region.h * fit))
        patch = frame[region.y:region.y + region.h, region.x:region.x + region.w]
        interp = cv2.INTER_AREA if fit < 1 else cv2.INTER_LINEAR
        self._square[:] = 0
        ox, oy = (self.size - w) // 2, (self.size - h) // 2
        self._square[oy:oy + h, ox:ox + w] = cv2.resize(patch, (w, h), interpolation=interp)
        # Exact inverse of the integer resize and offset above (frame pixels per model pixel).
        per_px = np.array([region.w / w, region.h / h], np.float32)
        scale = per_px * np.float32(self.size)
        origin = np.array([region.x, region.y], np.float32) - np.array([ox, oy], np.float32) * per_px
        return (self._square.astype(np.float32) * np.float32(2 / 255) - 1)[None], origin, scale

    def run(self, frame: np.ndarray, region: Region, threshold: float):
        """(boxes (N, 4), scores (N,), keypoints (N, 6, 2)) in frame pixels."""
        tensor, origin, scale = self._input(frame, region)
        outputs = self.model.run(tensor).values()
        regressors, logits = sorted(outputs, key=lambda a: a.shape[-1], reverse=True)
        raw = self.decoder.decode(regressors[0], logits[0], threshold)
        boxes = np.concatenate([origin + raw.boxes[:, :2] * scale, raw.boxes[:, 2:] * scale], 1)
        kps = origin + raw.keypoints * scale
        keep = ~region.cut_by_inner_edge(boxes)
        return boxes[keep], raw.scores[keep], kps[keep]


class BlazeFaceDetector:
    """`detect(rgb)` -> detections in frame pixels; keypoint 0 is the image-left eye."""

    def __init__(self, models_dir: Path, variant: str = "both", threads: int = 2,
                 score_threshold: float = 0.5, iou_threshold: float = 0.3) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"unknown detector variant {variant!r}: use {', '.join(VARIANTS)}")
        self.models = {name: _BlazeFaceModel(models_dir / MODEL_FILES[name][0],
                                             MODEL_FILES[name][1], threads)
                       for name in VARIANTS[variant]}
        self.score_threshold = score_threshold
        self.iou_threshold = iou_threshold
        self.tiling = "off"  # the pc.tiling setting: auto | on | off
        self.still = False  # the source is a single image (auto tiling always tiles stills)

    def detect(self, frame: np.ndarray) -> list[Detection]:
        height, width = frame.shape[:2]
        regions = detection_regions(width, height, want_tiles(self.tiling, width, height, self.still))
        found = []
        for name, model in self.models.items():
            # Tiles exist for small faces: the full-range model's job when both run.
            for region in regions if name == "full_range" or len(self.models) == 1 else regions[:1]:
                found.append(model.run(frame, region, self.score_threshold))
        boxes, scores, kps = (np.concatenate(parts) for parts in zip(*found))
        if not len(scores):
            return []
        return to_detections(*weighted_nms(boxes, scores, kps, self.iou_threshold))
