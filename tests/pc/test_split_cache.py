"""The attention model's cut kept on disk: made once, read back bit for bit, never trusted
when it does not match, and never needed when the folder cannot be written."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import fields

import numpy as np
import pytest

from app.pc import split_cache
from app.pc.attention import AttentionMesh
from app.pc.attention_split import ATTENTION_MODEL
from app.pc.attention_split import SplitModel, split_model
from app.pc.split_cache import META, cache_entry, load_split
from conftest import ROOT


@pytest.fixture
def model(models_dir, tmp_path):
    """A copy of the attention model in a folder of its own (no cache yet)."""
    path = tmp_path / ATTENTION_MODEL
    shutil.copy(models_dir / ATTENTION_MODEL, path)
    return path


@pytest.fixture(scope="module")
def in_memory(models_dir) -> SplitModel:
    return split_model((models_dir / ATTENTION_MODEL).read_bytes())


def refuse_cutting(monkeypatch) -> None:
    """From now on a load fails if it cuts the model instead of reading the cache."""
    def refuse(*args, **kwargs):
        raise AssertionError("the model was cut again")
    monkeypatch.setattr(split_cache, "split_model", refuse)


def read_only(folder):
    """Make `folder` unable to hold a cache (a file where the cache folder goes: a real
    OSError even for root, whom permissions do not stop)."""
    (folder / split_cache.CACHE_DIR).write_text("not a folder")


class Warnings(list):
    def __call__(self, message: str) -> None:
        self.append(message)


def assert_same_cut(got: SplitModel, want: SplitModel) -> None:
    assert got.first == want.first and got.second == want.second  # the very bytes
    for field in fields(SplitModel):
        a, b = getattr(got, field.name), getattr(want, field.name)
        if field.name in ("regions", "refined"):
            assert len(a) == len(b)
            for x, y in zip(a, b):
                for part in fields(x):
                    u, v = getattr(x, part.name), getattr(y, part.name)
                    if isinstance(v, np.ndarray):
                        assert u.dtype == v.dtype
                        np.testing.assert_array_equal(u, v)
                    else:
                        assert u == v and type(u) is type(v)
        else:
            assert a == b


def test_the_first_load_writes_the_cut_and_the_next_reads_it_bit_identical(
        model, in_memory, monkeypatch):
    warnings = Warnings()
    assert_same_cut(load_split(model, warnings), in_memory)
    entry = cache_entry(model)
    assert sorted(p.name for p in entry.iterdir()) == ["first.tflite", "second.tflite", META]
    assert (entry / "first.tflite").read_bytes() == in_memory.first
    refuse_cutting(monkeypatch)
    assert_same_cut(load_split(model, warnings), in_memory)  # read back, not cut again
    assert warnings == []


def test_the_cached_parts_answer_as_the_parts_cut_in_memory(model, tmp_path, monkeypatch):
    load_split(model)
    memory_dir = tmp_path / "read-only"
    memory_dir.mkdir()
    read_only(memory_dir)
    shutil.copy(model, memory_dir / ATTENTION_MODEL)
    in_memory = AttentionMesh(memory_dir / ATTENTION_MODEL, 1)
    refuse_cutting(monkeypatch)
    cached = AttentionMesh(model, 1)
    crop = np.random.default_rng(0).random((1, 192, 192, 3), dtype=np.float32)
    xyz = []
    for mesh in (cached, in_memory):
        mesh.input()[...] = crop
        points = np.zeros((478, 3), np.float32)
        mesh.mesh(points)
        mesh.refine(points)
        xyz.append(points)
    np.testing.assert_array_equal(xyz[0], xyz[1])


def test_a_touched_model_is_compared_by_content_not_cut_again(model, in_memory, monkeypatch):
    load_split(model)
    os.utime(model, ns=(1_000_000_000, 1_000_000_000))  # same content, another time stamp
    refuse_cutting(monkeypatch)
    warnings = Warnings()
    assert_same_cut(load_split(model, warnings), in_memory)
    assert warnings == []
    meta = json.loads((cache_entry(model) / META).read_text())
    assert meta["model"]["stamp"] == [model.stat().st_size, 1_000_000_000]  # renewed
    assert meta["model"]["sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()


def _flip_a_byte(entry):
    part = entry / "first.tflite"
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one weight changed
    part.write_bytes(bytes(data))


def _truncate(entry):
    part = entry / "second.tflite"
    part.write_bytes(part.read_bytes()[:1000])


def _garbage_meta(entry):
    (entry / META).write_text("{ not json")


def _old_format(entry):
    meta = json.loads((entry / META).read_text())
    meta["format"] = 0
    (entry / META).write_text(json.dumps(meta))


def _lose_a_part(entry):
    (entry / "second.tflite").unlink()


def _meta_without_parts(entry):
    meta = json.loads((entry / META).read_text())
    del meta["parts"]
    (entry / META).write_text(json.dumps(meta))


@pytest.mark.parametrize("damage, reason", [
    (_flip_a_byte, "first.tflite is not the part that was written"),
    (_truncate, "second.tflite is not the part that was written"),
    (_garbage_meta, "JSONDecodeError"),
    (_old_format, "format 0, expected"),
    (_lose_a_part, "FileNotFoundError"),
    (_meta_without_parts, "KeyError"),
])
def test_a_corrupt_cache_is_said_and_rebuilt(model, in_memory, monkeypatch, damage, reason):
    load_split(model)
    damage(cache_entry(model))
    warnings = Warnings()
    assert_same_cut(load_split(model, warnings), in_memory)
    (message,) = warnings
    assert reason in message and ATTENTION_MODEL in message and "cutting the model again" in message
    refuse_cutting(monkeypatch)  # rebuilt: the next load reads it
    warnings.clear()
    assert_same_cut(load_split(model, warnings), in_memory)
    assert warnings == []


def test_a_replaced_model_makes_the_cache_stale(model, in_memory):
    load_split(model)
    model.write_bytes(model.read_bytes() + b"\0" * 16)  # another file, the same graph
    warnings = Warnings()
    assert_same_cut(load_split(model, warnings), in_memory)
    (message,) = warnings
    assert "made from another version of the model" in message
    meta = json.loads((cache_entry(model) / META).read_text())
    assert meta["model"]["stamp"][0] == model.stat().st_size  # rebuilt for the new file


def test_a_folder_that_cannot_be_written_cuts_in_memory(model, in_memory):
    read_only(model.parent)
    for _ in range(2):
        warnings = Warnings()
        assert_same_cut(load_split(model, warnings), in_memory)
        assert warnings == []  # it works, silently
    assert sorted(p.name for p in model.parent.iterdir()) == [".cache", ATTENTION_MODEL]
    assert (model.parent / ".cache").is_file()


def test_loading_from_the_cache_imports_neither_the_schema_nor_ml_dtypes(models_dir):
    load_split(models_dir / ATTENTION_MODEL)  # the cache exists
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from app.pc import split_cache\n"
        "from app.pc.attention import AttentionMesh\n"
        "split_cache.split_model = None\n"  # a cut would fail
        f"AttentionMesh(Path({str(models_dir / ATTENTION_MODEL)!r}), 1)\n"
        "print(sorted(m for m in ('ai_edge_litert.schema_py_generated', 'flatbuffers',\n"
        "                         'ml_dtypes', 'ai_edge_litert.tensor_buffer')\n"
        "             if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
