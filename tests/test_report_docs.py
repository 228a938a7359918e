"""The reporting documentation says what the code does: the README's record table is
FACE_FIELDS, the request bytes in docs/protocol/README.md are valid frames, and its Arduino
sketch builds (against a small Arduino stand-in, warnings as errors) and prints the faces
of the real MaixPy encoder's stream."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app.core import report as core
from app.core.expressions import tables
from app.core.report import CMD_FACES, CMD_GET_FACES, CMD_SET_REPORT, FaceReporter
from tests._report_cases import GOLDEN_BIN
from tests._report_streams import C_HEADER_DIR, load_tool

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
PROTOCOL_README = (C_HEADER_DIR / "README.md").read_text()
TYPES = {"H": "u16", "h": "i16", "B": "u8"}


def test_readme_record_table_is_the_field_table():
    keys = [f.key for f in core.FACE_FIELDS]
    offset, rows = 0, []
    for f in core.FACE_FIELDS:
        same_key = [g for g in core.FACE_FIELDS if g.key == f.key]
        json_key = f.key if len(same_key) == 1 else f"{f.key}[{same_key.index(f)}]"
        rows.append(f"| {offset} | `{f.name}` | `{json_key}` | {TYPES[f.code]} | x{f.scale} | "
                    f"{f.unit or '-'} | {f.doc} |")
        offset += f.bits // 8
    table = [line for line in README.splitlines() if re.match(r"\| \d+ \| `", line)]
    assert table == rows
    assert len(set(keys)) == 14
    assert f"layout version {core.LAYOUT_VERSION}" in README
    assert f"{core.FACE_HEADER.size} bytes" in README and f"u8 ({core.FACE_RECORD.size};" in README
    assert f"**Record layout {core.RECORD_LAYOUT}** appends the five columns from offset " \
           f"{core.FACE_RECORD_V1.size}" in README
    for name in ("CMD_FACES", "CMD_GET_FACES", "CMD_LANDMARKS", "CMD_BLENDSHAPES",
                 "CMD_SET_REPORT"):
        assert f"| `{name}` | `0x{getattr(core, name):02X}` |" in README
    assert f"23 + {core.FACE_RECORD.size} n bytes: {core.face_frame_bytes(4)} with 4 faces" \
        in README
    assert f"{core.faces_that_fit()} faces fit" in README
    shapes = core.blendshape_frame_bytes(4)
    per_second = 30 * core.face_frame_bytes(4) + 10 * shapes
    assert f"report 19 + 54 n: 4 faces at 30 fps with blendshapes at 10 Hz send 30 x " \
           f"{core.face_frame_bytes(4)} + 10 x {shapes} =\n{per_second:,} bytes/s, " \
           f"{round(100 * core.link_load(4, 30.0, 10.0))}% of the link" in README


def test_readme_id_and_bit_tables_are_the_apps():
    ids = re.search(r"\| id \| (.*) \|\n\|[-|]+\n\| expression \| (.*) \|", README)
    assert ids is not None
    assert ids.group(1).split(" | ") == [str(i) for i in range(len(tables.EXPRESSION_NAMES))]
    assert ids.group(2).split(" | ") == [f"`{n}`" for n in tables.EXPRESSION_NAMES]
    bits = re.search(r"\| bit \| (.*) \|\n\|[-|]+\n\| event \| (.*) \|", README)
    assert bits is not None
    assert bits.group(1).split(" | ") == [str(i) for i in range(len(tables.EVENT_NAMES))]
    assert bits.group(2).split(" | ") == [f"`{n}`" for n in tables.EVENT_NAMES]


def test_the_documented_bytes_are_valid_frames():
    tool = load_tool()
    rep = FaceReporter()
    rep.frame([], (320, 224))
    frames = [bytes.fromhex(h.replace(" ", "")) for h in
              re.findall(r"`(AA CA AC BB(?: [0-9A-F]{2})+)`", PROTOCOL_README)]
    assert len(frames) == 7
    for frame in frames:
        parser = tool.FrameParser()
        (message,) = parser.feed(frame)
        assert parser.skipped == 0
        flags, cmd, body = message
        if flags == core.FLAGS_REQUEST:
            assert frame == core.encode_request(cmd, body)
            assert rep.request(cmd, body).ok
        else:
            assert frame == rep.request(CMD_SET_REPORT, bytes([CMD_FACES, 1])).encode()


def test_the_arduino_sketch_builds_and_prints_the_faces(tmp_path):
    cxx = shutil.which("c++") or shutil.which("g++")
    if cxx is None:
        pytest.fail("no C++ compiler (c++ or g++) to build the Arduino sketch")
    (sketch,) = re.findall(r"```cpp\n(.*?)```", PROTOCOL_README, re.S)
    assert len(sketch.strip().splitlines()) <= 40
    source = tmp_path / "sketch.cpp"
    source.write_text(sketch)
    exe = tmp_path / "sketch"
    build = subprocess.run([cxx, "-std=c++11", "-Wall", "-Wextra", "-Werror",
                            "-include", str(ROOT / "tests" / "c" / "arduino_mock.h"),
                            f"-I{C_HEADER_DIR}", str(source), "-o", str(exe)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    data = GOLDEN_BIN.read_bytes()
    out = subprocess.run([str(exe)], input=data, capture_output=True, timeout=30).stdout.decode()
    tool = load_tool()
    parser = tool.FrameParser()
    expected = []
    for flags, cmd, body in parser.feed(data):
        message = tool.decode_message(flags, cmd, body)
        if "faces" not in message:
            continue
        expected.append(f"frame {message['frame']} faces {len(message['faces'])}")
        for face in message["faces"]:
            yaw = face["pose"][0]
            expected.append(f"  id {face['track_id'] & 0xFFFF} x {face['box'][0]} "
                            f"y {face['box'][1]}"
                            + ("" if yaw is None else f" yaw {yaw:.2f}")
                            + f" blinks {face['blinks']}")
    assert out.splitlines() == expected
    assert sum(m.startswith("frame") for m in expected) == 6  # 5 reports + 1 CMD_GET_FACES answer
    assert CMD_GET_FACES in {m[1] for m in tool.FrameParser().feed(data)}
