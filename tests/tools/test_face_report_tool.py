"""tools/face_report.py: the stand-alone receiver. On the real MaixPy encoder's stream
(tests/fixtures/report_golden.bin), on fuzzed streams, through a file, stdin and a
(missing) serial port, and against the app's own layout table."""
from __future__ import annotations

import json
import math
import random
import subprocess
import sys

import pytest

from app.core import report as core
from app.core.expressions import tables
from app.core.report import (CMD_FACES, FaceReporter, decode_blendshapes, decode_faces,
                             decode_landmarks)
from app.pc.report_file import ReportFile
from tests._report_cases import GOLDEN_BIN, GOLDEN_JSON, face_reports
from tests._report_streams import TOOL, fuzz_stream, load_tool, split

GOLDEN = json.loads(GOLDEN_JSON.read_text())["messages"]


@pytest.fixture(scope="module")
def tool():
    return load_tool()


def run_tool(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *args], input=stdin, capture_output=True)


def json_lines(text: bytes) -> list[dict]:
    return [json.loads(line) for line in text.decode().splitlines()]


def test_the_tools_table_is_the_apps(tool):
    assert tool.FACE_FIELDS == tuple((f.key, f.name, f.code, f.scale, f.counter, f.labels,
                                      f.since) for f in core.FACE_FIELDS)
    assert tool.SENTINELS == tuple(f.sentinel for f in core.FACE_FIELDS)
    assert tool.FACE_HEADER.format == core.FACE_HEADER.format
    assert [s.format for s in tool.RECORD_STRUCTS] == [
        core.RECORD_STRUCTS[n].format for n in sorted(core.RECORD_STRUCTS)]
    assert tool.LANDMARK_HEADER.format == core.LANDMARK_HEADER.format
    assert tool.BLENDSHAPE_HEADER.format == core.BLENDSHAPE_HEADER.format
    assert tool.LANDMARK_SCALE == core.LANDMARK_SCALE
    assert tool.BLENDSHAPE_SCALE == core.BLENDSHAPE_SCALE
    assert tool.LAYOUT_VERSION == core.LAYOUT_VERSION and tool.HEADER == core.HEADER
    assert tool.RECORD_LAYOUT == core.RECORD_LAYOUT
    assert (tool.CMD_FACES, tool.CMD_GET_FACES, tool.CMD_LANDMARKS, tool.CMD_BLENDSHAPES,
            tool.CMD_SET_REPORT) == (core.CMD_FACES, core.CMD_GET_FACES, core.CMD_LANDMARKS,
                                     core.CMD_BLENDSHAPES, core.CMD_SET_REPORT)
    assert tool.EXPRESSION_NAMES == tables.EXPRESSION_NAMES
    assert tool.EVENT_NAMES == tables.EVENT_NAMES
    assert tool.BLENDSHAPE_NAMES == tables.BLENDSHAPE_NAMES


def _same(a, b, tolerance: float = 0.0) -> bool:
    """JSON value `a` (None = NaN or None) against a decoded value `b`; numbers within
    `tolerance` (the tool gives u8 0..1 columns to 3 decimals)."""
    if isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y, tolerance) for x, y in zip(a, b))
    if a is None:
        return b is None or (isinstance(b, float) and math.isnan(b))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= tolerance
    return a == b


U8_SCALED = {f.key for f in core.FACE_FIELDS if f.scale == 255}


def test_golden_stream_decodes_to_what_the_app_encoded():
    result = run_tool(str(GOLDEN_BIN))
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    assert [(m["cmd"], m["kind"]) for m in lines] == [(g["cmd"], g["kind"]) for g in GOLDEN]
    for line, gold in zip(lines, GOLDEN):
        body = bytes.fromhex(gold["body"])
        if "faces" in line:
            ref = decode_faces(body)
            assert (line["version"], line["frame"], tuple(line["image"])) == (
                ref.version, ref.frame, ref.image_size)
            for face, want in zip(line["faces"], ref.faces, strict=True):
                assert list(face) == list(dict.fromkeys(f.key for f in core.FACE_FIELDS))
                for key in face:
                    assert _same(face[key], getattr(want, key),
                                 5e-4 if key in U8_SCALED else 0.0), (gold["name"], key)
        elif "landmarks" in line:
            ref = decode_landmarks(body)
            assert [f["track_id"] for f in line["landmarks"]] == list(ref.track_ids)
            assert _same([f["points"] for f in line["landmarks"]], ref.points.tolist())
        elif "blendshapes" in line:
            ref = decode_blendshapes(body)
            assert [f["track_id"] for f in line["blendshapes"]] == list(ref.track_ids)
            for face, want in zip(line["blendshapes"], ref.values, strict=True):
                assert list(face["values"]) == list(tables.BLENDSHAPE_NAMES)
                assert _same(list(face["values"].values()), want.tolist(), 5e-4)
        elif line["kind"] == "resp_err":
            assert (line["error"], line["message"]) == (gold["error"], gold["message"])
        else:
            assert line["body"] == gold["body"], gold["name"]
    assert {line["name"] for line in lines} >= {"CMD_FACES", "CMD_LANDMARKS",
                                                "CMD_BLENDSHAPES", "CMD_SET_REPORT"}
    assert b"20 messages, 0 bytes skipped" in result.stderr


