"""tools/face_report.py on a live pipe, as a serial link feeds it: a corrupted length
field costs the frame it is in, never the ones behind it, and false headers cost time
in proportion to the bytes read."""
from __future__ import annotations

import json
import os
import selectors
import struct
import subprocess
import sys
import time

from app.core.report import CMD_FACES, FaceReport, encode_faces, encode_report
from tests._report_streams import TOOL, compile_decoder, load_tool


def face_frame(frame: int) -> bytes:
    face = FaceReport(3, (96.0, 40.0, 120.0, 150.0), 0.97, (-4.5, 2.1, 0.8), (0.9, 0.88),
                      0.12, (0.1, -0.05), 17, 0)
    return encode_report(CMD_FACES, encode_faces([face], frame, (320, 224)))


def test_the_frame_after_a_corrupted_length_comes_out_at_once():
    tool = subprocess.Popen([sys.executable, str(TOOL), "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert tool.stdin is not None and tool.stdout is not None
    events = selectors.DefaultSelector()
    events.register(tool.stdout, selectors.EVENT_READ)
    lines: list[bytes] = []

    def line_within(seconds: float) -> dict | None:
        deadline = time.monotonic() + seconds
        while not lines and time.monotonic() < deadline:
            if events.select(deadline - time.monotonic()):
                chunk = os.read(tool.stdout.fileno(), 65536)
                lines.extend(chunk.splitlines(keepends=True))
        return json.loads(lines.pop(0)) if lines else None

    try:
        for frame in range(12):  # 30 frames a second
            data = bytearray(face_frame(frame))
            if frame == 5:
                struct.pack_into("<I", data, 4, 8000)  # a bit error in the length field
            tool.stdin.write(bytes(data))
            tool.stdin.flush()
            if frame != 5:
                got = line_within(0.3)
                assert got is not None and got["frame"] == frame, (frame, got)
            time.sleep(1 / 30)
    finally:
        tool.stdin.close()
        tool.wait(timeout=10)
    assert b"bad frame" in tool.stderr.read()


def false_headers(size: int) -> bytes:
    """Headers promising long frames, one after the other: a noisy line's worst case."""
    one = b"\xaa\xca\xac\xbb" + struct.pack("<I", 8000) + b"\xe1\x01"
    return one * (size // len(one))


def test_false_headers_cost_in_proportion_to_the_bytes(monkeypatch):
    tool = load_tool()
    checked = []
    real_crc = tool.crc16_ibm
    monkeypatch.setattr(tool, "crc16_ibm", lambda data: checked.append(len(data)) or real_crc(data))
    stream = false_headers(200_000) + face_frame(1)
    parser = tool.FrameParser()
    messages = parser.feed(stream) + parser.finish()
    assert [m[1] for m in messages] == [CMD_FACES]
    assert sum(checked) < 2 * len(stream), sum(checked)  # 8000 per header before


def test_the_c_decoder_resynchronises_the_same_way(tmp_path):
    exe = compile_decoder(tmp_path, 8192)
    bad = bytearray(face_frame(5))
    struct.pack_into("<I", bad, 4, 8000)
    stream = face_frame(4) + bytes(bad) + face_frame(6) + false_headers(20_000) + face_frame(7)
    frames = [json.loads(line)["frame"] for line in subprocess.run(
        [str(exe)], input=stream, capture_output=True, timeout=60).stdout.splitlines()]
    assert frames == [4, 6, 7]


def run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True,
                          timeout=30)


def test_a_bad_baud_rate_or_a_missing_port_is_one_error_line():
    for baud in ("-5", "99999999999", "fast"):
        result = run_tool("/dev/ttyUSB0", "--baud", baud)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert "--baud" in result.stderr.splitlines()[-1]
    result = run_tool("/dev/ttyNOSUCHPORT")
    assert (result.returncode, result.stderr) == (
        2, "error: no such serial port: /dev/ttyNOSUCHPORT\n")
