"""LiteRT models on real inputs: one shared runtime, the same answers as the classic API."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.pc.litert import Model, ModelError
from conftest import load_rgb

FACE, IRIS = "face_landmark.tflite", "iris_landmark.tflite"


@pytest.fixture(scope="module")
def inputs():
    """A real face crop (192 px) and both real eye crops (64 px), in [0, 1]."""
    rgb = load_rgb("astronaut.png")  # face box x 177..273, y 79..175; eyes (204, 101), (248, 108)
    face = cv2.resize(rgb[55:199, 153:297], (192, 192), interpolation=cv2.INTER_AREA)
    eyes = np.stack([cv2.resize(rgb[81:121, 184:224], (64, 64)),
                     cv2.resize(rgb[88:128, 228:268], (64, 64))[:, ::-1]])
    return face[None].astype(np.float32) / 255, eyes.astype(np.float32) / 255


def classic(path, batch: np.ndarray) -> dict[str, np.ndarray]:
    """The same model through LiteRT's classic Interpreter, for reference."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=1)
    index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(index, list(batch.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(index, batch)
    interpreter.invoke()
    return {d["name"]: interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()}


def test_models_taking_turns_answer_as_the_classic_interpreter(models_dir, inputs):
    face, eyes = inputs
    mesh, iris = Model(models_dir / FACE, 2), Model(models_dir / IRIS, 2, batch=2)
    want_mesh, want_iris = classic(models_dir / FACE, face), classic(models_dir / IRIS, eyes)
    for _ in range(3):  # turns, as every frame does: no state leaks from one to the other
        got_mesh, got_iris = mesh.run(face), iris.run(eyes)
        for got, want in ((got_mesh, want_mesh), (got_iris, want_iris)):
            assert set(got) == set(want)
            for name in want:
                np.testing.assert_allclose(got[name].reshape(-1), want[name].reshape(-1),
                                           rtol=1e-4, atol=1e-3)
    # A real face: the presence logit says so, and the mesh lies inside the crop.
    logit = min(want_mesh, key=lambda name: want_mesh[name].size)
    assert float(got_mesh[logit].reshape(-1)[0]) > 2.0
    xyz = got_mesh[max(got_mesh, key=lambda name: got_mesh[name].size)].reshape(-1, 3)
    assert xyz.shape == (468, 3) and ((xyz[:, :2] > 0) & (xyz[:, :2] < 192)).all()


def test_a_batch_of_two_eyes_equals_two_single_runs(models_dir, inputs):
    _, eyes = inputs
    pair = Model(models_dir / IRIS, 2, batch=2)
    single = Model(models_dir / IRIS, 2)
    both = pair.run(eyes)
    centres = both["output_iris"].reshape(2, 5, 3)[:, 0, :2]  # each eye's iris centre
    assert ((centres > 16) & (centres < 48)).all()  # found in the middle of its crop
    for i in range(2):
        one = single.run(eyes[i:i + 1])
        for name in one:
            np.testing.assert_allclose(both[name].reshape(2, -1)[i], one[name].reshape(-1),
                                       rtol=1e-4, atol=1e-3)


def test_the_per_frame_path_fills_in_place(models_dir, inputs):
    face, _ = inputs
    model = Model(models_dir / FACE, 2)
    want = model.run(face)
    model.input()[...] = face
    model.invoke()
    for name in want:
        np.testing.assert_array_equal(model.output(name), want[name])


def test_a_corrupt_model_says_why_and_litert_stays_quiet(tmp_path, capfd):
    bad = tmp_path / "face_landmark.tflite"
    bad.write_bytes(b"this is not a flatbuffer" * 8)
    with pytest.raises(ModelError, match=r"cannot load model .*face_landmark.tflite: .*TFL3"):
        Model(bad, 2)
    with pytest.raises(ModelError, match="model not found: .*nothing.tflite .*build.sh setup"):
        Model(tmp_path / "nothing.tflite", 2)
    assert "INFO" not in capfd.readouterr().err


def test_loading_logs_nothing_to_the_terminal(models_dir, capfd):
    Model(models_dir / IRIS, 1, batch=2).run(np.zeros((2, 64, 64, 3), np.float32))
    assert capfd.readouterr().err == ""
