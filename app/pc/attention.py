"""MediaPipe's attention face mesh (all 478 points from one model) on a plain LiteRT runtime.

`face_landmark_with_attention.tflite` refines the lips, eyes and irises inside the model
with three custom ops that only MediaPipe's own runtime registers. They are small: a 4x4
matrix from a subset of the mesh (Landmarks2TransformMatrix), 16x16 bilinear crops of one
48x48x32 feature map (TransformTensorBilinear) and an affine map of points
(TransformLandmarks). So attention_split.py cuts the model at them into two models of
builtin ops (cached on disk by split_cache.py), and `AttentionMesh` runs the three ops in
numpy between the two, as MediaPipe's kernels define them
(mediapipe/util/tflite/operations/*.cc, "v2"):

    model 1:  face crop -> mesh (468), face flag, feature map, mesh scaled to the map
    numpy:    per region (lips, two eyes): crop matrix, 16x16x32 crop of the feature map
    model 2:  the three crops -> lips, eye and iris points in crop coordinates
    numpy:    crop coordinates -> the model's 192-px input, into the 478-point layout
"""
from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np

from ..core import topology
from .attention_split import IRIS_DEPTH_FROM, REFINEMENTS, RefineRegion
from .litert import Model, ModelError, require_file
from .split_cache import load_split

# -- the three custom ops, as MediaPipe's v2 kernels compute them ----------------------

def transform_matrix(landmarks: np.ndarray, region: RefineRegion) -> np.ndarray:
    """Landmarks2TransformMatrix: (4, 4) map from crop pixels to landmark coordinates.

    The crop is the box of `region.subset` in a frame turned so left -> right is level,
    scaled by `region.scale` and centred on the box."""
    lx, ly = (float(v) for v in landmarks[region.left, :2])
    rx, ry = (float(v) for v in landmarks[region.right, :2])
    rotation = region.target_rotation - math.atan2(ry - ly, rx - lx)
    c, s = math.cos(rotation), math.sin(rotation)
    pts = landmarks[region.subset, :2].astype(np.float64)
    x = c * pts[:, 0] - s * pts[:, 1]
    y = s * pts[:, 0] + c * pts[:, 1]
    x0, x1, y0, y1 = x.min(), x.max(), y.min(), y.max()
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    cx, cy = c * mx + s * my, -s * mx + c * my  # the box centre, turned back
    out_w, out_h = region.size
    sx = region.scale[0] * (x1 - x0) / out_w
    sy = region.scale[1] * (y1 - y0) / out_h
    # shift(centre) . rotate(-rotation) . scale . shift(-size / 2), multiplied out.
    m = np.eye(4)
    m[0, 0], m[0, 1] = c * sx, s * sy
    m[1, 0], m[1, 1] = -s * sx, c * sy
    m[0, 3] = cx - (c * sx * out_w + s * sy * out_h) / 2
    m[1, 3] = cy - (-s * sx * out_w + c * sy * out_h) / 2
    return m


def crop_feature_map(feature_map: np.ndarray, matrices: np.ndarray,
                     size: tuple[int, int]) -> np.ndarray:
    """TransformTensorBilinear for R crops of one map at once: (H, W, C) map and (R, 4, 4)
    matrices -> (R, h, w, C) crops, sampled at pixel centres.

    A crop pixel whose source falls outside the map is 0 in all channels."""
    h_in, w_in, channels = feature_map.shape
    w, h = size
    m = matrices.astype(np.float32)
    ax, bx, ay, by = (m[:, r, c, None] for r, c in ((0, 0), (0, 1), (1, 0), (1, 1)))
    tx = m[:, 0, 3, None] + (ax + bx) * 0.5 - 0.5  # sample at pixel centres
    ty = m[:, 1, 3, None] + (ay + by) * 0.5 - 0.5
    u, v = _grid(w, h)
    sx = ax * u + bx * v + tx  # (R, h * w) source coordinates
    sy = ay * u + by * v + ty
    inside = (sx >= 0) & (sx <= w_in - 1) & (sy >= 0) & (sy <= h_in - 1)
    x0, y0 = np.floor(sx), np.floor(sy)
    fx, fy = sx - x0, sy - y0
    xi = np.clip(x0, 0, w_in - 1).astype(np.intp)
    yi = np.clip(y0, 0, h_in - 1).astype(np.intp)
    # The +1 neighbour past the last row or column weighs 0 whenever it is clipped.
    dx = (xi < w_in - 1).astype(np.intp)
    dy = (yi < h_in - 1).astype(np.intp) * w_in
    base = yi * w_in + xi
    corners = np.take(feature_map.reshape(h_in * w_in, channels),
                      np.stack([base, base + dx, base + dy, base + dy + dx]), axis=0)
    weights = np.stack([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy])
    weights *= inside
    out = np.einsum("krp,krpc->rpc", weights, corners, optimize=False)
    return out.reshape(len(matrices), h, w, channels)


