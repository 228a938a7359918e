"""The numpy blendshape network equals LiteRT on every real face, layer by layer, and the
tool reproduces its weights file."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.core.expressions.network import WEIGHTS, BlendshapeNetwork
from app.core.expressions.tables import BLENDSHAPE_INPUT_POINTS

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "pc" / "face_blendshapes.tflite"
sys.path.insert(0, str(ROOT / "tools"))

from make_blendshape_weights import interpreter_for, run_with_tensors  # noqa: E402


def _real_faces():
    """Every face of the peer fixture (MediaPipe Tasks' FaceLandmarker): the stills and
    the clip's frames, as (name, 146 input points, Tasks' own 52 blendshapes)."""
    peer = json.loads((ROOT / "tests" / "fixtures" / "face_landmarker_peer.json").read_text())
    faces = [(f"{name}#{i}", face) for name, image in peer["images"].items()
             for i, face in enumerate(image["faces"])]
    faces += [(f"single_face.mp4@{k}#{i}", face) for k, frame in enumerate(peer["single_face.mp4"])
              for i, face in enumerate(frame)]
    for name, face in faces:
        points = np.asarray(face["xy"], np.float32)[list(BLENDSHAPE_INPUT_POINTS)]
        yield name, points, np.asarray(face["blendshapes"], np.float32)  # kBlendshapeNames order


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
    network = BlendshapeNetwork()
    faces = list(_real_faces())
    assert len(faces) >= 80
    spread, worst = [], 0.0
    for name, points, tasks in faces:
        expected = litert(points)
        got = network(points)
        assert got.shape == (52,) and got.dtype == np.float32
        assert np.abs(got - expected).max() <= 1e-3, name
        worst = max(worst, float(np.abs(got - expected).max()))
        # and MediaPipe Tasks read the same from these landmarks (fixture's 2-decimal pixels)
        assert np.abs(got - tasks).max() <= 5e-3, name
        spread.append(expected)
    assert worst <= 1e-4  # in fact: float32 rounding, not a near miss
    # the faces differ in what the network reads from them (not a constant output)
    assert np.ptp(np.array(spread), axis=0).max() > 0.3


def test_numpy_port_equals_the_model_layer_by_layer(litert):
    """The port's intermediate tensors (the token array after AddExtraTokens, after each
    block's token and channel mixing, the logits) against the model's own, run by LiteRT's
    reference kernels with every tensor kept, on every real face."""
    interpreter = interpreter_for(MODEL)
    network = BlendshapeNetwork()
    names = set()
    for name, points, _ in _real_faces():
        expected = run_with_tensors(interpreter, points)
        taps: dict[str, np.ndarray] = {}
        network.evaluate(points, taps)
        for layer, got in taps.items():
            want = expected[layer].reshape(-1, got.shape[-1])
            want = want[0] if got.ndim == 1 else want  # MixerBlock_3: the extra token only
            scale = max(1.0, float(np.abs(want).max()))
            assert np.abs(got - want).max() <= 1e-4 * scale, (name, layer)  # float32 rounding
        names |= set(taps)
    assert len(names) == 2 + 2 * 4
    assert {"MLPMixer/AddExtraTokens/concat", "MLPMixer/MixerBlock_3/residual_channels/add",
            "output_blendweights/BiasAdd"} <= names


def test_tool_reproduces_the_shipped_weights(tmp_path, litert):
    out = tmp_path / "w.npz"
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_blendshape_weights.py"),
                             str(MODEL), str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with np.load(out) as fresh, np.load(WEIGHTS) as shipped:
        assert sorted(fresh.files) == sorted(shipped.files)
        for key in shipped.files:
            assert fresh[key].dtype == np.float16
            np.testing.assert_array_equal(fresh[key], shipped[key], err_msg=key)
        # every weight of the model, as the graph shapes it: about 446k
        assert 440_000 < sum(shipped[k].size for k in shipped.files) < 460_000
        assert shipped["MLPMixer/MixerBlock_0/mlp_token_mixing/Mlp_1/Conv2D"].shape == (384, 1, 1, 97)
