"""The blendshape tables match the real model they describe."""

from pathlib import Path

import pytest

from app.core.expressions.tables import BLENDSHAPE_INDEX, BLENDSHAPE_INPUT_POINTS, BLENDSHAPE_NAMES

MODEL = Path(__file__).resolve().parents[2] / "models" / "pc" / "face_blendshapes.tflite"


def test_tables_fit_the_model_io():
    if not MODEL.exists():
        pytest.skip(f"{MODEL} missing: run tools/fetch_assets.py")
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(MODEL))
    (model_in,) = interpreter.get_input_details()
    (model_out,) = interpreter.get_output_details()
    assert tuple(model_in["shape"]) == (1, len(BLENDSHAPE_INPUT_POINTS), 2)
    assert tuple(model_out["shape"])[-1] == len(BLENDSHAPE_NAMES) == 52


def test_names_are_mediapipes_order():
    assert BLENDSHAPE_NAMES[0] == "_neutral"
    assert len(set(BLENDSHAPE_NAMES)) == 52
    # spot checks against kBlendshapeNames' documented indices
    assert BLENDSHAPE_INDEX["eyeBlinkLeft"] == 9
    assert BLENDSHAPE_INDEX["jawOpen"] == 25
    assert BLENDSHAPE_INDEX["mouthSmileLeft"] == 44
    assert BLENDSHAPE_INDEX["noseSneerRight"] == 51
