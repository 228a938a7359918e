"""The PC command line as tests and benchmarks use it: python main.py --source ..."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import DATA, ROOT, read_jsonl, run_main


def test_portrait_to_jsonl_gives_478_points_on_the_face(tmp_path):
    out = tmp_path / "out.jsonl"
    result = run_main("--source", str(DATA / "astronaut.png"), "--json", str(out), "--headless")
    assert result.returncode == 0, result.stderr
    (line,) = read_jsonl(out)
    assert line["frame"] == 0
    (face,) = line["faces"]
    points = np.asarray(face["points"])
    assert points.shape == (478, 2) and len(face["points_z"]) == 478
    x, y, w, h = face["box"]
    assert 0.9 < face["score"] <= 1.0
    # The astronaut's face: centre of the mesh inside the detector box, mesh ~ box size.
    cx, cy = points.mean(axis=0)
    assert x < cx < x + w and y < cy < y + h
    assert 0.5 * w < np.ptp(points[:, 0]) < 2.0 * w
    assert {"detect", "landmarks"} <= set(line["ms"])


def test_video_to_jsonl_one_line_per_frame_with_max_faces(tmp_path):
    out = tmp_path / "video.jsonl"
    result = run_main("--source", str(DATA / "single_face.mp4"), "--json", str(out),
                      "--headless", "--max-faces", "1")
    assert result.returncode == 0, result.stderr
    lines = read_jsonl(out)
    assert [line["frame"] for line in lines] == list(range(72))
    assert all(len(line["faces"]) == 1 for line in lines)


@pytest.mark.parametrize("source, message", [
    ("tests/data/does_not_exist.jpg", "no such file"),
    ("tests", "no images in the folder tests"),
    ("main.py", "cannot read video"),
])
def test_unreadable_source_is_one_line_and_exit_2(source, message):
    result = run_main("--source", source, "--headless")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0]


def test_corrupt_image_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    result = run_main("--source", str(bad), "--headless")
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: cannot read image: {bad}"


def test_help_documents_every_option():
    result = run_main("--help")
    assert result.returncode == 0
    for option in ("--source", "--json", "--output", "--headless", "--max-faces", "--view",
                   "--backend"):
        assert option in result.stdout


def test_image_output_and_views(tmp_path):
    for view in ("mesh", "points", "depth"):
        png = tmp_path / f"{view}.png"
        result = run_main("--source", str(DATA / "astronaut.png"), "--output", str(png),
                          "--headless", "--view", view)
        assert result.returncode == 0, result.stderr
        import cv2
        drawn = cv2.imread(str(png))
        original = cv2.imread(str(DATA / "astronaut.png"))
        assert drawn.shape == original.shape
        assert (np.abs(drawn.astype(int) - original.astype(int)).sum(axis=2) > 30).mean() > 0.003


def test_headless_without_outputs_writes_to_out(tmp_path):
    """--headless alone still gives the user something: out/<source>_landmarks.*"""
    still = tmp_path / "portrait.png"
    import shutil
    shutil.copy(DATA / "astronaut.png", still)
    result = run_main("--source", str(still), "--headless")
    assert result.returncode == 0, result.stderr
    png, jsonl = ROOT / "out" / "portrait_landmarks.png", ROOT / "out" / "portrait_landmarks.jsonl"
    try:
        assert png.exists() and len(read_jsonl(jsonl)[0]["faces"]) == 1
    finally:
        png.unlink(missing_ok=True)
        jsonl.unlink(missing_ok=True)


def test_signals_in_the_json_lines_and_the_report_stream_agree(tmp_path):
    """A real video: every JSON face has its signals (exactly the documented keys), the
    report stream decodes to one face report per frame with the same values, and the
    clip's one blink is counted."""
    out, report = tmp_path / "run.jsonl", tmp_path / "run.bin"
    result = run_main("--source", str(DATA / "single_face.mp4"), "--json", str(out),
                      "--report", str(report), "--headless", "--max-faces", "1")
    assert result.returncode == 0, result.stderr
    lines = read_jsonl(out)
    decoded = subprocess.run([sys.executable, str(ROOT / "tools" / "face_report.py"),
                              str(report)], capture_output=True, text=True, timeout=60)
    assert decoded.returncode == 0, decoded.stderr
    messages = [json.loads(line) for line in decoded.stdout.splitlines()]
    assert [m["frame"] for m in messages] == [line["frame"] for line in lines]
    for line, message in zip(lines, messages):
        (face,) = line["faces"]
        (sent,) = message["faces"]
        signals = face["signals"]
        assert set(signals) == {"pose", "eyes", "mouth", "gaze", "blinks", "eyes_closed_s",
                                "eyes_closed_long"}
        assert sent["track_id"] == face["track_id"] and sent["blinks"] == signals["blinks"]
        np.testing.assert_allclose(sent["pose"], signals["pose"], atol=0.06)
        np.testing.assert_allclose(sent["eyes"] + [sent["mouth"]],
                                   signals["eyes"] + [signals["mouth"]], atol=0.0015)
        np.testing.assert_allclose(sent["box"], face["box"], atol=1.0)
    assert lines[-1]["faces"][0]["signals"]["blinks"] == 1


