"""MediaPipe's attention mesh cut at its custom ops: the numpy ops do what MediaPipe's
kernels do, and the two parts run on a plain runtime, on a real face."""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from app.core import topology
from app.pc.attention import AttentionMesh, crop_feature_map, transform_matrix
from app.pc.attention_split import ATTENTION_MODEL
from app.pc.litert import ModelError
from conftest import load_rgb


@pytest.fixture(scope="module")
def astronaut(models_dir):
    """The model run on the real astronaut face: (model, 478 points)."""
    rgb = load_rgb("astronaut.png")  # face box x 177..273, y 79..175
    face = cv2.resize(rgb[55:199, 153:297], (192, 192), interpolation=cv2.INTER_AREA)
    model = AttentionMesh(models_dir / ATTENTION_MODEL, 2)
    model.input()[0] = face / 255.0
    xyz = np.zeros((topology.NUM_LANDMARKS, 3), np.float32)
    logit = model.mesh(xyz)
    model.refine(xyz)
    assert logit > 10  # sure it is a face
    return model, xyz


def mediapipe_crop(feature_map: np.ndarray, matrix: np.ndarray, w: int, h: int) -> np.ndarray:
    """TransformTensorBilinear v2 as MediaPipe's kernel writes it: pixel by pixel."""
    h_in, w_in, channels = feature_map.shape
    x_t, y_t = matrix[0].astype(np.float32).copy(), matrix[1].astype(np.float32).copy()
    x_t[3] += x_t[0] * 0.5 + x_t[1] * 0.5 - 0.5
    y_t[3] += y_t[0] * 0.5 + y_t[1] * 0.5 - 0.5
    out = np.zeros((h, w, channels), np.float32)

    def read(r: int, c: int) -> np.ndarray:
        inside = 0 <= r < h_in and 0 <= c < w_in
        return feature_map[r, c] if inside else np.zeros(channels, np.float32)

    for oy in range(h):
        for ox in range(w):
            tx = x_t[0] * ox + x_t[1] * oy + x_t[3]
            ty = y_t[0] * ox + y_t[1] * oy + y_t[3]
            if tx < 0 or tx > w_in - 1 or ty < 0 or ty > h_in - 1:
                continue
            fx, fy = math.floor(tx), math.floor(ty)
            rx, ly = tx - fx, ty - fy
            upper = (1 - rx) * read(fy, fx) + rx * read(fy, fx + 1)
            lower = (1 - rx) * read(fy + 1, fx) + rx * read(fy + 1, fx + 1)
            out[oy, ox] = ly * lower + (1 - ly) * upper
    return out


def test_crops_of_the_feature_map_match_mediapipes_kernel(astronaut):
    model, _ = astronaut
    parts = model.parts
    feature_map = model.first.output(parts.feature_map)[0]
    matrices = np.stack([transform_matrix(model.first.output(name).reshape(-1, 3), region)
                         for name, region in zip(parts.region_inputs, parts.regions)])
    # And a crop pushed half off the map's corner: the pixels outside are 0.
    shifted = matrices[1].copy()
    shifted[:2, 3] -= 20.0
    matrices = np.concatenate([matrices, shifted[None]])
    got = crop_feature_map(feature_map, matrices, (16, 16))
    for k, matrix in enumerate(matrices):
        want = mediapipe_crop(feature_map, matrix, 16, 16)
        np.testing.assert_allclose(got[k], want, rtol=1e-4, atol=1e-4)
    assert (got[-1] == 0).all(axis=-1).any() and not (got[-1] == 0).all()


def test_each_region_crop_frames_its_landmarks(astronaut):
    """The lips' and each eye's crop is centred on its landmarks and holds them all."""
    model, _ = astronaut
    for name, region in zip(model.parts.region_inputs, model.parts.regions):
        scaled = model.first.output(name).reshape(-1, 3)
        matrix = transform_matrix(scaled, region)
        to_crop = np.linalg.inv(matrix[np.ix_([0, 1, 3], [0, 1, 3])])
        pts = scaled[region.subset, :2]
        crop = (to_crop @ np.c_[pts, np.ones(len(pts))].T)[:2].T
        w, h = region.size
        assert (crop >= 0).all() and (crop[:, 0] <= w).all() and (crop[:, 1] <= h).all()
        centre = (crop.min(0) + crop.max(0)) / 2
        np.testing.assert_allclose(centre, (w / 2, h / 2), atol=1e-3)


def test_refined_irises_eyes_and_lips_land_on_the_face(astronaut):
    model, xyz = astronaut
    mesh = model.first.output(model.parts.mesh).reshape(-1, 3)
    for iris, contour in ((topology.IRIS_33_133, topology.EYE_CONTOUR_33_133),
                          (topology.IRIS_362_263, topology.EYE_CONTOUR_362_263)):
        eye = xyz[list(contour), :2]
        centre = xyz[iris[0], :2]
        assert (eye.min(0) < centre).all() and (centre < eye.max(0)).all()
        # Iris depth: the mean of its eye's contour.
        np.testing.assert_allclose(xyz[list(iris), 2], xyz[list(contour), 2].mean(), rtol=1e-5)
    iod = np.linalg.norm(xyz[33, :2] - xyz[263, :2])
    for table in (topology.LIPS_REFINEMENT, topology.EYE_REFINEMENT_33_133,
                  topology.EYE_REFINEMENT_362_263):
        moved = np.linalg.norm(xyz[list(table), :2] - mesh[list(table), :2], axis=1)
        assert 0 < moved.mean() < 0.05 * iod  # refined, close to where the mesh had them
    untouched = sorted(set(range(468)) - set(topology.LIPS_REFINEMENT)
                       - set(topology.EYE_REFINEMENT_33_133) - set(topology.EYE_REFINEMENT_362_263))
    np.testing.assert_array_equal(xyz[untouched], mesh[untouched])


def test_both_parts_are_plain_models(astronaut):
    """No custom op is left: the classic Interpreter loads both parts."""
    from ai_edge_litert.interpreter import Interpreter

    model, _ = astronaut
    for content in (model.parts.first, model.parts.second):
        interpreter = Interpreter(model_content=content, num_threads=1)
        interpreter.allocate_tensors()
        ops = {op["op_name"] for op in interpreter._get_ops_details()}
        assert ops and not ops & {"Landmarks2TransformMatrix", "TransformTensorBilinear",
                                  "TransformLandmarks", "CUSTOM"}


def test_another_model_or_a_broken_file_is_refused(models_dir, tmp_path):
    other = tmp_path / ATTENTION_MODEL
    other.write_bytes((models_dir / "face_landmark.tflite").read_bytes())
    with pytest.raises(ModelError, match="not MediaPipe's attention mesh model"):
        AttentionMesh(other, 1)
    other.write_bytes(b"TFL3" * 64)
    with pytest.raises(ModelError, match=f"cannot load model .*{ATTENTION_MODEL}"):
        AttentionMesh(other, 1)
    with pytest.raises(ModelError, match="model not found: .*build.sh setup"):
        AttentionMesh(tmp_path / "missing.tflite", 1)
