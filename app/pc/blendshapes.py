"""MediaPipe's blendshape network on LiteRT: 146 landmarks in image pixels -> 52 scores.

`face_blendshapes.tflite` from the Face Landmarker bundle (input 1 x 146 x 2, output
52), the model MediaPipe's FaceBlendshapesGraph runs on FaceMesh V2's landmarks. The
network is translation invariant: our pixel-centre convention (i, not MediaPipe's
i + 0.5) changes no output (measured: the same to 1e-6 on the test stills). Built on
the first evaluation (a run that draws or writes no expression never loads it); its
file is checked at construction.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.expressions.tables import BLENDSHAPE_INPUT_POINTS, BLENDSHAPE_NAMES
from .litert import Model, ModelError, require_file

BLENDSHAPE_MODEL = "face_blendshapes.tflite"


class LiteRtBlendshapes:
    """A BlendshapeModel: `(146, 2)` float32 image pixels -> `(52,)` float32 scores."""

    def __init__(self, models_dir: Path, threads: int) -> None:
        self.path = require_file(models_dir / BLENDSHAPE_MODEL)
        self._threads = threads
        self._model: Model | None = None

    @property
    def built(self) -> bool:
        return self._model is not None

    def _build(self) -> Model:
        model = Model(self.path, self._threads)
        shape = (1, len(BLENDSHAPE_INPUT_POINTS), 2)
        sizes = [int(np.prod(model.output_shape(name))) for name in model.output_names]
        if model.input_shape != shape or sizes != [len(BLENDSHAPE_NAMES)]:
            raise ModelError(f"{self.path}: not MediaPipe's blendshape model (input "
                             f"{model.input_shape}, outputs {sizes}; expected {shape} -> "
                             f"{len(BLENDSHAPE_NAMES)})")
        self._model = model
        return model

    def __call__(self, points: np.ndarray) -> np.ndarray:
        model = self._model or self._build()
        model.input()[0] = points
        model.invoke()
        return model.output(model.output_names[0]).reshape(-1)
