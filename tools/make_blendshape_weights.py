"""Write MediaPipe's blendshape network's weights (face_blendshapes.tflite) as a compact .npz.

The device has no LiteRT: app/core/expressions/network.py runs the network in numpy from
this file. It holds every float constant of the model as the model stores it (float16),
shaped as in the graph and named by the graph's own tensor names, less the common
prefix (model_1/GhumMarkerPoserMlpMixerGeneral/) and the /ReadVariableOp suffix: e.g.
"MLPMixer/MixerBlock_0/mlp_token_mixing/Mlp_1/Conv2D" (384, 1, 1, 97).

Before writing, the numpy port is checked against the graph it assumes: the ReLUs fused
into exactly the Mlp_1 convolutions, and the port's intermediate tensors equal to the
model's own (LiteRT's reference kernels, all tensors kept) on a test input.

    python tools/make_blendshape_weights.py [MODEL] [OUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.expressions.network import BlendshapeNetwork  # noqa: E402

MODEL = ROOT / "models" / "pc" / "face_blendshapes.tflite"
OUT = ROOT / "app" / "core" / "expressions" / "face_blendshapes.npz"
PREFIX = "model_1/GhumMarkerPoserMlpMixerGeneral/"


def graph_name(tensor_name: str) -> str:
    """A tensor's name in the file: its last ';'-joined part, without the common prefix
    and the /ReadVariableOp suffix."""
    name = tensor_name.split(";")[-1]
    name = name[len(PREFIX):] if name.startswith(PREFIX) else name
    return name.removesuffix("/ReadVariableOp")


def interpreter_for(model: Path):
    """LiteRT's reference kernels on the model, every intermediate tensor kept."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(
        model_path=str(model), experimental_preserve_all_tensors=True,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter.allocate_tensors()
    return interpreter


def run_with_tensors(interpreter, points: np.ndarray) -> dict[str, np.ndarray]:
    """Every tensor the model computes on `points`, by each ';'-joined part of its name
    (less the prefix): LiteRT names a fused op's output after all the ops fused into it."""
    (model_in,) = interpreter.get_input_details()
    interpreter.set_tensor(model_in["index"], np.asarray(points, np.float32).reshape(1, 146, 2))
    interpreter.invoke()
    produced = {t for op in interpreter._get_ops_details() for t in op["outputs"]}
    tensors: dict[str, np.ndarray] = {}
    for detail in interpreter.get_tensor_details():
        if detail["index"] in produced:
            value = interpreter.get_tensor(detail["index"]).copy()
            for part in detail["name"].split(";"):
                tensors.setdefault(graph_name(part), value)
    return tensors


def extract(model: Path) -> dict[str, np.ndarray]:
    interpreter = interpreter_for(model)
    ops = interpreter._get_ops_details()
    produced = {t for op in ops for t in op["outputs"]}
    details = {d["index"]: d for d in interpreter.get_tensor_details()}
    arrays: dict[str, np.ndarray] = {}
    for index, detail in details.items():
        if index in produced or detail["dtype"] != np.float16 or not detail["name"]:
            continue
        arrays[graph_name(detail["name"])] = interpreter.get_tensor(index).copy()
    # the port's ReLUs: after exactly the Mlp_1 convolutions (LiteRT names a fused ReLU)
    for op in ops:
        if op["op_name"] == "CONV_2D":
            name = details[op["outputs"][0]]["name"]
            if ("/Relu" in name) != ("/Mlp_1/" in name):
                raise SystemExit(f"error: {model}: a ReLU where the port has none, or none "
                                 f"where it has one: {name}")
    return arrays


def check(model: Path, weights: Path) -> float:
    """The port's largest difference from the model's own tensors on a test face-sized
    input (points on an ellipse with a bump): raises if any exceeds 1e-4."""
    angle = np.linspace(0, 2 * np.pi, 146, endpoint=False)
    points = np.stack([320 + 90 * np.cos(angle) + 8 * np.sin(3 * angle),
                       240 + 120 * np.sin(angle)], -1).astype(np.float32)
    expected = run_with_tensors(interpreter_for(model), points)
    taps: dict[str, np.ndarray] = {}
    BlendshapeNetwork(weights).evaluate(points, taps)
    worst = 0.0
    for name, got in taps.items():
        want = expected[name].reshape(-1, got.shape[-1])
        want = want[0] if got.ndim == 1 else want
        diff = float(np.abs(got - want).max() / max(1.0, np.abs(want).max()))
        if diff > 1e-4:
            raise SystemExit(f"error: the numpy port differs from {model} at {name} by {diff:.2g}")
        worst = max(worst, diff)
    return worst


def main(argv: list[str]) -> int:
    model = Path(argv[0]) if argv else MODEL
    out = Path(argv[1]) if len(argv) > 1 else OUT
    if not model.is_file():
        print(f"error: {model} missing: run tools/fetch_assets.py", file=sys.stderr)
        return 2
    np.savez_compressed(out, **extract(model))
    worst = check(model, out)
    print(f"{out}: {out.stat().st_size} bytes; numpy port == model within {worst:.1g} (relative)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
