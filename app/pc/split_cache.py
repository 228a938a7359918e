"""The attention model's cut (attention_split.py), kept on disk next to the model.

Cutting the model at every start cost 1.2 billion instructions (0.2-0.4 s) and the import
of LiteRT's flatbuffer schema. So the two parts and what `SplitModel` says about them
are written once, by tools/fetch_assets.py or at the first load:

    <models>/.cache/face_landmark_with_attention/first.tflite, second.tflite, split.json

split.json says which model the cut was made from (its size, modification time and
sha256) and each part's size and CRC-32. A load takes the model as unchanged when its
size and modification time are those recorded (as Python checks its own bytecode cache)
and hashes it only when they are not (a copy, a touch: still the same content, the stamp
is renewed); it checks every part's size and CRC-32 (0.5 ms), then reads the rest back
exactly (floats as Python reprs, which round-trip). A stale entry (another model) or a
corrupt one is cut again and rewritten, with a warning; a folder that cannot be written
(read-only) gets the cut in memory at every start, silently. Only a cut imports the
flatbuffer schema.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .attention_split import RefinedOutput, RefineRegion, SplitModel, split_model
from .litert import ModelError

CACHE_DIR = ".cache"
FORMAT = 1  # bump when split.json or the parts change meaning
PARTS = ("first", "second")
META = "split.json"


def _stderr_warning(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def cache_entry(model: Path) -> Path:
    """The folder of the cut of the model file `model`."""
    return model.parent / CACHE_DIR / model.stem


def load_split(model: Path, warn: Callable[[str], None] = _stderr_warning) -> SplitModel:
    """The cut of the attention model file `model`: from the cache if it is there and
    sound, else cut now (and cached, if the folder can be written).
    Raises ModelError for a model that cannot be read or cut."""
    entry = cache_entry(model)
    try:
        stamp = _stamp(model)
    except OSError as err:
        raise ModelError(f"cannot load model {model}: {err.strerror or err}") from err
    if (entry / META).exists():
        try:
            return _load(entry, model, stamp)
        except _Unsound as err:
            warn(f"the cached cut of {model.name} in {entry} is unusable ({err}): "
                 "cutting the model again")
    content = _read_model(model)
    parts = _cut(content, model)
    _write(entry, parts, stamp, _sha256(content))
    return parts


def _stamp(model: Path) -> list[int]:
    """What says the model file is unchanged: [size, modification time in ns]."""
    info = model.stat()
    return [info.st_size, info.st_mtime_ns]


def _sha256(data: bytes) -> str:
    import hashlib  # here: loading OpenSSL is 10 million instructions a start never needs

    return hashlib.sha256(data).hexdigest()


def _read_model(model: Path) -> bytes:
    try:
        return model.read_bytes()
    except OSError as err:
        raise ModelError(f"cannot load model {model}: {err.strerror or err}") from err


def _cut(content: bytes, model: Path) -> SplitModel:
    try:
        return split_model(content, str(model))
    except ModelError:
        raise
    except Exception as err:  # a corrupt flatbuffer fails anywhere in the parser
        raise ModelError(f"cannot load model {model}: {type(err).__name__}: {err}") from err


class _Unsound(Exception):
    """A cache entry that is not a faithful copy of the cut (the message says why)."""


def _load(entry: Path, model: Path, stamp: list[int]) -> SplitModel:
    """The cut in `entry`, if it was made from `model` as it is now and is intact."""
    try:
        meta = json.loads((entry / META).read_text())
        if meta.get("format") != FORMAT:
            raise _Unsound(f"format {meta.get('format')}, expected {FORMAT}")
        if meta["model"]["stamp"] != stamp:  # touched, copied or replaced: compare contents
            if meta["model"]["sha256"] != _sha256(_read_model(model)):
                raise _Unsound("made from another version of the model")
            meta["model"]["stamp"] = stamp
            _write_meta(entry, meta)
        content = {}
        for part in PARTS:
            data = (entry / f"{part}.tflite").read_bytes()
            want = meta["parts"][part]
            if len(data) != want["size"] or zlib.crc32(data) != want["crc32"]:
                raise _Unsound(f"{part}.tflite is not the part that was written")
            content[part] = data
        return _from_json(meta, content["first"], content["second"])
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as err:
        raise _Unsound(f"{type(err).__name__}: {err}") from err


def _write(entry: Path, parts: SplitModel, stamp: list[int], sha256: str) -> None:
    """Store the cut in `entry`, whole or not at all (nothing if the folder cannot be
    written): the files go into a new folder, renamed into place at the end."""
    root = entry.parent
    staging: str | None = None
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=f".{entry.name}-", dir=root)
        os.chmod(staging, 0o755)  # mkdtemp's 0o700 would hide it from other users
        for part, data in zip(PARTS, (parts.first, parts.second)):
            Path(staging, f"{part}.tflite").write_bytes(data)
        meta = _to_json(parts, {"stamp": stamp, "sha256": sha256})
        Path(staging, META).write_text(json.dumps(meta, indent=1))
        if entry.exists():  # a stale or corrupt copy
            shutil.rmtree(entry)
        os.replace(staging, entry)
    except OSError:  # read-only, full, or another process got there first
        pass
    finally:
        if staging is not None and os.path.isdir(staging):
            shutil.rmtree(staging, ignore_errors=True)


def _write_meta(entry: Path, meta: dict[str, Any]) -> None:
    """Rewrite split.json alone (a renewed stamp); a folder that cannot be written keeps
    the old one, which only costs a hash at the next start."""
    staging = entry / f".{META}.part"
    try:
        staging.write_text(json.dumps(meta, indent=1))
        os.replace(staging, entry / META)
    except OSError:
        with contextlib.suppress(OSError):
            staging.unlink(missing_ok=True)


def _to_json(parts: SplitModel, model: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "model": model,
        "parts": {part: {"size": len(data), "crc32": zlib.crc32(data)}
                  for part, data in zip(PARTS, (parts.first, parts.second))},
        "mesh": parts.mesh, "flag": parts.flag, "feature_map": parts.feature_map,
        "region_inputs": list(parts.region_inputs),
        "regions": [{"subset": [int(i) for i in r.subset], "left": r.left, "right": r.right,
                     "size": list(r.size), "scale": list(r.scale),
                     "target_rotation": r.target_rotation} for r in parts.regions],
        "crops": list(parts.crops),
        "refined": [{"name": r.name, "points": r.points, "region": r.region,
                     "matrix_scale": [float(v) for v in r.matrix_scale.reshape(-1)]}
                    for r in parts.refined],
    }


def _from_json(meta: dict[str, Any], first: bytes, second: bytes) -> SplitModel:
    regions = tuple(
        RefineRegion(np.asarray(r["subset"], np.intp), int(r["left"]), int(r["right"]),
                     (int(r["size"][0]), int(r["size"][1])),
                     (float(r["scale"][0]), float(r["scale"][1])), float(r["target_rotation"]))
        for r in meta["regions"])
    refined = tuple(
        RefinedOutput(str(r["name"]), str(r["points"]), int(r["region"]),
                      np.asarray(r["matrix_scale"], np.float32).reshape(4, 4))
        for r in meta["refined"])
    return SplitModel(first, second, str(meta["mesh"]), str(meta["flag"]),
                      str(meta["feature_map"]), tuple(str(n) for n in meta["region_inputs"]),
                      regions, tuple(str(n) for n in meta["crops"]), refined)
