"""Detection regions: the whole frame plus overlapping tiles that cover it."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.face.regions import detection_regions, want_tiles


@pytest.mark.parametrize("width, height", [(1000, 667), (1280, 853), (640, 480), (2204, 970)])
def test_tiles_cover_the_frame_with_overlap(width, height):
    regions = detection_regions(width, height, tiles=True)
    assert (regions[0].x, regions[0].y, regions[0].w, regions[0].h) == (0, 0, width, height)
    covered = np.zeros((height, width), np.uint8)
    for r in regions[1:]:
        assert r.x >= 0 and r.y >= 0 and r.x + r.w <= width and r.y + r.h <= height
        covered[r.y:r.y + r.h, r.x:r.x + r.w] += 1
    assert len(regions) > 1
    assert covered.min() >= 1  # every pixel is in some tile
    assert (covered >= 2).mean() > 0.2  # and tiles overlap, so a face cut by one is whole in another


def test_inner_edges_cut_only_faces_reaching_them():
    tiles = detection_regions(1000, 667, tiles=True)[1:]
    first = tiles[0]
    assert first.inner_edges[0] is False and first.inner_edges[2] is True
    boxes = np.array([[first.x + 10, first.y + 10, 50, 50],  # well inside
                      [first.x + first.w - 30, first.y + 10, 50, 50]], np.float32)  # over the right edge
    assert first.cut_by_inner_edge(boxes).tolist() == [False, True]


@pytest.mark.parametrize("mode, size, still, expected", [
    ("off", (4000, 3000), True, False), ("on", (320, 240), False, True),
    ("auto", (640, 480), False, False), ("auto", (1280, 720), False, True),
    ("auto", (640, 480), True, True)])
def test_want_tiles(mode, size, still, expected):
    assert want_tiles(mode, *size, still) is expected


def test_no_tiles_when_the_frame_is_small():
    assert len(detection_regions(300, 200, tiles=True)) == 1
