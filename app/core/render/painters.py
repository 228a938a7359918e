"""One function per overlay layer, drawing in place on an RGB uint8 frame.

Each layer of a face is one or a few cv2 calls: segments and polygons are gathered with
numpy fancy indexing and handed to cv2 as one (K, n, 2) array; there is no Python loop
over landmarks, edges or triangles. Points are in image pixels; painters that take
`pts` want them in cv2's fixed point (`to_fixed`, SHIFT fractional bits) so lines keep
sub-pixel positions. cv2 clips everything, so faces partly outside the frame are fine.
"""
from __future__ import annotations

import functools
import math
from typing import Callable, Sequence

import cv2
import numpy as np

from ..face.faces import Detection, Face
from ..signals import pose_matrix
from ..face.geometry import apply_affine
from ..ui import Rect
from . import sprites
from .paths import Paths, trails
from .styles import (RGB, BoxStyle, DepthStyle, DrawSpec, ExpressionStyle, LegendStyle,
                     SignalStyle, TextStyle)

SHIFT = 4  # fractional bits of cv2 drawing coordinates
ONE = 1 << SHIFT
_LIMIT = float(1 << 20)  # |coordinate| clamp (px): keeps fixed point far from int32 overflow


def line_type(spec: DrawSpec) -> int:
    return cv2.LINE_AA if spec.antialias else cv2.LINE_8


def _fixed(v: float) -> int:
    """One coordinate in cv2's fixed point (clamped as to_fixed)."""
    return round(min(max(v, -_LIMIT), _LIMIT) * ONE)


def to_fixed(xy: np.ndarray) -> np.ndarray:
    """(N, 2) float image pixels -> (N, 2) int32 in 1/ONE pixels for cv2's `shift`."""
    fx = np.clip(np.asarray(xy, np.float32), -_LIMIT, _LIMIT) * np.float32(ONE)
    return np.rint(fx).astype(np.int32)


def polyline(img: np.ndarray, pts: np.ndarray, walk: np.ndarray, spec: DrawSpec | None) -> None:
    """One polyline through `pts[walk]` (a walk that may repeat edges: for opaque lines).
    A single polyline: no Python list of arrays to build per frame."""
    if spec is None:
        return
    cv2.polylines(img, [pts[walk]], False, spec.color_rgb, spec.thickness, line_type(spec),
                  SHIFT)


def paths(img: np.ndarray, pts: np.ndarray, path_set: Paths, spec: DrawSpec | None) -> None:
    """Draw chained index paths (joins look right at thick widths); one cv2 call."""
    if spec is None:
        return
    cv2.polylines(img, path_set.gather(pts), False, spec.color_rgb, spec.thickness,
                  line_type(spec), SHIFT)


def iris_circles(img: np.ndarray, xy: np.ndarray, groups: np.ndarray,
                 specs: Sequence[DrawSpec]) -> None:
    """Circles fitted to iris landmarks: centre = first point, radius = mean distance to the rest.

    xy:     (478, 2) float image pixels.
    groups: (G, 5) landmark indices, centre first (topology.IRIS_*); specs: one per group.
    """
    # Two circles of five points: plain float maths, cheaper than numpy calls on them.
    for ring, spec in zip(xy[groups].tolist(), specs):  # 2 irises per face
        (cx, cy), rim = ring[0], ring[1:]
        r = sum(math.hypot(x - cx, y - cy) for x, y in rim) / len(rim)
        if not (math.isfinite(cx) and math.isfinite(cy) and math.isfinite(r)):
            continue
        cv2.circle(img, (_fixed(cx), _fixed(cy)), _fixed(min(r, _LIMIT)), spec.color_rgb,
                   spec.thickness, line_type(spec), SHIFT)


