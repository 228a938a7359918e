"""Write MediaPipe's blendshape network (face_blendshapes.tflite) as a compact .npz.

The device has no LiteRT: app/core/expressions/network.py runs the model's op
list in numpy from this file. It holds the ops in order (name, input and output
tensor ids, output shape, whether a CONV_2D has a fused ReLU) and every constant
tensor as float16 (the model stores its weights as float16 already).

A CONV_2D's fused activation is read from the model's behaviour: the op is run
by LiteRT's reference kernels on a real-sized input and its output compared with
the plain product and with its ReLU.

    python tools/make_blendshape_weights.py [MODEL] [OUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "pc" / "face_blendshapes.tflite"
OUT = ROOT / "models" / "blendshapes_weights.npz"


def extract(model: Path) -> dict[str, np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(
        model_path=str(model), experimental_preserve_all_tensors=True,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interpreter.allocate_tensors()
    (model_in,) = interpreter.get_input_details()
    (model_out,) = interpreter.get_output_details()
    grid = np.stack(np.meshgrid(np.linspace(100, 300, 146), [0.0]), -1)[0]
    interpreter.set_tensor(model_in["index"], (grid + [0, 200]).astype(np.float32)[None])
    interpreter.invoke()
    ops = interpreter._get_ops_details()
    produced = {model_in["index"]} | {t for op in ops for t in op["outputs"]}
    arrays: dict[str, np.ndarray] = {}
    names, inputs, outputs, relu = [], [], [], []
    for op in ops:
        names.append(op["op_name"])
        if len(op["inputs"]) > 4:
            raise SystemExit(f"error: op {op['op_name']} with {len(op['inputs'])} inputs")
        inputs.append([int(t) for t in op["inputs"]] + [-1] * (4 - len(op["inputs"])))
        outputs.append(int(op["outputs"][0]))
        for t in op["inputs"]:
            if t >= 0 and t not in produced and f"t{t}" not in arrays:
                value = interpreter.get_tensor(t)
                arrays[f"t{t}"] = value if value.dtype.kind == "i" else value.astype(np.float16)
        fused = False
        if op["op_name"] == "CONV_2D":
            x, w, b = (interpreter.get_tensor(t).astype(np.float32) for t in op["inputs"])
            linear = x @ w.reshape(w.shape[0], -1).T + b
            got = interpreter.get_tensor(op["outputs"][0])
            fused = bool(np.abs(got - np.maximum(linear, 0)).max() < np.abs(got - linear).max())
        relu.append(fused)
    arrays["op_names"] = np.array(names)
    arrays["op_inputs"] = np.array(inputs, np.int32)
    arrays["op_outputs"] = np.array(outputs, np.int32)
    arrays["op_relu"] = np.array(relu)
    arrays["op_shapes"] = np.array(
        [list(interpreter._get_tensor_details(t, 0)["shape"]) + [0] * (4 - len(interpreter._get_tensor_details(t, 0)["shape"])) for t in outputs], np.int32)
    arrays["io"] = np.array([model_in["index"], model_out["index"]], np.int32)
    return arrays


def main(argv: list[str]) -> int:
    model = Path(argv[0]) if argv else MODEL
    out = Path(argv[1]) if len(argv) > 1 else OUT
    if not model.is_file():
        print(f"error: {model} missing: run tools/fetch_assets.py", file=sys.stderr)
        return 2
    np.savez_compressed(out, **extract(model))
    print(f"{out}: {out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
