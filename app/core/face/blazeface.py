"""BlazeFace (MediaPipe face detection) decoding: anchors, boxes, keypoints, NMS.

Configured by data, as MediaPipe's face_detection_*.pbtxt graphs configure their
SsdAnchorsCalculator and TensorsToDetectionsCalculator; anchors are built once.
Coordinates are normalised to the square model input until `to_image` maps them back.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .faces import Detection
from .geometry import iou


@dataclass(frozen=True)
class BlazeFaceConfig:
    input_size: int  # square model input, pixels
    strides: tuple[int, ...]  # one per SSD layer
    anchors_per_cell: tuple[int, ...]  # after merging layers of equal stride
    min_score: float  # the graph's own floor (TensorsToDetections min_score_thresh)
    num_keypoints: int = 6  # right eye, left eye, nose, mouth, right ear, left ear
    score_clip: float = 100.0


# face_detection_short_range.pbtxt: 4 layers, strides 8,16,16,16, 2 anchors each
# (aspect 1.0 + interpolated); the three stride-16 layers share one 8x8 grid.
SHORT_RANGE = BlazeFaceConfig(input_size=128, strides=(8, 16), anchors_per_cell=(2, 6),
                              min_score=0.5)
# face_detection_full_range.pbtxt: 1 layer, stride 4, 1 anchor per cell. Its 0.6 floor
# matters: cartoon faces (tests/data/no_face.mp4) score up to 0.6 and would pass 0.5.
FULL_RANGE = BlazeFaceConfig(input_size=192, strides=(4,), anchors_per_cell=(1,),
                             min_score=0.6)


def make_anchors(config: BlazeFaceConfig) -> np.ndarray:
    """(N, 2) float32 anchor centres in [0, 1] (fixed anchor size: w = h = 1)."""
    centres = []
    for stride, per_cell in zip(config.strides, config.anchors_per_cell):
        cells = int(np.ceil(config.input_size / stride))
        grid = (np.arange(cells, dtype=np.float32) + 0.5) / cells
        yy, xx = np.meshgrid(grid, grid, indexing="ij")
        xy = np.stack([xx.ravel(), yy.ravel()], axis=1)
        centres.append(np.repeat(xy, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


@dataclass(frozen=True, eq=False)
class RawDetections:
    """Decoded detections in normalised model-input coordinates.

    boxes:     (N, 4) float32 `x, y, w, h` in [0, 1] of the model input.
    scores:    (N,) float32 in [0, 1].
    keypoints: (N, K, 2) float32 in [0, 1].
    """

    boxes: np.ndarray
    scores: np.ndarray
    keypoints: np.ndarray


class BlazeFaceDecoder:
    """Model outputs -> scored boxes and keypoints; the threshold is compared as a logit."""

    def __init__(self, config: BlazeFaceConfig) -> None:
        self.config = config
        self.anchors = make_anchors(config)
        self._threshold: tuple[float, float] | None = None  # (score threshold, its logit)

    def _logit_threshold(self, score_threshold: float) -> float:
        """The logit of max(score_threshold, the model's floor), computed once per value."""
        if self._threshold is None or self._threshold[0] != score_threshold:
            self._threshold = (score_threshold,
                               logit(max(score_threshold, self.config.min_score)))
        return self._threshold[1]

    def decode(self, regressors: np.ndarray, logits: np.ndarray,
               score_threshold: float) -> RawDetections:
        """regressors (N, 4 + 2K) and logits (N,) for one image, N = len(anchors).

        Keeps scores above `score_threshold` and above the model's own floor.
        """
        regressors = regressors.reshape(len(self.anchors), -1)
        logits = logits.reshape(-1)
        keep = np.flatnonzero(logits > self._logit_threshold(score_threshold))  # sigmoid: survivors
        reg = regressors[keep] / np.float32(self.config.input_size)
        anchors = self.anchors[keep]
        centre = reg[:, 0:2] + anchors
        size = reg[:, 2:4]
        boxes = np.concatenate([centre - size / 2, size], axis=1)
        kps = reg[:, 4:4 + 2 * self.config.num_keypoints].reshape(len(keep), self.config.num_keypoints, 2)
        kps = kps + anchors[:, None]
        clipped = np.clip(logits[keep], -self.config.score_clip, self.config.score_clip)
        scores = 1.0 / (1.0 + np.exp(-clipped))
        return RawDetections(boxes.astype(np.float32), scores.astype(np.float32),
                             kps.astype(np.float32))


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, keypoints: np.ndarray,
                 iou_threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MediaPipe's WEIGHTED non-maximum suppression.

    Detections overlapping the best remaining one by more than `iou_threshold` are merged
    into it, boxes and keypoints averaged with their scores as weights; the merged
    detection keeps the best score. Returns (boxes, scores, keypoints), best first.
    """
    order = np.argsort(-scores, kind="stable")
    boxes, scores, keypoints = boxes[order], scores[order], keypoints[order]
    out_boxes, out_scores, out_kps = [], [], []
    # Indices into the best-first arrays: ascending index is descending score, so the
    # remaining ones stay in score order as groups are taken out.
    remaining: np.ndarray = np.arange(len(scores))
    overlaps = iou(boxes, boxes)
    while remaining.size:
        best = remaining[0]
        in_group = overlaps[best, remaining] > iou_threshold
        in_group[0] = True  # the best one, even if its box has no area
        group = remaining[in_group]
        weights = scores[group][:, None]
        total = float(weights.sum())
        out_boxes.append((boxes[group] * weights).sum(axis=0) / total)
        out_kps.append((keypoints[group] * weights[:, :, None]).sum(axis=0) / total)
        out_scores.append(scores[best])
        remaining = remaining[~in_group]
    if not out_scores:
        k = keypoints.shape[1] if keypoints.ndim == 3 else 0
        return (np.zeros((0, 4), np.float32), np.zeros(0, np.float32),
                np.zeros((0, k, 2), np.float32))
    return (np.asarray(out_boxes, np.float32), np.asarray(out_scores, np.float32),
            np.asarray(out_kps, np.float32))


def to_detections(boxes: np.ndarray, scores: np.ndarray, keypoints: np.ndarray) -> list[Detection]:
    """Image-pixel arrays -> Detection values."""
    return [Detection(b, float(s), k) for b, s, k in zip(boxes, scores, keypoints)]
