"""MediaPipe's attention face mesh (all 478 points from one model) on a plain LiteRT runtime.

`face_landmark_with_attention.tflite` refines the lips, eyes and irises inside the model
with three custom ops that only MediaPipe's own runtime registers. They are small: a 4x4
matrix from a subset of the mesh (Landmarks2TransformMatrix), 16x16 bilinear crops of one
48x48x32 feature map (TransformTensorBilinear) and an affine map of points
(TransformLandmarks). So `split_model` cuts the model at them into two models of builtin
ops, and `AttentionMesh` runs the three ops in numpy between the two, as MediaPipe's
kernels define them (mediapipe/util/tflite/operations/*.cc, "v2"):

    model 1:  face crop -> mesh (468), face flag, feature map, mesh scaled to the map
    numpy:    per region (lips, two eyes): crop matrix, 16x16x32 crop of the feature map
    model 2:  the three crops -> lips, eye and iris points in crop coordinates
    numpy:    crop coordinates -> the model's 192-px input, into the 478-point layout

Nothing is hard-coded from the model but what the graph says: regions, crop sizes and
constants are read from it, and a model that does not have this shape is refused.
"""
from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core import topology
from .litert import Model, ModelError

ATTENTION_MODEL = "face_landmark_with_attention.tflite"

_L2TM, _TTB, _TL = "Landmarks2TransformMatrix", "TransformTensorBilinear", "TransformLandmarks"

# The model's refined outputs -> where their points go in the 478-point layout
# (tensors_to_face_landmarks_with_attention.pbtxt).
REFINEMENTS = {
    "output_lips": topology.LIPS_REFINEMENT,
    "output_left_eye": topology.EYE_REFINEMENT_33_133,
    "output_right_eye": topology.EYE_REFINEMENT_362_263,
    "output_left_iris": topology.IRIS_33_133,
    "output_right_iris": topology.IRIS_362_263,
}
# Each iris gets the mean depth of its eye's contour ("assign_average").
IRIS_DEPTH_FROM = {
    "output_left_iris": topology.EYE_CONTOUR_33_133,
    "output_right_iris": topology.EYE_CONTOUR_362_263,
}


@dataclass(frozen=True)
class RefineRegion:
    """One Landmarks2TransformMatrix: which mesh points frame a crop, and its size."""

    subset: np.ndarray  # mesh indices whose rotated box frames the crop
    left: int  # the two points that set the rotation
    right: int
    size: tuple[int, int]  # crop width, height (feature-map pixels)
    scale: tuple[float, float]
    target_rotation: float


@dataclass(frozen=True)
class RefinedOutput:
    """One TransformLandmarks: part-2 output `points` mapped by region `region`'s
    matrix times `matrix_scale` (elementwise), giving the model output `name`."""

    name: str
    points: str
    region: int
    matrix_scale: np.ndarray  # (4, 4)


@dataclass(frozen=True)
class SplitModel:
    first: bytes  # face crop -> mesh, flag, feature map, scaled mesh per region
    second: bytes  # region crops -> region points
    mesh: str  # outputs of the first model
    flag: str
    feature_map: str
    region_inputs: tuple[str, ...]  # per region: the scaled mesh its matrix is built from
    regions: tuple[RefineRegion, ...]
    crops: tuple[str, ...]  # inputs of the second model, per region
    refined: tuple[RefinedOutput, ...]


