"""Where the detector looks: the whole frame, plus overlapping tiles for small faces.

A square detector input (128 or 192 px) shrinks a 1000-px group photo about 5x, and
small or tilted heads drop below what BlazeFace finds. Running it on overlapping tiles
as well and merging finds them. Each region is letterboxed (padded to a square around
its centre, as MediaPipe does) before resizing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TILE_MIN_FRAME = 960  # "auto" tiles frames whose long side exceeds this (and all stills)
TILE_FRACTION = 0.5  # tile side as a fraction of the frame's short side
TILE_MIN_SIDE = 256
TILE_STEP = 0.75  # tile stride as a fraction of the tile side (25% overlap) at most
# BlazeFace's full-range model (192 px input) finds faces down to about 5% of a region's
# side (a real portrait scaled onto a plain square, measured): faces under 8% count as
# ones a pass can miss.
MISSED_FACE_FRACTION = 0.08
MAX_OVERLAP = 0.9  # a tile stride is never under a tenth of the tile
EDGE_MARGIN = 0.02  # a tile detection this close to an inner tile edge is cut: drop it


@dataclass(frozen=True)
class Region:
    """A rectangle of the frame, `x, y, w, h` ints, and which of its edges are inner."""

    x: int
    y: int
    w: int
    h: int
    inner_edges: tuple[bool, bool, bool, bool] = (False, False, False, False)  # l, t, r, b

    @property
    def side(self) -> int:
        """Side of the letterboxed square."""
        return max(self.w, self.h)

    def cut_by_inner_edge(self, box: np.ndarray) -> np.ndarray:
        """(N,) bool: boxes (N, 4, frame pixels) that reach an inner edge of this tile."""
        margin = EDGE_MARGIN * self.side
        left, top, right, bottom = self.inner_edges
        cut = np.zeros(len(box), dtype=bool)
        if left:
            cut |= box[:, 0] <= self.x + margin
        if top:
            cut |= box[:, 1] <= self.y + margin
        if right:
            cut |= box[:, 0] + box[:, 2] >= self.x + self.w - margin
        if bottom:
            cut |= box[:, 1] + box[:, 3] >= self.y + self.h - margin
        return cut


def _starts(length: int, tile: int, stride: float) -> list[int]:
    """Evenly spread starts from 0 to `length - tile` (both edges reached), `stride` apart
    at most."""
    count = max(1, math.ceil((length - tile) / stride) + 1)
    if count == 1:
        return [0]
    return [round(i * (length - tile) / (count - 1)) for i in range(count)]


def _overlap(tile: int, coarser: int) -> float:
    """Tiles of `tile` px must overlap by the largest face the coarser pass (a region of
    `coarser` px) can miss, so that such a face lies whole in some tile."""
    return min(max(tile * (1.0 - TILE_STEP), MISSED_FACE_FRACTION * coarser),
               tile * MAX_OVERLAP)


def _level(width: int, height: int, tile: int, overlap: float) -> list[Region]:
    regions = []
    for y in _starts(height, tile, tile - overlap):
        for x in _starts(width, tile, tile - overlap):
            inner = (x > 0, y > 0, x + tile < width, y + tile < height)
            regions.append(Region(x, y, tile, tile, inner))
    return regions


def detection_regions(width: int, height: int, tiles: bool) -> list[Region]:
    """The whole frame first, then (if `tiles`) overlapping square tiles.

    The tiles overlap by the largest face the whole-frame pass can miss. In a wide or
    tall image (a panorama) that face can be larger than a tile holds; squares as large
    as the short side, overlapping by it, then come between the two."""
    regions = [Region(0, 0, width, height)]
    if not tiles:
        return regions
    short, long = min(width, height), max(width, height)
    tile = max(TILE_MIN_SIDE, int(short * TILE_FRACTION))
    if tile >= short:
        return regions
    overlap = _overlap(tile, long)
    if MISSED_FACE_FRACTION * long > overlap:  # the fine tiles alone cannot hold them
        regions += _level(width, height, short, _overlap(short, long))
        overlap = _overlap(tile, short)
    return regions + _level(width, height, tile, overlap)


def want_tiles(mode: str, width: int, height: int, still: bool) -> bool:
    """Resolve the `pc.tiling` setting for one frame."""
    if mode == "on":
        return True
    if mode == "off":
        return False
    return still or max(width, height) > TILE_MIN_FRAME
