"""MediaPipe's blendshape network (an MLP-Mixer) in numpy, for the device (no LiteRT).

Runs the model's own op list, in its order, from the file written by
tools/make_blendshape_weights.py; float32 throughout, as LiteRT's kernels.
Input: the 146 subset landmarks (tables.BLENDSHAPE_INPUT_POINTS) in image pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _slice(x, begin, end, stride):
    return x[tuple(slice(b, e if e != 0 else None, s) for b, e, s in zip(begin, end, stride))]


_OPS = {
    "DEQUANTIZE": lambda a, b, c, d: a.astype(np.float32),
    "MEAN": lambda a, b, c, d: a.mean(axis=tuple(np.atleast_1d(b)), keepdims=True),
    "SUM": lambda a, b, c, d: a.sum(axis=tuple(np.atleast_1d(b)), keepdims=True),
    "SUB": lambda a, b, c, d: a - b,
    "ADD": lambda a, b, c, d: a + b,
    "MUL": lambda a, b, c, d: a * b,
    "DIV": lambda a, b, c, d: a / b,
    "SQRT": lambda a, b, c, d: np.sqrt(a),
    "RSQRT": lambda a, b, c, d: 1.0 / np.sqrt(a),
    "NEG": lambda a, b, c, d: -a,
    "SQUARED_DIFFERENCE": lambda a, b, c, d: np.square(a - b),
    "RESHAPE": lambda a, b, c, d: a,
    "TRANSPOSE": lambda a, b, c, d: np.transpose(a, b),
    "LOGISTIC": lambda a, b, c, d: 1.0 / (1.0 + np.exp(-a)),
    "CONCATENATION": lambda a, b, c, d: np.concatenate((a, b), axis=-2),
    "CONV_2D": lambda a, b, c, d: a @ b.reshape(b.shape[0], -1).T + c,
    "STRIDED_SLICE": lambda a, b, c, d: _slice(a, b, c, d),
}


class BlendshapeNetwork:
    """landmarks (146, 2) float pixels -> 52 blendshape scores in 0..1."""

    def __init__(self, path: str | Path) -> None:
        with np.load(path) as data:
            names = [str(n) for n in data["op_names"]]
            unknown = sorted(set(names) - set(_OPS))
            if unknown:
                raise ValueError(f"{path}: ops this port does not run: {unknown}")
            self._input, self._output = (int(v) for v in data["io"])
            self._constants = {int(k[1:]): data[k] for k in data.files if k.startswith("t")}
            shapes = [tuple(int(v) for v in row if v) for row in data["op_shapes"]]
            self._program = [
                (_OPS[name], tuple(int(t) for t in ins), int(out), shape, bool(relu))
                for name, ins, out, shape, relu in zip(
                    names, data["op_inputs"], data["op_outputs"], shapes, data["op_relu"])]
        # constants in float32 once (DEQUANTIZE ops then cost a copy of a small array)
        self._constants = {k: v.astype(np.float32) if v.dtype == np.float16 else v
                           for k, v in self._constants.items()}

    def __call__(self, points: np.ndarray) -> np.ndarray:
        values = dict(self._constants)
        values[self._input] = np.asarray(points, np.float32).reshape(1, 146, 2)
        for op, ins, out, shape, relu in self._program:
            args = [values[t] if t >= 0 else None for t in ins]
            result = op(*args)
            if relu:
                result = np.maximum(result, 0.0)
            values[out] = np.asarray(result, np.float32).reshape(shape)
        return values[self._output].reshape(-1)