def split_model(content: bytes, source: str = ATTENTION_MODEL) -> SplitModel:
    """Cut the attention model at its custom ops (see the module docstring)."""
    from ai_edge_litert import schema_py_generated as schema
    from flatbuffers import flexbuffers

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(content, 0))
    graph = model.subgraphs[0]
    names = [t.name.decode() for t in graph.tensors]
    producer = {t: i for i, op in enumerate(graph.operators) for t in op.outputs}

    def op_name(op) -> str:
        code = model.operatorCodes[op.opcodeIndex]
        return code.customCode.decode() if code.customCode else ""

    custom = {kind: [op for op in graph.operators if op_name(op) == kind]
              for kind in (_L2TM, _TTB, _TL)}
    if (len(custom[_L2TM]), len(custom[_TTB])) != (3, 3) or len(custom[_TL]) != 5:
        raise ModelError(f"{source}: not MediaPipe's attention mesh model (custom ops "
                         + ", ".join(f"{k} x{len(v)}" for k, v in custom.items()) + ")")

    regions, region_inputs, matrices = [], [], []
    for op in custom[_L2TM]:
        o = flexbuffers.Loads(bytes(op.customOptions))
        regions.append(RefineRegion(np.asarray(o["subset_idxs"], np.intp),
                                    int(o["left_rotation_idx"]), int(o["right_rotation_idx"]),
                                    (int(o["output_width"]), int(o["output_height"])),
                                    (float(o["scale_x"]), float(o["scale_y"])),
                                    float(o["target_rotation_radians"])))
        region_inputs.append(names[op.inputs[0]])
        matrices.append(op.outputs[0])
    feature_maps = {names[op.inputs[0]] for op in custom[_TTB]}
    if len(feature_maps) != 1:
        raise ModelError(f"{source}: crops of {len(feature_maps)} feature maps, expected one")
    crops = [""] * len(regions)
    for op in custom[_TTB]:
        crops[matrices.index(op.inputs[1])] = names[op.outputs[0]]

    refined = []
    for op in custom[_TL]:
        # The matrix input is MUL(region matrix, constant); the output is reshaped into
        # a named graph output.
        mul = graph.operators[producer[op.inputs[1]]]
        region = matrices.index(mul.inputs[0])
        scale = _constant(model, graph, producer, mul.inputs[1]).reshape(4, 4)
        reshape = next(o for o in graph.operators if op.outputs[0] in list(o.inputs))
        refined.append(RefinedOutput(names[reshape.outputs[0]], names[op.inputs[0]], region,
                                     scale.astype(np.float32)))
    if {r.name for r in refined} != set(REFINEMENTS):
        raise ModelError(f"{source}: refined outputs {sorted(r.name for r in refined)}")

    graph_outputs = [names[t] for t in graph.outputs]
    mesh = next(n for n in graph_outputs if n.startswith("output_mesh"))
    flag = next(n for n in graph_outputs if "faceflag" in n)
    feature_map = feature_maps.pop()
    first = _extract(model, [names[t] for t in graph.inputs],
                     [mesh, flag, feature_map, *region_inputs])
    second = _extract(model, crops, [r.points for r in refined])
    return SplitModel(first, second, mesh, flag, feature_map, tuple(region_inputs),
                      tuple(regions), tuple(crops), tuple(refined))


def _constant(model, graph, producer, tensor: int) -> np.ndarray:
    """A constant tensor's values (through the DEQUANTIZE of fp16 weights, if any)."""
    t = graph.tensors[tensor]
    data = model.buffers[t.buffer].data
    if data is not None and len(data):
        return np.frombuffer(bytes(data), np.float32)
    source = graph.tensors[graph.operators[producer[tensor]].inputs[0]]
    return np.frombuffer(bytes(model.buffers[source.buffer].data), np.float16).astype(np.float32)


def _extract(model, inputs: list[str], outputs: list[str]) -> bytes:
    """A model of the operators that compute `outputs` from `inputs` (and constants)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    graph = model.subgraphs[0]
    index = {t.name.decode(): i for i, t in enumerate(graph.tensors)}
    ins, outs = [index[n] for n in inputs], [index[n] for n in outputs]
    producer = {t: i for i, op in enumerate(graph.operators) for t in op.outputs}
    ops: set[int] = set()
    stack, seen = list(outs), set(ins)
    while stack:  # every operator the outputs depend on, back to the inputs
        t = stack.pop()
        if t in seen or t not in producer:
            continue
        seen.add(t)
        ops.add(producer[t])
        stack.extend(x for x in graph.operators[producer[t]].inputs if x >= 0)
    used = set(ins) | set(outs)
    for i in ops:
        used.update(t for t in [*graph.operators[i].inputs, *graph.operators[i].outputs]
                    if t >= 0)  # -1: an optional input left out
    remap = {t: k for k, t in enumerate(sorted(used))}
    buffers = [schema.BufferT()]  # buffer 0: the empty one
    tensors = []
    for t in sorted(used):
        tensor = copy.copy(graph.tensors[t])
        data = model.buffers[tensor.buffer].data
        if t not in ins and data is not None and len(data):
            buffers.append(model.buffers[tensor.buffer])
            tensor.buffer = len(buffers) - 1
        else:
            tensor.buffer = 0
        tensors.append(tensor)
    sub = schema.SubGraphT()
    sub.tensors, sub.name = tensors, graph.name
    sub.inputs, sub.outputs = [remap[t] for t in ins], [remap[t] for t in outs]
    sub.operators = []
    for i in sorted(ops):
        op = copy.copy(graph.operators[i])
        op.inputs = [remap[t] if t >= 0 else -1 for t in op.inputs]
        op.outputs = [remap[t] for t in op.outputs]
        sub.operators.append(op)
    out = schema.ModelT()
    out.version, out.description = model.version, model.description
    out.operatorCodes, out.subgraphs, out.buffers = model.operatorCodes, [sub], buffers
    builder = flatbuffers.Builder(1 << 20)
    builder.Finish(out.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


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
        if not path.is_file():
            raise ModelError(f"model not found: {path} (run ./build.sh setup to fetch the PC models)")
        try:
            content = path.read_bytes()
            self.parts = split_model(content, str(path))
        except ModelError:
            raise
        except Exception as err:  # a corrupt flatbuffer fails anywhere in the parser
            raise ModelError(f"cannot load model {path}: {type(err).__name__}: {err}") from err
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
