"""BlazeFace decoding: anchors as MediaPipe builds them, decoding, weighted NMS."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.face.blazeface import (FULL_RANGE, SHORT_RANGE, BlazeFaceDecoder, logit, make_anchors,
                                weighted_nms)


@pytest.mark.parametrize("config, count", [(SHORT_RANGE, 896), (FULL_RANGE, 2304)])
def test_anchor_counts_match_the_models(config, count):
    anchors = make_anchors(config)
    assert anchors.shape == (count, 2)
    assert anchors.min() > 0 and anchors.max() < 1


def test_short_range_anchor_layout():
    anchors = make_anchors(SHORT_RANGE)
    # 16x16 grid x 2 anchors, then 8x8 x 6; the first cell's centre is half a cell in.
    np.testing.assert_allclose(anchors[0], [0.5 / 16, 0.5 / 16])
    np.testing.assert_allclose(anchors[1], anchors[0])
    np.testing.assert_allclose(anchors[512], [0.5 / 8, 0.5 / 8])
    np.testing.assert_allclose(anchors[512:518], np.repeat(anchors[512:513], 6, axis=0))


def test_decode_places_box_and_keypoints_relative_to_the_anchor():
    decoder = BlazeFaceDecoder(FULL_RANGE)
    n = len(decoder.anchors)
    regressors = np.zeros((n, 16), np.float32)
    logits = np.full(n, -10.0, np.float32)
    i = 1000
    regressors[i, :4] = [19.2, -9.6, 38.4, 57.6]  # dx, dy, w, h in input pixels (192)
    regressors[i, 4:6] = [-19.2, 0.0]  # first keypoint
    logits[i] = 2.0
    raw = decoder.decode(regressors, logits, 0.5)
    assert raw.scores.shape == (1,)
    ax, ay = decoder.anchors[i]
    np.testing.assert_allclose(raw.boxes[0], [ax + 0.1 - 0.1, ay - 0.05 - 0.15, 0.2, 0.3], atol=1e-6)
    np.testing.assert_allclose(raw.keypoints[0, 0], [ax - 0.1, ay], atol=1e-6)
    assert raw.scores[0] == pytest.approx(1 / (1 + np.exp(-2.0)))


def test_threshold_is_applied_in_logit_space():
    decoder = BlazeFaceDecoder(SHORT_RANGE)
    logits = np.linspace(-3, 3, len(decoder.anchors)).astype(np.float32)
    raw = decoder.decode(np.zeros((len(logits), 16), np.float32), logits, 0.7)
    assert len(raw.scores) == int((logits > logit(0.7)).sum())
    assert raw.scores.min() > 0.7


def test_weighted_nms_merges_overlaps_and_keeps_separate_faces():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 10, 10], [50, 50, 10, 10]], np.float32)
    scores = np.array([0.9, 0.6, 0.8], np.float32)
    kps = np.zeros((3, 6, 2), np.float32)
    kps[1] += 1.0
    out_boxes, out_scores, out_kps = weighted_nms(boxes, scores, kps, 0.3)
    assert len(out_scores) == 2
    np.testing.assert_allclose(out_scores, [0.9, 0.8])
    np.testing.assert_allclose(out_boxes[0, 0], 0.6 / 1.5, atol=1e-6)  # score-weighted mean
    np.testing.assert_allclose(out_kps[0, 0], [0.4, 0.4], atol=1e-6)
    empty = weighted_nms(np.zeros((0, 4), np.float32), np.zeros(0, np.float32),
                         np.zeros((0, 6, 2), np.float32), 0.3)
    assert [len(a) for a in empty] == [0, 0, 0]
