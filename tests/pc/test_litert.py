"""LiteRT models on real inputs: the shared runtime answers as the classic API does."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.pc.litert import Model, ModelError
from conftest import load_rgb

DETECTOR, MESH = "face_detection_short_range.tflite", "face_landmark.tflite"


@pytest.fixture(scope="module")
def inputs():
    """The real astronaut face as the detector (128 px) and the mesh (192 px) see it."""
    rgb = load_rgb("astronaut.png")  # face box x 177..273, y 79..175
    frame = cv2.resize(rgb, (128, 128), interpolation=cv2.INTER_AREA)
    face = cv2.resize(rgb[55:199, 153:297], (192, 192), interpolation=cv2.INTER_AREA)
    return (frame[None].astype(np.float32) / 127.5 - 1, face[None].astype(np.float32) / 255)


def classic(path, batch: np.ndarray) -> dict[str, np.ndarray]:
    """The same model through LiteRT's classic Interpreter, for reference."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], batch)
    interpreter.invoke()
    return {d["name"]: interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()}


def run(model: Model, image: np.ndarray) -> dict[str, np.ndarray]:
    model.input()[...] = image
    model.invoke()
    return {name: model.output(name).copy() for name in model.output_names}


def test_models_taking_turns_answer_as_the_classic_interpreter(models_dir, inputs):
    frame, face = inputs
    detector, mesh = Model(models_dir / DETECTOR, 2), Model(models_dir / MESH, 2)
    want = {DETECTOR: classic(models_dir / DETECTOR, frame), MESH: classic(models_dir / MESH, face)}
    for _ in range(3):  # turns, as every frame does: no state leaks from one to the other
        got = {DETECTOR: run(detector, frame), MESH: run(mesh, face)}
        for name in want:
            assert set(got[name]) == set(want[name])
            for output in want[name]:
                np.testing.assert_allclose(got[name][output].reshape(-1),
                                           want[name][output].reshape(-1), rtol=1e-4, atol=1e-3)
    # A real face: the mesh's presence logit says so, and the mesh lies inside the crop.
    flags = got[MESH]
    logit = min(flags, key=lambda name: flags[name].size)
    assert float(flags[logit].reshape(-1)[0]) > 2.0
    xyz = flags[max(flags, key=lambda name: flags[name].size)].reshape(-1, 3)
    assert xyz.shape == (468, 3) and ((xyz[:, :2] > 0) & (xyz[:, :2] < 192)).all()


def test_a_model_made_in_memory_runs_as_its_file(models_dir, inputs):
    _, face = inputs
    path = models_dir / MESH
    from_file = run(Model(path, 2), face)
    from_bytes = run(Model(path, 2, content=path.read_bytes()), face)
    for name in from_file:
        np.testing.assert_array_equal(from_bytes[name], from_file[name])


def test_a_corrupt_model_says_why_and_litert_stays_quiet(tmp_path, capfd):
    bad = tmp_path / "face_landmark.tflite"
    bad.write_bytes(b"this is not a flatbuffer" * 8)
    with pytest.raises(ModelError, match=r"cannot load model .*face_landmark.tflite: .*TFL3"):
        Model(bad, 2)
    with pytest.raises(ModelError, match="model not found: .*nothing.tflite .*build.sh setup"):
        Model(tmp_path / "nothing.tflite", 2)
    assert "INFO" not in capfd.readouterr().err


def test_loading_logs_nothing_to_the_terminal(models_dir, capfd):
    run(Model(models_dir / MESH, 1), np.zeros((1, 192, 192, 3), np.float32))
    assert capfd.readouterr().err == ""