def dots(img: np.ndarray, pts: np.ndarray, spec: DrawSpec | None,
         index: np.ndarray | None = None) -> None:
    """Filled dots of `spec.radius` at fixed-point `pts` (or `pts[index]`).

    Hard-edged dots are stamped: the centres are set in a mask around them, one
    `cv2.dilate` grows each into a disc and two masked cv2 calls paint them (x86: 0.4
    against 1.7 million instructions for 478 dots drawn as thick lines). Anti-aliased
    dots keep sub-pixel centres: each is a zero-length segment, which cv2 draws with
    round caps as a disc of diameter `thickness`, all in one call.
    """
    if spec is None:
        return
    p = pts if index is None else pts[index]
    if len(p) == 0:
        return
    if spec.antialias:
        segs = np.repeat(p[:, None, :], 2, axis=1)  # (N, 2, 2)
        # An (N, 2, 2) array is N polylines to cv2 (no list of N arrays to build); its
        # stubs only know sequences.
        cv2.polylines(img, segs, False, spec.color_rgb, max(1, 2 * spec.radius),  # type: ignore[call-overload]
                      cv2.LINE_AA, SHIFT)
        return
    _stamp_discs(img, (p + ONE // 2) >> SHIFT, max(spec.radius, 1), spec.color_rgb)


@functools.lru_cache(maxsize=16)
def _disc(radius: int) -> np.ndarray:
    """The disc cv2 draws for a zero-length segment of thickness 2 x `radius` at an
    integer centre, as a dilation kernel."""
    side = 2 * radius + 1
    kernel = np.zeros((side, side), np.uint8)
    cv2.line(kernel, (radius, radius), (radius, radius), 1, 2 * radius, cv2.LINE_8)
    return kernel


def _stamp_discs(img: np.ndarray, centres: np.ndarray, radius: int, rgb: RGB) -> None:
    """Discs of `radius` at integer pixel `centres` (N, 2), clipped to `img`."""
    h, w = img.shape[:2]
    # Centres within `radius` of the frame; off-frame and NaN points (INT_MIN) drop out.
    # (One unsigned compare per axis: cheaper than a reduction over (N, 2).)
    sx, sy = (centres + radius).view(np.uint32).T
    c = np.ascontiguousarray(centres[(sx < w + 2 * radius) & (sy < h + 2 * radius)])
    if len(c) == 0:
        return
    # The mask covers the discs' pixels inside the frame, plus `radius` on every side
    # for the centres that lie outside it.
    bx, by, bw, bh = cv2.boundingRect(c)
    x0, y0 = max(bx - radius, 0), max(by - radius, 0)
    x1, y1 = min(bx + bw + radius, w), min(by + bh + radius, h)
    mask = np.zeros((y1 - y0 + 2 * radius, x1 - x0 + 2 * radius), np.uint8)
    mask[c[:, 1] - (y0 - radius), c[:, 0] - (x0 - radius)] = 255
    inside = cv2.dilate(mask, _disc(radius))[radius:radius + y1 - y0, radius:radius + x1 - x0]
    # A masked copy from a plain colour: ~10x cheaper than masked arithmetic.
    cv2.copyTo(_SOLIDS.of(rgb, y1 - y0, x1 - x0), inside, img[y0:y1, x0:x1])


class _Solids:
    """Plain-colour images to copy from, one per colour, grown as frames ask."""

    def __init__(self) -> None:
        self._by_colour: dict[RGB, np.ndarray] = {}

    def of(self, rgb: RGB, height: int, width: int) -> np.ndarray:
        solid = self._by_colour.get(rgb)
        if solid is None or solid.shape[0] < height or solid.shape[1] < width:
            shape = (height, width) if solid is None else (max(height, solid.shape[0]),
                                                           max(width, solid.shape[1]))
            solid = np.empty((*shape, 3), np.uint8)
            solid[:] = rgb
            self._by_colour[rgb] = solid
        return solid[:height, :width]


_SOLIDS = _Solids()


def depth_fill(img: np.ndarray, xy: np.ndarray, pts: np.ndarray, depth01: np.ndarray,
               box: np.ndarray, style: DepthStyle, lut: np.ndarray) -> None:
    """The face coloured by depth inside its outline: the landmarks' depths averaged on a
    coarse grid over the face (a few pixels a cell), gaps closed by a normalised blur,
    the grid stretched bilinearly onto the face's pixels and coloured through `lut`.

    A couple of dozen whole-array calls over the face's box however many triangles the
    mesh has: filling the mesh's 898 triangles cost the device's CPU four times more.
    Per pixel only byte work: the grid is quantised to depth steps before it is
    stretched (cv2.resize of bytes, fixed point: a whole-pixel cell makes its scale
    exact), coloured by applyColorMap and blended through two tables; float per-pixel
    calls (warpAffine, convertScaleAbs, addWeighted) run as scalar code on the C906
    (bench/riscv_cost.sh: 3.5 -> 1.7 million RISC-V instructions for one face).

    xy:      (478, 2) float image px; pts: the same in fixed point (the outline polygon);
    depth01: (478,) in [0, 1], 1 = nearest;
    box:     `x, y, w, h` around the face (its cached Face.mesh_box);
    lut:     (256, 1, 3) uint8, the colour of each depth step (depth_lut), far first.
    """
    h, w = img.shape[:2]
    bx, by, bw, bh = (float(v) for v in box)
    # The part of the box (and a pixel around it) on the frame, in plain floats: numpy's
    # min/max down an (N, 2) array's columns cost more than the whole grid.
    x0, y0 = max(math.floor(bx) - 1, 0), max(math.floor(by) - 1, 0)
    x1, y1 = min(math.ceil(bx + bw) + 2, w), min(math.ceil(by + bh) + 2, h)
    if x1 <= x0 or y1 <= y0:
        return
    # Whole-pixel cells from the visible box's corner: the grid's stretch is then an
    # exact cv2.resize (cell (u, v) centred at (x0, y0) + cell * (u + 0.5, v + 0.5)).
    cell = math.ceil(max(style.cell_min_px, max(bw, bh) / style.cells))
    cols, rows = (x1 - x0 - 1) // cell + 1, (y1 - y0 - 1) // cell + 1
    # Each landmark's cell: one affine, truncated; "clip" keeps a point that rounding (or
    # an iris beyond the box) puts past an edge in the edge's cell.
    to_cells = np.array([[1.0 / cell, 0.0, -x0 / cell], [0.0, 1.0 / cell, -y0 / cell]])
    where = apply_affine(to_cells, xy).astype(np.intp)
    index = np.ravel_multi_index((where[:, 1], where[:, 0]), (rows, cols), mode="clip")
    sums: np.ndarray = np.bincount(index, depth01, rows * cols).astype(np.float32)
    counts: np.ndarray = np.bincount(index, None, rows * cols).astype(np.float32)
    sums, counts = sums.reshape(rows, cols), counts.reshape(rows, cols)
    # Normalised convolution: each cell the mean of the depths around it.
    sums, counts = cv2.blur(sums, (3, 3)), cv2.blur(counts, (3, 3))
    grid = cv2.convertScaleAbs(sums / np.maximum(counts, np.float32(1e-6)), alpha=255.0)
    steps = cv2.resize(grid, (cols * cell, rows * cell),
                       interpolation=cv2.INTER_LINEAR)[:y1 - y0, :x1 - x0]
    roi = img[y0:y1, x0:x1]
    inside = np.zeros(steps.shape, np.uint8)
    outline = trails(("face_oval",)).gather(pts)[0]
    cv2.fillPoly(inside, [outline - np.array([x0 * ONE, y0 * ONE], np.int32)], 255,
                 cv2.LINE_8, SHIFT)
    if style.alpha < 1.0:
        colour_lut, keep = _blend_tables(lut.tobytes(), float(style.alpha))
        coloured = cv2.add(cv2.applyColorMap(steps, colour_lut), cv2.LUT(roi, keep))
    else:
        coloured = cv2.applyColorMap(steps, lut)
    cv2.copyTo(coloured, inside, roi)


@functools.lru_cache(maxsize=8)
def _blend_tables(lut: bytes, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """The depth colours times `alpha` ((256, 1, 3) uint8) and a frame byte times
    1 - alpha ((256,) uint8), rounded: their sum is the blend within one level."""
    colours = np.frombuffer(lut, np.uint8).reshape(256, 1, 3).astype(np.float32)
    scaled = np.rint(colours * np.float32(alpha)).astype(np.uint8)
    keep = np.rint(np.arange(256, dtype=np.float32) * np.float32(1.0 - alpha))
    return scaled, keep.astype(np.uint8)


def depth_lut(colors: np.ndarray) -> np.ndarray:
    """(256, 1, 3) uint8: depth step 0..255 -> the colour of its bucket (colors: (L, 3),
    far first), for cv2.LUT."""
    levels = len(colors)
    bucket = np.minimum(np.arange(256) * levels // 256, levels - 1)
    return np.ascontiguousarray(colors[bucket].reshape(256, 1, 3))


NOSE_TIP = 1


def signals(img: np.ndarray, face: Face, style: SignalStyle) -> None:
    """The SIG layer of one face (NaN signals leave their part out): head-pose axes from
    the nose tip, then gauges beside the mesh box (on its right, or its left at the
    frame's edge) filled to each eye's and the mouth's openness, and the blink count."""
    s = face.signals
    if s is None:
        return
    x0, y0, width, size = face.mesh_box.tolist()
    x1, size = x0 + width, max(size, 1.0)
    if all(math.isfinite(v) for v in s.pose):
        ox, oy = face.xy[NOSE_TIP].tolist()
        axes = pose_matrix(*s.pose)
        length = style.axis_length * size
        start = (_fixed(ox), _fixed(oy))
        for k, spec in enumerate(style.axes):  # image right, up, toward the camera
            tip = (_fixed(ox + length * axes[0][k]), _fixed(oy - length * axes[1][k]))
            cv2.line(img, start, tip, spec.color_rgb, spec.thickness, line_type(spec), SHIFT)
    h = max(style.min_px * 4, round(style.gauge_height * size))
    w = max(style.min_px, round(style.gauge_width * size))
    gap = max(2, round(style.gauge_gap * size))
    total = 3 * w + 2 * gap
    left = round(x1) + gap if round(x1) + gap + total < img.shape[1] else round(x0) - gap - total
    top = round(y0)
    frame_rgb = style.alert_rgb if s.eyes_closed_long else style.frame_rgb
    outlines = []
    for i, (value, rgb) in enumerate(zip((*s.eyes, s.mouth), style.gauges)):
        gx = left + i * (w + gap)
        outlines.append([[gx - 1, top - 1], [gx + w, top - 1], [gx + w, top + h],
                         [gx - 1, top + h]])
        if math.isfinite(value):
            fill = round(min(max(value, 0.0), 1.0) * h)
            if fill:
                cv2.rectangle(img, (gx, top + h - fill), (gx + w - 1, top + h - 1), rgb, -1)
    # (3, 4, 2): three closed outlines in one call.
    cv2.polylines(img, np.array(outlines, np.int32), True, frame_rgb, 1, cv2.LINE_8)  # type: ignore[call-overload]
    cap = style.text.height * img.shape[0]
    text(img, str(s.blinks), (left, top + h + 2 + round(cap * 1.3)), style.text, cap)


def short_name(blendshape: str) -> str:
    """A blendshape's name for a bar: "mouthSmileLeft" -> "mouthSmile L"."""
    for side in ("Left", "Right"):
        if blendshape.endswith(side):
            return f"{blendshape[:-len(side)]} {side[0]}"
    return blendshape


_SHORT_NAMES: dict[int, str] = {}


# Draws a caption centred in a rect, cap height in pixels; False if it cannot (no font).
TextPainter = Callable[[str, Rect, float, RGB], bool]


def expression(img: np.ndarray, face: Face, style: ExpressionStyle, caption: str,
               text_painter: TextPainter | None = None) -> None:
    """The SIG layer's expression of one face: `caption` (its name in the UI's
    language) under the mesh box, then its `style.bars` strongest blendshapes as bars
    filled to their value, each with its name. Every text is a cached sprite (sprites.py)
    but a non-ASCII caption, which `text_painter` (the device's CJK font) draws."""
    e = face.expression
    if e is None:
        return
    h_img = img.shape[0]
    cap = style.caption.height * h_img
    label_cap = style.label.height * h_img
    bar_h = max(3, round(style.bar_height * h_img))
    bar_w = max(12, round(style.bar_width * h_img))
    pitch = max(bar_h, round(label_cap)) + max(2, round(0.5 * bar_h))
    block = round(cap * 1.6) + style.bars * pitch
    x0, y0, _, size = face.mesh_box.tolist()
    gap = max(2, round(0.4 * cap))
    top = round(y0 + size) + gap
    if top + block > h_img:  # no room under the face: above it
        top = round(y0) - gap - block
    left = max(0, round(x0))
    baseline = top + round(cap * 1.2)
    if caption.isascii() or text_painter is None or not text_painter(
            caption, Rect(left, top, max(1, round(bar_w * 1.5)), round(cap * 1.6)), cap,
            style.caption.color_rgb):
        text(img, caption if caption.isascii() else e.name, (left, baseline), style.caption, cap)
    # The strongest shapes (not `_neutral`, index 0): argpartition, then their order.
    values = e.blendshapes[1:]
    strongest = np.argpartition(values, -style.bars)[-style.bars:]
    strongest = strongest[np.argsort(values[strongest])[::-1]] + 1
    y = top + round(cap * 1.6)
    outlines, fills = [], []
    for k, index in enumerate(strongest.tolist()):
        by = y + k * pitch
        fill = round(min(max(float(e.blendshapes[index]), 0.0), 1.0) * bar_w)
        outlines.append([[left - 1, by - 1], [left + bar_w, by - 1], [left + bar_w, by + bar_h],
                         [left - 1, by + bar_h]])
        if fill:
            fills.append([[left, by], [left + fill - 1, by], [left + fill - 1, by + bar_h - 1],
                          [left, by + bar_h - 1]])
        name = _SHORT_NAMES.get(index)
        if name is None:
            from ..expressions.tables import BLENDSHAPE_NAMES

            name = _SHORT_NAMES[index] = short_name(BLENDSHAPE_NAMES[index])
        text(img, name, (left + bar_w + gap, by + bar_h // 2 + round(label_cap / 2)),
             style.label, label_cap)
    if fills:  # every bar in one call, every outline in another
        cv2.fillPoly(img, np.array(fills, np.int32), style.bar_rgb)  # type: ignore[call-overload]
    cv2.polylines(img, np.array(outlines, np.int32), True, style.frame_rgb, 1, cv2.LINE_8)  # type: ignore[call-overload]


def text(img: np.ndarray, s: str, org: tuple[int, int], style: TextStyle, cap_px: float,
         center: bool = False) -> tuple[int, int]:
    """Outlined ASCII text; `org` is the baseline's left end (its middle with `center`).
    Drawn once per distinct text into a sprite, blended each frame (sprites.py).
    Returns the text's width and height in pixels."""
    return sprites.draw_text(img, s, org, style, cap_px, center)


def fit_cap(s: str, cap_px: float, max_width: float) -> float:
    """The cap height <= `cap_px` at which `s` is at most `max_width` pixels wide."""
    tw = sprites.text_size(s, cap_px)[0]
    return cap_px if tw <= max_width else cap_px * max_width / tw


def box(img: np.ndarray, det: Detection, style: BoxStyle) -> None:
    """Detector box (image px), its score above it, and its finite keypoints."""
    box_spec, kp_spec = style.box, style.keypoints
    cap_px = style.text.height * img.shape[0]
    x, y, w, h = (float(v) for v in det.box)
    if not np.isfinite([x, y, w, h]).all():
        return
    p0 = to_fixed(np.array([[x, y], [x + w, y + h]], np.float32))
    cv2.rectangle(img, tuple(p0[0].tolist()), tuple(p0[1].tolist()), box_spec.color_rgb,
                  box_spec.thickness, line_type(box_spec), SHIFT)
    kps = det.keypoints
    kps = kps[np.isfinite(kps).all(axis=1)]
    if len(kps):
        dots(img, to_fixed(kps), kp_spec)
    text(img, f"{det.score:.2f}", (int(x), int(y) - max(2, int(cap_px * 0.4))), style.text, cap_px)


def legend(img: np.ndarray, style: LegendStyle, colors: np.ndarray,
           labels: tuple[str, str] = ("near", "far")) -> None:
    """A near (top) to far (bottom) colour bar at the left edge, vertically centred.

    colors: (L, 3) uint8 RGB, far first.
    """
    h, w = img.shape[:2]
    bar_w = max(4, round(style.width * h))
    bar_h = max(16, round(style.height * h))
    cap = style.text.height * h
    x0 = max(2, round(0.02 * w))
    y0 = (h - bar_h) // 2
    idx = np.linspace(len(colors) - 1, 0, bar_h).round().astype(np.intp)  # top = near
    img[y0:y0 + bar_h, x0:x0 + bar_w] = colors[idx][:, None, :]
    cv2.rectangle(img, (x0 - 1, y0 - 1), (x0 + bar_w, y0 + bar_h), style.text.outline_rgb, 1)
    gap = max(3, round(cap * 0.6))
    text(img, labels[0], (x0, y0 - gap), style.text, cap)
    text(img, labels[1], (x0, y0 + bar_h + gap + round(cap)), style.text, cap)


def hud(img: np.ndarray, lines: Sequence[str], style: TextStyle) -> None:
    """Text lines centred at the top of the frame, each shrunk to fit 60% of the width."""
    h, w = img.shape[:2]
    cap = style.height * h
    baseline = round(cap * 0.5)
    for line in lines:  # two lines
        c = fit_cap(line, cap, 0.6 * w)
        baseline += round(c * 1.6)
        text(img, line, (w // 2, baseline), style, c, center=True)
