"""MediaPipe's attention face mesh cut at its three custom ops into two plain models.

`face_landmark_with_attention.tflite` refines the lips, eyes and irises inside the model
with three custom ops only MediaPipe's runtime registers (see attention.py, which runs
them in numpy). `split_model` reads the graph (LiteRT's flatbuffer schema), finds the
ops, reads their options and constants, and writes the models on either side of them:

    first:   face crop -> mesh (468), face flag, feature map, mesh scaled to the map
    second:  the three 16x16 crops of the feature map -> lips, eye and iris points

Nothing is hard-coded from the model but what the graph says: regions, crop sizes and
constants are read from it, and a model that does not have this shape is refused.
Cutting takes ~1.2 billion instructions (0.2-0.4 s) and the schema module's import, so
split_cache.py keeps the cut on disk.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ..core import topology
from .litert import ModelError

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
