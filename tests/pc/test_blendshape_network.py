"""The numpy blendshape network equals LiteRT on every real face, and the tool reproduces its file."""

import json
from pathlib import Path

import numpy as np
import pytest

from app.core.expressions.network import BlendshapeNetwork
from app.core.expressions.tables import BLENDSHAPE_INPUT_POINTS

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "pc" / "face_blendshapes.tflite"
WEIGHTS = ROOT / "models" / "blendshapes_weights.npz"


def _real_faces():
    images = json.loads((ROOT / "tests" / "fixtures" / "face_landmarker_peer.json").read_text())["images"]
    for name, image in images.items():
        for i, face in enumerate(image["faces"]):
            yield f"{name}#{i}", np.asarray(face["xy"], np.float32)[list(BLENDSHAPE_INPUT_POINTS)]


@pytest.fixture(scope="module")
def litert():
    if not MODEL.exists():
        pytest.skip(f"{MODEL} missing: run tools/fetch_assets.py")
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(MODEL))
    interpreter.allocate_tensors()
    (model_in,) = interpreter.get_input_details()
    (model_out,) = interpreter.get_output_details()

    def run(points):
        interpreter.set_tensor(model_in["index"], points[None])
        interpreter.invoke()
        return interpreter.get_tensor(model_out["index"]).reshape(-1).copy()
    return run


def test_numpy_port_equals_litert_on_real_faces(litert):
    network = BlendshapeNetwork(WEIGHTS)
    faces = list(_real_faces())
    assert len(faces) >= 8
    spread = []
    for name, points in faces:
        expected = litert(points)
        got = network(points)
        assert got.shape == (52,)
        assert np.abs(got - expected).max() <= 1e-3, name
        spread.append(expected)
    # the faces differ in what the network reads from them (not a constant output)
    assert np.ptp(np.array(spread), axis=0).max() > 0.3


def test_tool_reproduces_the_shipped_weights(tmp_path, litert):
    import subprocess
    import sys

    out = tmp_path / "w.npz"
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_blendshape_weights.py"),
                    str(MODEL), str(out)], check=True, capture_output=True)
    with np.load(out) as fresh, np.load(WEIGHTS) as shipped:
        assert sorted(fresh.files) == sorted(shipped.files)
        for key in shipped.files:
            np.testing.assert_array_equal(fresh[key], shipped[key], err_msg=key)
