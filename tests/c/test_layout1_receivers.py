"""Receivers written for record layout 1 still read layout 2's streams: the layout-1 Python
tool and C decoder, kept verbatim in tests/compat/ (tools/face_report.py and
docs/protocol/face_report.h as they were before layout 2; decode_stream_v1.c is the test
driver of then), run on the golden stream of the real MaixPy encoder. They check the
body's version byte (still 1), step through the records by the header's record size (36)
and read the first 31 bytes of each: every layout-1 column equals what today's decoders
read, and the blendshape report, unknown to them, passes as an app message of its own."""
from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from app.core import report as core
from tests._report_cases import GOLDEN_BIN
from tests._report_streams import load_tool

COMPAT = Path(__file__).resolve().parent.parent / "compat"
LAYOUT_1_KEYS = list(dict.fromkeys(f.key for f in core.FACE_FIELDS if f.since == 1))


def load_v1_tool():
    spec = importlib.util.spec_from_file_location("face_report_v1", COMPAT / "face_report_v1.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def today(messages: list[dict]) -> list[dict]:
    """Today's tool's lines as a layout-1 receiver sees them: layout-1 keys only."""
    out = []
    for message in messages:
        message = dict(message)
        if "faces" in message:
            message["faces"] = [{k: face[k] for k in LAYOUT_1_KEYS} for face in message["faces"]]
        out.append(message)
    return out


def test_the_golden_stream_is_layout_2():
    tool = load_tool()
    parser = tool.FrameParser()
    faces = [tool.decode_message(*m) for m in parser.feed(GOLDEN_BIN.read_bytes())]
    sizes = {m["faces"][0].__len__() for m in faces if m.get("faces")}
    assert sizes == {len(dict.fromkeys(f.key for f in core.FACE_FIELDS))}
    assert any(face["expression"] for m in faces for face in m.get("faces", []))


def test_the_layout_1_python_tool_reads_a_layout_2_stream():
    old, new = load_v1_tool(), load_tool()
    assert old.FACE_RECORD.size == core.FACE_RECORD_V1.size == 31
    data = GOLDEN_BIN.read_bytes()
    old_parser, new_parser = old.FrameParser(), new.FrameParser()
    old_msgs = [old.decode_message(*m) for m in old_parser.feed(data) + old_parser.finish()]
    new_msgs = [new.decode_message(*m) for m in new_parser.feed(data) + new_parser.finish()]
    assert old_parser.skipped == old_parser.rejected == 0 and len(old_msgs) == len(new_msgs)
    faces = 0
    for was, now in zip(old_msgs, today(new_msgs)):
        if now["name"] == "CMD_BLENDSHAPES":   # a command it does not know: kept as hex
            assert was["name"] == "0x04" and "decode_error" not in was
            assert bytes.fromhex(was["body"])[0] == core.LAYOUT_VERSION
            continue
        assert "decode_error" not in was
        assert was == now
        faces += len(was.get("faces", ()))
    assert faces >= 20


def test_the_layout_1_c_decoder_reads_a_layout_2_stream(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.fail("no C compiler (cc or gcc) to build tests/compat/decode_stream_v1.c")
    exe = tmp_path / "decode_stream_v1"
    build = subprocess.run([cc, "-Wall", "-Wextra", "-Werror", "-std=c99", "-pedantic",
                            "-Wconversion", f"-I{COMPAT}", str(COMPAT / "decode_stream_v1.c"),
                            "-o", str(exe)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    data = GOLDEN_BIN.read_bytes()
    result = subprocess.run([str(exe)], input=data, capture_output=True, timeout=30)
    assert result.returncode == 0
    assert result.stderr == b"frames 20 skipped 0 rejected 0\n"
    got = [json.loads(line) for line in result.stdout.decode().splitlines()]
    tool = load_tool()
    parser = tool.FrameParser()
    want = today([tool.decode_message(*m) for m in parser.feed(data)])
    faces = 0
    for c_line, now in zip(got, want, strict=True):
        if now["name"] == "CMD_BLENDSHAPES":
            assert c_line["cmd"] == core.CMD_BLENDSHAPES and "decode_error" not in c_line
            continue
        assert "decode_error" not in c_line
        for face, new_face in zip(c_line.get("faces", []), now.get("faces", []), strict=True):
            assert face.keys() == new_face.keys()
            for key in face:
                assert face[key] == pytest.approx(new_face[key], abs=1e-9) or (
                    face[key] == new_face[key]), key
            faces += 1
    assert faces >= 20
