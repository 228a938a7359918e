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
    """One interpreter with named outputs, fed float32 NHWC batches.

    Two ways to run it:
    - `run(batch)`: copies `batch` in and every output out (simple, safe to keep).
    - the per-frame path, without copies: fill `input()` in place, `invoke()`, then read
      `output(name)`. Both are views of the interpreter's own buffers: the next
      `invoke()` overwrites them, and LiteRT refuses to invoke while a view is still
      referenced, so drop them (let them go out of scope) and copy what you keep.
    """

    def __init__(self, path: Path, threads: int, batch: int = 1) -> None:
        self.path = path
        self.interpreter = load(path, threads)
        self._input = self.interpreter.get_input_details()[0]
        details = self.interpreter.get_output_details()
        self.output_names = tuple(d["name"] for d in details)  # the model's declared order
        self._outputs = {d["name"]: d["index"] for d in details}
        self._output_shapes = {d["name"]: tuple(int(v) for v in d["shape"]) for d in details}
        self.input_shape = tuple(int(v) for v in self._input["shape"])  # (1, H, W, 3)
        self._batch = self.input_shape[0]
        # Resolved once: functions returning fresh views (holding a view blocks invoke).
        self._input_view = self.interpreter.tensor(self._input["index"])
        self._output_views = {name: self.interpreter.tensor(index)
                              for name, index in self._outputs.items()}
        if batch != self._batch:
            self.resize(batch)

    @property
    def input_hw(self) -> tuple[int, int]:
        return self.input_shape[1], self.input_shape[2]

    @property
    def batch(self) -> int:
        return self._batch

    def output_shape(self, name: str) -> tuple[int, ...]:
        """Shape of output `name` for a batch of 1, as the model declares it."""
        return self._output_shapes[name]

    def resize(self, batch: int) -> None:
        """Make the input (and outputs) hold `batch` images; views taken before are void."""
        self.interpreter.resize_tensor_input(self._input["index"],
                                             [batch, *self.input_shape[1:]])
        self.interpreter.allocate_tensors()
        self._batch = batch

    def input(self) -> np.ndarray:
        """(B, H, W, C) float32 view of the input tensor, to fill in place before invoke()."""
        return self._input_view()

    def invoke(self) -> None:
        self.interpreter.invoke()

    def output(self, name: str) -> np.ndarray:
        """View of output `name` after invoke(); valid until the next invoke()."""
        return self._output_views[name]()

    def run(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """batch (B, H, W, 3) float32 -> {output name: (B, ...) array}."""
        if batch.shape[0] != self._batch:
            self.resize(batch.shape[0])
        self.interpreter.set_tensor(self._input["index"], batch)
        self.interpreter.invoke()
        return {name: self.interpreter.get_tensor(index) for name, index in self._outputs.items()}
