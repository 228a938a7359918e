"""Streams for the receivers' tests: fuzzed ones (seeded) and the receivers themselves
(tools/face_report.py loaded as a module, the C decoder compiled)."""
from __future__ import annotations

import importlib.util
import math
import random
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from app.core.expressions.tables import EVENT_NAMES, EXPRESSION_NAMES
from app.core.report import (CMD_BLENDSHAPES, CMD_FACES, CMD_GET_FACES, CMD_LANDMARKS,
                             CMD_SET_REPORT, HEADER, FaceReport, Response, encode_blendshapes,
                             encode_faces, encode_landmarks, encode_report, encode_request)

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "face_report.py"
C_HEADER_DIR = ROOT / "docs" / "protocol"
C_DRIVER = ROOT / "tests" / "c" / "decode_stream.c"


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("face_report_tool", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def compile_decoder(out_dir: Path, max_frame: int | None = None) -> Path:
    """tests/c/decode_stream.c built with the system C compiler, warnings as errors."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.fail("no C compiler (cc or gcc) to build tests/c/decode_stream.c")
    exe = out_dir / f"decode_stream_{max_frame or 'default'}"
    define = [f"-DFR_MAX_FRAME={max_frame}"] if max_frame else []
    result = subprocess.run([cc, "-Wall", "-Wextra", "-Werror", "-std=c99", "-pedantic",
                             "-Wconversion", *define, f"-I{C_HEADER_DIR}", str(C_DRIVER),
                             "-o", str(exe)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return exe


# ---- random messages ---------------------------------------------------------------------


def _value(rng: random.Random, lo: float, hi: float) -> float:
    roll = rng.random()
    if roll < 0.03:
        return math.nan
    if roll < 0.05:
        return rng.choice((math.inf, -math.inf, 1e9, -1e9))
    return rng.uniform(lo, hi)


def random_face(rng: random.Random) -> FaceReport:
    return FaceReport(rng.choice((-1, rng.randrange(70000))),
                      (_value(rng, -50, 600), _value(rng, -50, 400), _value(rng, 0, 400),
                       _value(rng, 0, 400)),
                      _value(rng, 0, 1),
                      (_value(rng, -90, 90), _value(rng, -60, 60), _value(rng, -180, 180)),
                      (_value(rng, 0, 1.1), _value(rng, 0, 1.1)), _value(rng, 0, 1.2),
                      (_value(rng, -1, 1), _value(rng, -1, 1)), rng.randrange(70000),
                      rng.randrange(256),
                      rng.choice((None, *EXPRESSION_NAMES)), _value(rng, -0.1, 1.1),
                      tuple(e for e in EVENT_NAMES if rng.random() < 0.2),
                      rng.choice((None, None, *EXPRESSION_NAMES)), _value(rng, 0, 1))


def random_frame(rng: random.Random) -> bytes:
    """One intact protocol frame of any kind the stream may carry."""
    kind = rng.random()
    size = (rng.randrange(1, 4000), rng.randrange(1, 4000))
    if kind < 0.55:
        faces = [random_face(rng) for _ in range(rng.randrange(0, 11))]
        return encode_report(CMD_FACES, encode_faces(faces, rng.randrange(2**32), size))
    if kind < 0.62:
        n = rng.randrange(0, 5)
        shapes = [np.array([_value(rng, -0.1, 1.1) for _ in range(52)]) for _ in range(n)]
        ids = [rng.choice((-1, rng.randrange(65535))) for _ in range(n)]
        return encode_report(CMD_BLENDSHAPES, encode_blendshapes(ids, shapes, rng.randrange(99)))
    if kind < 0.7:
        n, k = rng.randrange(0, 4), rng.choice((5, 68))
        points = [np.array([[_value(rng, -10, 700), _value(rng, -10, 500)] for _ in range(k)])
                  for _ in range(n)]
        ids = [rng.choice((-1, rng.randrange(65535))) for _ in range(n)]
        return encode_report(CMD_LANDMARKS, encode_landmarks(ids, points, rng.randrange(99), size))
    if kind < 0.8:
        faces = [random_face(rng) for _ in range(rng.randrange(0, 4))]
        return Response(CMD_GET_FACES, encode_faces(faces, 3, size)).encode()
    if kind < 0.9:
        message = "".join(rng.choice("abc xyz\"\\") for _ in range(rng.randrange(0, 30)))
        return Response(rng.randrange(256), error=rng.randrange(1, 21), message=message).encode()
    if kind < 0.95:
        return encode_request(CMD_SET_REPORT, bytes([CMD_FACES, rng.randrange(2)]))
    # another command of the app (not 1..4: their bodies are checked before the CRC)
    return encode_report(rng.randrange(5, 0xC8), rng.randbytes(rng.randrange(0, 40)))


def _garbage(rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.4:
        return b""
    if roll < 0.7:
        return rng.randbytes(rng.randrange(1, 60))
    if roll < 0.85:  # header fragments
        return rng.randbytes(rng.randrange(4)) + HEADER[:rng.randrange(1, 4)]
    # a header with a bogus length (within and beyond any buffer) and some bytes
    return HEADER + struct.pack("<I", rng.choice((0, 3, rng.randrange(4, 3000), 2**31))) + \
        rng.randbytes(rng.randrange(0, 20))


def corrupt(rng: random.Random, frame: bytes) -> bytes:
    """`frame` with one kind of damage a UART or a restart causes."""
    data = bytearray(frame)
    how = rng.randrange(5)
    if how == 0:    # a flipped bit anywhere
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    elif how == 1:  # cut short (the next frame follows at once)
        del data[rng.randrange(1, len(data)):]
    elif how == 2:  # a wrong length field
        length = struct.unpack_from("<I", data, 4)[0]
        struct.pack_into("<I", data, 4, length + rng.choice((-3, -1, 1, 2, 200, 5000)) & 0xFFFFFFFF)
    elif how == 3:  # a broken header
        data[rng.randrange(4)] ^= 0xFF
    else:           # a wrong CRC
        data[-rng.randrange(1, 3)] ^= rng.randrange(1, 256)
    return bytes(data)


@dataclass(frozen=True)
class FuzzStream:
    data: bytes
    intact: tuple[bytes, ...]     # the frames that must come out, in order
    corrupted: int


def fuzz_stream(seed: int, frames: int = 300, corrupt_share: float = 0.3) -> FuzzStream:
    rng = random.Random(seed)
    parts, intact, bad = [], [], 0
    for _ in range(frames):
        parts.append(_garbage(rng))
        frame = random_frame(rng)
        if rng.random() < corrupt_share:
            parts.append(corrupt(rng, frame))
            bad += 1
        else:
            parts.append(frame)
            intact.append(frame)
    parts.append(_garbage(rng))
    return FuzzStream(b"".join(parts), tuple(intact), bad)


def split(rng: random.Random, data: bytes) -> list[bytes]:
    """`data` in random chunks: single bytes, a few, or long runs merging frames."""
    chunks, i = [], 0
    while i < len(data):
        n = rng.choice((1, 1, 2, 3, 7, 64, 500, 4096))
        chunks.append(data[i:i + n])
        i += n
    return chunks