@functools.lru_cache(maxsize=4)
def _grid(w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Crop pixel columns and rows, (1, h * w) float32 each."""
    v, u = np.divmod(np.arange(w * h, dtype=np.float32), np.float32(w))
    return u[None], v[None]


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """TransformLandmarks: (N, 2) points through the (4, 4) matrix's x, y rows."""
    x, y = points[:, 0], points[:, 1]
    out = np.empty(points.shape, np.float32)
    out[:, 0] = matrix[0, 0] * x + matrix[0, 1] * y + matrix[0, 3]
    out[:, 1] = matrix[1, 0] * x + matrix[1, 1] * y + matrix[1, 3]
    return out


class AttentionMesh:
    """The split model and its numpy ops, in two steps a frame:

    fill `input()` ((1, 192, 192, 3) float32 in [0, 1]) in place, then
    `mesh(xyz)`: the first model; writes the 468 mesh points into `xyz` (478, 3) and
    returns the face-flag logit; then `refine(xyz)`: the three ops and the second model;
    writes the refined lips and eyes (x, y) and the 10 iris points. All in the model's
    input pixels, as the model answers.
    """

    def __init__(self, path: Path, threads: int) -> None:
        self.parts = load_split(require_file(path))
        self.first = Model(path, threads, content=self.parts.first)
        self.second = Model(path, threads, content=self.parts.second)
        self._map_shape = self.first.output_shape(self.parts.feature_map)[1:]
        self._crop_inputs = [self.second.input(self.second.input_names.index(name))
                             for name in self.parts.crops]
        sizes = {region.size for region in self.parts.regions}
        if len(sizes) != 1:
            raise ModelError(f"{path}: crops of different sizes {sorted(sizes)}")
        self._crop_size = sizes.pop()
        self._targets = [(r, _indices(REFINEMENTS[r.name]),
                          _indices(IRIS_DEPTH_FROM[r.name]) if r.name in IRIS_DEPTH_FROM else None)
                         for r in self.parts.refined]

    @property
    def input_hw(self) -> tuple[int, int]:
        return self.first.input_hw

    def input(self) -> np.ndarray:
        return self.first.input()

    def mesh(self, xyz: np.ndarray) -> float:
        self.first.invoke()
        xyz[: topology.NUM_MESH] = self.first.output(self.parts.mesh).reshape(-1, 3)
        return float(self.first.output(self.parts.flag).reshape(-1)[0])

    def refine(self, xyz: np.ndarray) -> None:
        parts, first = self.parts, self.first
        matrices = np.stack([transform_matrix(first.output(name).reshape(-1, 3), region)
                             for name, region in zip(parts.region_inputs, parts.regions)])
        crops = crop_feature_map(first.output(parts.feature_map).reshape(self._map_shape),
                                 matrices, self._crop_size)
        for crop_input, crop in zip(self._crop_inputs, crops):
            crop_input[0] = crop
        self.second.invoke()
        for refined, target, depth_from in self._targets:
            points = self.second.output(refined.points).reshape(-1, 2)
            xyz[target, :2] = transform_points(points,
                                               matrices[refined.region] * refined.matrix_scale)
            if depth_from is not None:  # an iris: its eye contour's mean depth
                xyz[target, 2] = xyz[depth_from, 2].mean()


def _indices(table: tuple[int, ...]) -> np.ndarray:
    return np.asarray(table, dtype=np.intp)
