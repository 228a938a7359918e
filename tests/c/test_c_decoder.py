"""docs/protocol/face_report.h, the microcontroller decoder: compiled with the system C
compiler (-Wall -Wextra -Werror -std=c99 -pedantic -Wconversion) into tests/c/
decode_stream.c, run on the real MaixPy encoder's stream and on fuzzed ones; its lines
must equal tools/face_report.py's."""
from __future__ import annotations

import json
import re
import subprocess

import pytest

from app.core import report as core
from app.core.expressions import tables
from tests._report_cases import GOLDEN_BIN
from tests._report_streams import C_HEADER_DIR, fuzz_stream, load_tool

BIG = 4096  # the fuzzed streams carry frames up to ~1.1 KB (68 landmarks x 4 faces)


@pytest.fixture(scope="module")
def tool():
    return load_tool()


@pytest.fixture(scope="module")
def decoders(tmp_path_factory):
    from tests._report_streams import compile_decoder
    out = tmp_path_factory.mktemp("c")
    return {"default": compile_decoder(out), "big": compile_decoder(out, BIG)}


def decode(exe, data: bytes) -> tuple[list[dict], dict[str, int]]:
    result = subprocess.run([str(exe)], input=data, capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr
    stats = re.fullmatch(rb"frames (\d+) skipped (\d+) rejected (\d+)\n", result.stderr)
    assert stats, result.stderr
    counts = dict(zip(("frames", "skipped", "rejected"), map(int, stats.groups())))
    return [json.loads(line) for line in result.stdout.decode().splitlines()], counts


def normalised(message: dict) -> dict:
    """The tool's line without the keys only the tool prints; decode errors as True."""
    out = {k: v for k, v in message.items() if k not in ("name", "set_report")}
    if "decode_error" in out:
        out["decode_error"] = True
    return out


def assert_same(c_line, py_line, path="") -> None:
    """Equal JSON values; numbers within float printing (C prints fixed decimals)."""
    if isinstance(py_line, dict):
        assert c_line.keys() == py_line.keys(), path
        for key in py_line:
            assert_same(c_line[key], py_line[key], f"{path}.{key}")
    elif isinstance(py_line, list):
        assert isinstance(c_line, list) and len(c_line) == len(py_line), path
        for i, (a, b) in enumerate(zip(c_line, py_line)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(py_line, float):
        assert c_line == pytest.approx(py_line, abs=1e-9), path
    else:
        assert c_line == py_line and type(c_line) is type(py_line), path


def tool_lines(tool, frames) -> list[dict]:
    return [normalised(tool.decode_message(f[8], f[9], f[10:-2])) for f in frames]


def test_golden_stream_decodes_like_the_tool(tool, decoders):
    data = GOLDEN_BIN.read_bytes()
    parser = tool.FrameParser()
    want = [normalised(tool.decode_message(*m)) for m in parser.feed(data) + parser.finish()]
    for exe in decoders.values():
        got, counts = decode(exe, data)
        assert counts == {"frames": 20, "skipped": 0, "rejected": 0}
        assert_same(got, want)
    assert sum("blendshapes" in line for line in want) == 3
    assert any(face.get("emotion") for line in want for face in line.get("faces", []))


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_fuzzed_streams_keep_every_intact_frame_and_reject_the_rest(tool, decoders, seed):
    stream = fuzz_stream(seed)
    got, counts = decode(decoders["big"], stream.data)
    assert_same(got, tool_lines(tool, stream.intact))
    assert counts["frames"] == len(stream.intact)
    assert counts["skipped"] == len(stream.data) - sum(len(f) for f in stream.intact)


def test_default_buffer_rejects_a_longer_frame_and_keeps_the_rest(tool, decoders):
    from app.core.face.topology import SUBSET_68
    from tests._report_cases import face_reports
    faces = face_reports()[:3]
    big = core.encode_report(core.CMD_LANDMARKS, core.encode_landmarks(
        [f.track_id for _, _, f, _ in faces], [xy[list(SUBSET_68)] for _, _, _, xy in faces],
        1, (512, 512)))
    small = core.encode_report(core.CMD_FACES, core.encode_faces([faces[0][2]], 1, (512, 512)))
    assert len(big) > 512
    got, counts = decode(decoders["default"], small + big + small)
    assert_same(got, tool_lines(tool, [small, small]))
    assert counts["rejected"] >= 1 and counts["skipped"] == len(big)
    got, _ = decode(decoders["big"], small + big + small)
    assert_same(got, tool_lines(tool, [small, big, small]))


@pytest.mark.parametrize("cmd, body", [(core.CMD_GET_FACES, b""), (0xF9, b""),
                                       (core.CMD_SET_REPORT, bytes([core.CMD_LANDMARKS, 1])),
                                       (core.CMD_SET_REPORT, bytes([1, 1, 0, 0xF4, 1, 0, 0]))])
def test_requests_encoded_in_c_equal_the_apps(decoders, cmd, body):
    result = subprocess.run([str(decoders["default"]), "--request", str(cmd), body.hex()],
                            capture_output=True, text=True)
    assert result.stdout.strip() == core.encode_request(cmd, body).hex()


def _defines() -> dict[str, int]:
    text = (C_HEADER_DIR / "face_report.h").read_text()
    return {name: int(value, 0) for name, value in
            re.findall(r"^#define (FR_\w+) \(?(-?(?:0x[0-9A-Fa-f]+|\d+))\)?", text, re.M)}


def test_the_headers_layout_is_the_apps():
    defines = _defines()
    offset = 0
    for f in core.FACE_FIELDS:
        assert defines[f"FR_FACE_OFF_{f.name.upper()}"] == offset, f.name
        offset += f.bits // 8
    assert defines["FR_FACE_RECORD_SIZE"] == core.FACE_RECORD.size == offset
    assert defines["FR_FACE_RECORD_SIZE_V1"] == core.FACE_RECORD_V1.size
    assert defines["FR_RECORD_LAYOUT"] == core.RECORD_LAYOUT
    assert defines["FR_BLENDSHAPES_HEADER_SIZE"] == core.BLENDSHAPE_HEADER.size
    assert defines["FR_CMD_BLENDSHAPES"] == core.CMD_BLENDSHAPES
    assert defines["FR_BLENDSHAPES"] == len(tables.BLENDSHAPE_NAMES)
    assert defines["FR_SCALE_U8"] == core.BLENDSHAPE_SCALE
    for i, name in enumerate(tables.EXPRESSION_NAMES):
        assert defines[f"FR_EXPR_{name.upper()}"] == i
    for name, bit in tables.EVENT_BIT.items():
        assert defines[f"FR_EVENT_{name.upper()}"] == bit
    text = (C_HEADER_DIR / "face_report.h").read_text()
    names = re.search(r"names\[FR_BLENDSHAPES\] = \{(.*?)\};", text, re.S).group(1)
    assert tuple(re.findall(r'"(\w+)"', names)) == tables.BLENDSHAPE_NAMES
    assert defines["FR_FACES_HEADER_SIZE"] == core.FACE_HEADER.size
    assert defines["FR_LANDMARKS_HEADER_SIZE"] == core.LANDMARK_HEADER.size
    assert defines["FR_LAYOUT_VERSION"] == core.LAYOUT_VERSION
    assert defines["FR_PROTOCOL_VERSION"] == core.PROTOCOL_VERSION
    assert (defines["FR_CMD_FACES"], defines["FR_CMD_GET_FACES"], defines["FR_CMD_LANDMARKS"],
            defines["FR_CMD_SET_REPORT"]) == (core.CMD_FACES, core.CMD_GET_FACES,
                                              core.CMD_LANDMARKS, core.CMD_SET_REPORT)
    assert defines["FR_SCALE_LANDMARK"] == core.LANDMARK_SCALE
    scales = {f.scale for f in core.FACE_FIELDS if not f.counter}
    assert scales == {defines["FR_SCALE_PX"], defines["FR_SCALE_RATIO"], defines["FR_SCALE_DEG"],
                      defines["FR_SCALE_U8"]}
    sentinels = {f.sentinel for f in core.FACE_FIELDS if not f.counter}
    assert sentinels == {defines["FR_NAN_I16"], defines["FR_NAN_U16"], defines["FR_NAN_U8"]}
    assert defines["FR_EXPR_NONE"] == defines["FR_NAN_U8"]
    assert defines["FR_FACE_EYES_CLOSED_LONG"] == core.FLAG_EYES_CLOSED_LONG