def test_round_trip_file_to_json_within_the_scale(tmp_path):
    """App encodes real faces to a report file -> the tool (a subprocess) -> the values."""
    faces = [face for _, _, face, _ in face_reports()]
    path = tmp_path / "faces.bin"
    with ReportFile(path) as out:
        for start in range(0, len(faces), 3):
            out.send_frame(faces[start:start + 3], (1280, 720))
        out.send_frame([], (1280, 720))
    result = run_tool(str(path))
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    assert [m["frame"] for m in lines] == list(range(6)) and lines[-1]["faces"] == []
    got = [face for line in lines for face in line["faces"]]
    assert len(got) == len(faces)
    for face, want in zip(got, faces):
        # names back to ids and bits, null to NaN: the row's columns
        face = dict(face, expression=core._label_id(face["expression"]),
                    emotion=core._label_id(face["emotion"]),
                    events=core._event_bits(face["events"]))
        columns = [math.nan if v is None else v
                   for key in dict.fromkeys(f.key for f in core.FACE_FIELDS)
                   for v in (face[key] if isinstance(face[key], list) else [face[key]])]
        for f, decoded, expected in zip(core.FACE_FIELDS, columns, want.row(), strict=True):
            if math.isnan(expected):
                assert math.isnan(decoded), f.name
                continue
            # u8 0..1 columns: half a step, then the tool's 3 decimals
            slack = 5e-4 if f.scale == 255 else 1e-9
            assert abs(decoded - expected) <= 0.5 / f.scale + slack, (f.name, decoded, expected)
    assert any(face["expression"] == "happy" and face["events"] == ["smile"] for face in got)
    assert all(line["image"] == [1280, 720] and line["name"] == "CMD_FACES" for line in lines)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fuzzed_stream_in_random_chunks_keeps_every_intact_frame(tool, seed):
    stream = fuzz_stream(seed)
    assert stream.corrupted > 50 and len(stream.intact) > 150
    skips = []
    parser = tool.FrameParser(lambda *run: skips.append(run))
    got = []
    for chunk in split(random.Random(seed), stream.data):
        got += parser.feed(chunk)
    got += parser.finish()
    assert got == [(f[8], f[9], f[10:-2]) for f in stream.intact]
    assert parser.frames == len(stream.intact) and parser.rejected >= stream.corrupted // 2
    assert parser.skipped == len(stream.data) - sum(len(f) for f in stream.intact)
    assert sum(count for _, count, _ in skips) == parser.skipped


def test_fuzzed_stream_through_stdin_json_on_stdout_drops_on_stderr(tool):
    stream = fuzz_stream(4, frames=200)
    result = run_tool("-", stdin=stream.data)
    assert result.returncode == 0
    lines = json_lines(result.stdout)   # nothing but JSON on stdout
    assert len(lines) == len(stream.intact)
    assert lines == [tool.decode_message(f[8], f[9], f[10:-2]) for f in stream.intact]
    errors = result.stderr.decode().splitlines()
    assert any("skipped" in e and "bad frame" in e for e in errors)
    assert errors[-1].startswith(f"face_report: {len(stream.intact)} messages, ")


def test_layout_version_mismatch_is_reported_not_guessed(tool):
    body = bytearray(core.encode_faces([face_reports()[0][2]], 1, (320, 224)))
    body[0] = 9
    result = run_tool("-", stdin=core.encode_report(CMD_FACES, bytes(body)))
    (line,) = json_lines(result.stdout)
    assert "faces" not in line and "layout version 9" in line["decode_error"]
    assert line["body"] == body.hex()
    assert b"layout version 9" in result.stderr


def test_other_messages_as_sensibly_as_possible(tool):
    rep = FaceReporter()
    stream = (core.encode_request(core.CMD_SET_REPORT, bytes([CMD_FACES, 0, 1, 0xE8, 3, 0, 0]))
              + rep.request(core.CMD_SET_REPORT, b"\x01").encode()
              + rep.request(core.CMD_GET_FACES, b"").encode()
              + core.encode_report(0x77, b"\x01\x02"))
    set_req, set_ok, not_ready, unknown = json_lines(run_tool("-", stdin=stream).stdout)
    assert set_req["kind"] == "request" and set_req["set_report"] == {
        "target": 1, "on": 0, "event": 1, "timer_ms": 1000}
    assert (set_ok["name"], set_ok["kind"], set_ok["body"]) == ("CMD_SET_REPORT", "resp_ok", "01")
    assert (not_ready["kind"], not_ready["error"]) == ("resp_err", core.ERR_NOT_READY)
    assert not_ready["message"] == "no frame processed yet"
    assert (unknown["name"], unknown["body"]) == ("0x77", "0102")


def test_a_serial_port_without_pyserial_is_a_clear_error(tmp_path):
    try:
        import serial  # noqa: F401
        pytest.skip("pyserial is installed here")
    except ImportError:
        pass
    result = run_tool("COM3", "--baud", "115200")  # a port name; /dev/ ones are checked first
    assert result.returncode != 0 and result.stdout == b""
    assert b"needs pyserial" in result.stderr


def test_a_missing_file_is_one_error_line():
    result = run_tool("/nonexistent/faces.bin")
    assert result.returncode == 2 and result.stderr.startswith(b"error: ")


def test_the_tool_is_stdlib_only():
    import ast
    tree = ast.parse(TOOL.read_text())
    top = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
           for a in n.names}
    top |= {n.module.split(".")[0] for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.module and n.level == 0}
    assert top - {"__future__"} <= set(sys.stdlib_module_names) | {"serial"}
    assert "app" not in top
