"""What bench/riscv_cost.sh counts on RISC-V runs here natively, on tiny settings, so it
cannot rot: the app's frame loop on a tape of real frames and real recorded model
outputs (camera, NPU, display and UART stood in for), marked at every stage, and the
blendshape network per evaluation on real faces. (The counted runs need root and QEMU;
tests/tools/test_riscv_cost.py checks the arithmetic on their logs.)"""
from __future__ import annotations

import json

import numpy as np
import pytest

from bench import riscv_loop
from tests.conftest import ROOT

FRAMES = 4


@pytest.fixture(scope="module")
def tapes(tmp_path_factory):
    if not (ROOT / "tests" / "data" / "single_face.mp4").exists():
        pytest.skip("tests/data missing: run tools/fetch_assets.py")
    folder = tmp_path_factory.mktemp("riscv")
    out = {}
    for faces in ("1", "4"):
        out[faces] = folder / f"tape-{faces}.npz"
        riscv_loop.record(faces, FRAMES, str(out[faces]))
    return out


@pytest.fixture
def marks(monkeypatch):
    """Fresh markers, off (natively fsync's number is another syscall: never issued)."""
    fresh = riscv_loop.Markers(enabled=False)
    monkeypatch.setattr(riscv_loop, "MARKS", fresh)
    return fresh


def test_markers_are_off_unless_the_machine_is_riscv64():
    assert riscv_loop.Markers()._syscall is None


@pytest.mark.parametrize("config", ["ours-1-mesh-signals_on", "ours-1-depth-signals_on",
                                    "ours-4-points-signals_on", "ours-4-mesh-signals_off"])
def test_the_loop_tracks_the_tapes_real_faces_and_marks_every_stage(tapes, marks, config):
    faces, view, signals = riscv_loop.parse(config)
    frames, clip = riscv_loop.load_tape(str(tapes[str(faces)]))
    assert frames.shape == (FRAMES, 224, 320, 3) and frames.dtype == np.uint8
    app, platform, port = riscv_loop.make_loop(config, frames, clip)
    with riscv_loop.marked_painters():
        while True:
            marks.next_frame()
            if not app.step():
                break
    assert platform.shown == FRAMES
    assert app.state.settings.view == view and app.state.settings.show_signals == signals
    assert port.sent_bytes > 0  # face reports built every frame
    stages = set(marks.names)
    # the signals are measured with SIG off too: the face reports carry them
    assert {"camera", "replay", "total", "render", "hud", "buttons", "report", "smooth",
            "signals", "display"} <= stages
    assert marks.stack == ["loop"]  # every enter left


def test_the_loop_finds_as_many_faces_as_the_scene_has(tapes, marks):
    for config, expected in (("ours-1-mesh-signals_on", 1), ("ours-4-mesh-signals_on", 4)):
        frames, clip = riscv_loop.load_tape(str(tapes[config.split("-")[1]]))
        app, platform, port = riscv_loop.make_loop(config, frames, clip)
        seen = []
        sink = app.sinks[0]
        write = sink.write
        sink.write = lambda index, size, faces, ms: (seen.append(len(faces)),
                                                     write(index, size, faces, ms))
        app.run()
        assert seen == [expected] * FRAMES


def test_painters_are_restored_after_a_marked_run():
    from app.core import app_loop
    from app.core.render import painters

    draw_ui, hud = app_loop.draw_ui, painters.hud
    with riscv_loop.marked_painters():
        assert app_loop.draw_ui is not draw_ui and painters.hud is not hud
    assert app_loop.draw_ui is draw_ui and painters.hud is hud


def test_count_writes_the_stage_table_the_harness_reads(tapes, marks, tmp_path):
    labels = tmp_path / "labels.json"
    riscv_loop.count("ours-1-points-signals_on", str(tapes["1"]), str(labels))
    table = json.loads(labels.read_text())
    assert table["0"] == "interpreter"  # the first segment: interpreter start to here
    assert "harness" in table.values() and "render" in table.values()
    assert marks.frame == FRAMES


def test_blendshape_evaluations_are_the_networks_on_real_faces(marks, tmp_path):
    from app.core.expressions.network import WEIGHTS as weights, BlendshapeNetwork

    inputs = riscv_loop.peer_inputs()
    assert len(inputs) >= 8 and all(p.shape == (146, 2) for p in inputs)
    outputs = riscv_loop.blendshapes(3, str(tmp_path / "labels.json"), str(weights))
    network = BlendshapeNetwork(weights)
    for points, out in zip(inputs, outputs):
        assert out.shape == (52,) and np.array_equal(out, network(points))
        assert 0.0 <= out.min() and out.max() <= 1.0
    assert "blendshape" in json.loads((tmp_path / "labels.json").read_text()).values()
