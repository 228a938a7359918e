"""Running .tflite models with LiteRT, with a clear message when a file is missing.

Models run through LiteRT's CompiledModel API, all in one shared Environment. The classic
`Interpreter` gives each model its own XNNPACK thread pool: with several models taking
turns every frame, each call first waits for its own pool's sleeping worker to wake.
Measured here (2 threads, two landmark models back to back): 0.79 + 1.39 ms with
Interpreters against 0.41 + 0.66 ms in one environment, as fast as each model alone.

The models are compiled and run through the two native modules that LiteRT's
`compiled_model` and `tensor_buffer` wrap, not through those wrappers: importing
`ai_edge_litert.tensor_buffer` imports ml_dtypes, whose start-up registers numpy loops for
a dozen number types nobody here uses (7.3 of the 10.8 billion instructions of a whole
one-photo run with ml_dtypes 0.7 and numpy 2.2, 0.6 s). Only float32 tensors are read
and written, which is all the wrappers would do here too.
"""
from __future__ import annotations

import atexit
import ctypes
import math
import os
import re
import tempfile
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, NamedTuple

import numpy as np


class ModelError(RuntimeError):
    """A model file is missing or cannot be loaded."""


@contextmanager
def _native_stderr(lines: list[str]) -> Iterator[None]:
    """Collect what native code writes to stderr (fd 2) into `lines`.

    LiteRT logs a dozen INFO lines per environment and model straight to fd 2; they are
    kept off the terminal, and the ERROR lines among them go into our own messages.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (a detached process): nothing to capture
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as sink:
        _flush_c_stdio()
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            _flush_c_stdio()  # LiteRT's log is buffered: out with it before fd 2 returns
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            lines.extend(sink.read().decode("utf-8", "replace").splitlines())


def _flush_c_stdio() -> None:
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # no C library to ask (not on Linux/macOS)
        pass


def _quiet_exit() -> None:
    """Keep LiteRT's teardown log (written as the process ends) off the terminal."""
    _flush_c_stdio()
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        pass


def _errors(lines: list[str]) -> str:
    """The ERROR lines of a LiteRT log, without their prefix, joined by '; '."""
    found = [re.sub(r"^ERROR:\s*(\[[^\]]*\]\s*)?", "", line) for line in lines
             if line.startswith("ERROR")]
    return "; ".join(line for line in found if line)


class _Runtime(NamedTuple):
    compiled: Any  # the native module of compiled models
    buffers: Any  # the native module of tensor buffers
    environment: Any  # ai_edge_litert.environment.Environment
    cpu: int  # HardwareAccelerator.CPU


@lru_cache(maxsize=1)
def _runtime() -> _Runtime:
    """LiteRT's native modules and the process's one environment: CPU only, so no NPU
    plugin is searched for."""
    try:
        import ai_edge_litert
        from ai_edge_litert import _pywrap_litert_compiled_model_wrapper as compiled
        from ai_edge_litert import _pywrap_litert_tensor_buffer_wrapper as buffers
        from ai_edge_litert.environment import Environment, EnvironmentOptions
        from ai_edge_litert.hardware_accelerator import HardwareAccelerator
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ModelError("the PC backend needs ai-edge-litert (the version in requirements.txt): "
                         f"./build.sh setup installs it ({err})") from err
    runtime = os.path.dirname(os.path.abspath(ai_edge_litert.__file__))
    # A plugin path that holds no plugin: an empty one would make LiteRT look for
    # vendor NPU libraries in its package (and log their failure to load).
    none = os.path.join(runtime, "no-npu-plugins")
    atexit.register(_quiet_exit)  # registered first, so it runs after later handlers
    log: list[str] = []
    with _native_stderr(log):
        environment = Environment.create(options=EnvironmentOptions(
            runtime_path=runtime, compiler_plugin_path=none, dispatch_library_path=none))
    return _Runtime(compiled, buffers, environment, int(HardwareAccelerator.CPU))


def require_file(path: Path) -> Path:
    """`path`, or ModelError if there is no such model file (a cheap check at start-up
    for a model that is built only when first needed)."""
    if not path.is_file():
        raise ModelError(f"model not found: {path} (run ./build.sh setup to fetch the PC models)")
    return path


