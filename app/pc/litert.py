"""Loading .tflite models with LiteRT, with a clear message when a file is missing."""
from __future__ import annotations

from pathlib import Path

import numpy as np


class ModelError(RuntimeError):
    """A model file is missing or cannot be loaded."""


def load(path: Path, threads: int):  # -> ai_edge_litert.interpreter.Interpreter
    if not path.is_file():
        raise ModelError(f"model not found: {path} (run ./build.sh setup to fetch the PC models)")
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ModelError("the PC backend needs ai-edge-litert: ./build.sh setup installs it") from err
    try:
        interpreter = Interpreter(model_path=str(path), num_threads=threads)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as err:
        raise ModelError(f"cannot load model {path}: {err}") from err
    return interpreter


class Model:
    """One interpreter with named outputs, fed float32 NHWC batches."""

    def __init__(self, path: Path, threads: int) -> None:
        self.path = path
        self.interpreter = load(path, threads)
        self._input = self.interpreter.get_input_details()[0]
        self._outputs = {d["name"]: d["index"] for d in self.interpreter.get_output_details()}
        self.input_shape = tuple(int(v) for v in self._input["shape"])  # (1, H, W, 3)
        self._batch = self.input_shape[0]

    @property
    def input_hw(self) -> tuple[int, int]:
        return self.input_shape[1], self.input_shape[2]

    def run(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """batch (B, H, W, 3) float32 -> {output name: (B, ...) array}."""
        if batch.shape[0] != self._batch:
            self.interpreter.resize_tensor_input(self._input["index"], list(batch.shape))
            self.interpreter.allocate_tensors()
            self._batch = batch.shape[0]
        self.interpreter.set_tensor(self._input["index"], batch)
        self.interpreter.invoke()
        return {name: self.interpreter.get_tensor(index) for name, index in self._outputs.items()}