def test_expressions_in_the_json_lines(tmp_path):
    """Each face of a real clip carries its 52 blendshapes (MediaPipe's names, in order,
    3 decimals), its named expression, score and events: the man talking reads neutral,
    then happy once he smiles; the labelled portraits read as labelled."""
    from app.core.expressions.reader import READ_EXPRESSIONS
    from app.core.expressions.tables import BLENDSHAPE_NAMES, EVENT_NAMES

    out = tmp_path / "video.jsonl"
    result = run_main("--source", str(DATA / "single_face.mp4"), "--json", str(out),
                      "--headless", "--max-faces", "1")
    assert result.returncode == 0, result.stderr
    faces = [line["faces"][0] for line in read_jsonl(out)]
    for face in faces:
        assert list(face["blendshapes"]) == list(BLENDSHAPE_NAMES)
        values = list(face["blendshapes"].values())
        assert all(0.0 <= v <= 1.0 and round(v, 3) == v for v in values)
        assert face["expression"] in READ_EXPRESSIONS
        assert 0.0 <= face["expression_score"] <= 1.0
        assert set(face["events"]) <= set(EVENT_NAMES)
    names = [face["expression"] for face in faces]
    assert names[0] == "neutral" and names[40:70] == ["happy"] * 30
    assert "smile" in faces[50]["events"]

    folder = tmp_path / "portraits"
    folder.mkdir()
    labels = {"0-f1-su-ph.jpg": "surprise", "0-f15-hao-ph.jpg": "happy",
              "15-f13-anc-ph.jpg": "neutral", "45-m7-di-ph.jpg": "neutral"}
    for name in labels:
        (folder / name).symlink_to(DATA / name)
    out = tmp_path / "portraits.jsonl"
    result = run_main("--source", str(folder), "--json", str(out), "--headless")
    assert result.returncode == 0, result.stderr
    read = {Path(line["source"]).name: line["faces"][0]["expression"] for line in read_jsonl(out)}
    assert read == labels


@pytest.mark.parametrize("missing", [
    "face_detection_short_range.tflite",
    "face_detection_full_range_sparse.tflite",  # built on first use
    "face_landmarks_detector.tflite",
    "face_landmark.tflite",  # built only when a face is uncertain
    "face_blendshapes.tflite",  # built at the first expression
])
def test_a_missing_model_fails_at_start_up_in_one_line_and_exit_2(tmp_path, missing):
    models = tmp_path / "models"
    models.mkdir()
    for model in (ROOT / "models" / "pc").glob("*.tflite"):
        if model.name != missing:
            (models / model.name).symlink_to(model)
    settings = tmp_path / "config.ini"
    settings.write_text(f"[settings]\npc.models_dir = {models}\n")
    out = tmp_path / "out.jsonl"
    for source in ("astronaut.png", "single_face.mp4"):
        result = run_main("--source", str(DATA / source), "--json", str(out), "--headless",
                          "--settings", str(settings))
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            f"error: model not found: {models / missing} (run ./build.sh setup to fetch the "
            "PC models)"]
        assert not out.exists()  # before the first frame


def test_a_headless_still_loads_no_window_and_no_model_surgery(tmp_path):
    """What a one-photo run imports: not pygame (no window), not the flatbuffer schema
    (no model is taken apart), not ml_dtypes (LiteRT's tensor-buffer wrapper)."""
    out = tmp_path / "out.jsonl"
    code = ("import sys\n"
            "from app.launch import run\n"
            f"code = run(['--source', {str(DATA / 'obama.jpg')!r}, '--json', {str(out)!r}, "
            "'--headless'])\n"
            "print(code, sorted(m for m in ('pygame', 'ai_edge_litert.schema_py_generated', "
            "'flatbuffers', 'ml_dtypes') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 []"
    assert len(read_jsonl(out)[0]["faces"]) == 1