def _compile(path: Path, threads: int, content: bytes | None = None) -> Any:
    """A compiled model of the file `path`, or of `content` (a model made from it)."""
    if content is None:
        require_file(path)
    runtime = _runtime()
    environment, options = runtime.environment.capsule, {
        "hardware_accel": runtime.cpu, "cpu_num_threads": threads}
    log: list[str] = []
    try:
        with _native_stderr(log):
            if content is not None:
                return runtime.compiled.CreateCompiledModelFromBuffer(environment, content,
                                                                      **options)
            return runtime.compiled.CreateCompiledModelFromFile(environment, str(path), **options)
    except (ValueError, RuntimeError) as err:
        detail = _errors(log) or str(err).splitlines()[0]
        raise ModelError(f"cannot load model {path}: {detail}") from err


class Model:
    """One compiled model with named outputs, fed float32 NHWC images.

    Per frame: fill `input()` (or `input(k)`, for a model of several inputs) in place,
    buffers this object owns, `invoke()`, then read `output(name)`, which stays valid
    until the next `invoke()`.
    `content`: the model's bytes, when they are not the file's own (a part of it).
    """

    def __init__(self, path: Path, threads: int, content: bytes | None = None) -> None:
        self.path = path
        self._content = content  # kept alive as long as the runtime may read it
        self.model = _compile(path, threads, content)
        self._buffers = _runtime().buffers
        signatures = self.model.GetSignatureList()
        signature = next(iter(signatures))
        inputs = self.model.GetInputTensorDetails(signature)
        self.input_names = tuple(signatures[signature]["inputs"])
        self._inputs = [np.zeros(tuple(int(v) for v in inputs[name]["shape"]), np.float32)
                        for name in self.input_names]
        self.input_shape = self._inputs[0].shape
        # The model's declared order, which is also the order of its output buffers.
        self.output_names = tuple(signatures[signature]["outputs"])
        # Output shapes from the model (not the tensor buffers' own details: that builds a
        # whole new LiteRT environment on every call).
        details = self.model.GetOutputTensorDetails(signature)
        self._output_shapes = {name: tuple(int(v) for v in details[name]["shape"])
                               for name in self.output_names}
        self._in_buffers = self.model.CreateInputBuffers(0)
        self._out_buffers = self.model.CreateOutputBuffers(0)
        self._reads = [(buffer, math.prod(self._output_shapes[name]), self._output_shapes[name])
                       for name, buffer in zip(self.output_names, self._out_buffers)]
        self._outputs: dict[str, np.ndarray] = {}
        # The first buffer write or read of a process builds LiteRT's tensor-buffer
        # environment (and logs it): done here, where the log is captured.
        with _native_stderr([]):
            self._write()
            self._read()

    def _write(self) -> None:
        for buffer, array in zip(self._in_buffers, self._inputs):
            self._buffers.WriteTensorBuffer(buffer, array.reshape(-1), "float32")

    def _read(self) -> dict[str, np.ndarray]:
        outputs = {}
        for name, (buffer, size, shape) in zip(self.output_names, self._reads):
            array = np.empty(size, np.float32)
            self._buffers.ReadTensorToBuffer(buffer, array, "float32")
            outputs[name] = array.reshape(shape)
        return outputs

    @property
    def input_hw(self) -> tuple[int, int]:
        return self.input_shape[1], self.input_shape[2]

    def output_shape(self, name: str) -> tuple[int, ...]:
        """Shape of output `name`, as the model declares it."""
        return self._output_shapes[name]

    def input(self, index: int = 0) -> np.ndarray:
        """(1, H, W, C) float32 array of input `index`, to fill in place before invoke()."""
        return self._inputs[index]

    def invoke(self) -> None:
        self._write()
        self.model.RunByIndex(0, self._in_buffers, self._out_buffers)
        self._outputs = self._read()

    def output(self, name: str) -> np.ndarray:
        """Output `name` of the last invoke(); valid until the next invoke()."""
        return self._outputs[name]
