"""tools/face_report.py on a live pipe, as a serial link feeds it: a corrupted length
field costs the frame it is in, never the ones behind it, and false headers cost time
in proportion to the bytes read."""
from __future__ import annotations

import json
import os
import re
import selectors
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Callable

import pytest

from app.core.report import (CMD_FACES, CMD_LANDMARKS, HEADER, FaceReport, encode_faces,
                             encode_report)
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


def plausible_headers(size: int, length: int = 4000, cmd: int = 0x10) -> bytes:
    """Headers no filter can tell from real ones (a command this tool does not know, or
    landmark reports whose length matches their count), each promising `length` bytes,
    10 or 23 apart: the worst case for a CRC run over every candidate."""
    if cmd == CMD_LANDMARKS:
        points = (length - 4 - 12 - 2) // 4
        length = 4 + 12 + 2 + 4 * points
        one = HEADER + struct.pack("<I", length) + bytes([0xE1, cmd]) + \
            struct.pack("<BIHHBH", 1, 0, 320, 224, 1, points)
    else:
        one = HEADER + struct.pack("<I", length) + bytes([0xE1, cmd])
    return one * (size // len(one))


class Budget(Exception):
    pass


def bytecodes(run: Callable[[], object], budget: int) -> int:
    """Python bytecode instructions executed by `run()` (sys.settrace's opcode events):
    the interpreter's work, independent of the machine's speed and load. Over `budget`:
    Budget."""
    count = 0

    def tracer(frame: FrameType, event: str, arg: object):
        nonlocal count
        frame.f_trace_opcodes = True
        frame.f_trace_lines = False
        if event == "opcode":
            count += 1
            if count > budget:
                raise Budget
        return tracer

    sys.settrace(tracer)
    try:
        run()
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("cmd", [0x10, CMD_LANDMARKS])
def test_plausible_false_headers_cost_the_same_per_byte_however_many(cmd):
    """Instructions per byte read are the same for 12 kB and 24 kB of headers that pass
    every filter, and of the order of good frames' (about 20 a byte): linear. Running the
    CRC over each candidate, as before, cost 1,200+ a byte (4,000 bytes each)."""
    tool = load_tool()
    warm = tool.FrameParser()  # tables built once per process: not counted
    warm.feed(plausible_headers(6000, cmd=cmd))
    warm.finish()

    def per_byte(stream: bytes) -> float:
        parser = tool.FrameParser()
        found: list = []
        count = bytecodes(lambda: found.extend(parser.feed(stream) + parser.finish()),
                          budget=400 * len(stream))
        assert [m[1] for m in found] == [CMD_FACES]  # the good frame behind them
        return count / len(stream)

    good = b"".join(face_frame(i) for i in range(300))
    parser = tool.FrameParser()
    baseline = bytecodes(lambda: parser.feed(good), budget=400 * len(good)) / len(good)
    small, large = (per_byte(plausible_headers(size, cmd=cmd) + face_frame(1))
                    for size in (12_000, 24_000))
    assert large < 1.25 * small, (small, large)
    assert large < 12 * baseline, (baseline, large)


def test_frames_inside_a_rejected_candidate_are_all_found():
    """A false header promising 4,000 bytes, good frames within them and after, fed whole
    and byte by byte: every good frame comes out (their CRCs told from the registers the
    rejected candidate left)."""
    tool = load_tool()
    inside = b"".join(face_frame(i) for i in range(60))  # 3,240 bytes
    stream = plausible_headers(10) + inside + b"\x00" * 500 + face_frame(60) + \
        plausible_headers(50, cmd=CMD_LANDMARKS) + face_frame(61)
    for chunk in (len(stream), 1, 7):
        parser = tool.FrameParser()
        found = []
        for at in range(0, len(stream), chunk):
            found += parser.feed(stream[at:at + chunk])
        found += parser.finish()
        frames = [tool.decode_faces(m[2])["frame"] for m in found]
        assert frames == list(range(62)), chunk


def test_the_c_decoder_resynchronises_the_same_way(tmp_path):
    exe = compile_decoder(tmp_path, 8192)
    bad = bytearray(face_frame(5))
    struct.pack_into("<I", bad, 4, 8000)
    stream = face_frame(4) + bytes(bad) + face_frame(6) + false_headers(20_000) + face_frame(7)
    frames = [json.loads(line)["frame"] for line in subprocess.run(
        [str(exe)], input=stream, capture_output=True, timeout=60).stdout.splitlines()]
    assert frames == [4, 6, 7]


def instructions(exe: Path, stream: bytes, folder: Path) -> tuple[int, list[int]]:
    """Machine instructions the decoder executes on `stream` (callgrind's count), and the
    frame numbers it decoded."""
    source = folder / "stream.bin"
    source.write_bytes(stream)
    result = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                             str(exe), str(source)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    frames = [json.loads(line)["frame"] for line in result.stdout.splitlines()]
    return int(re.search(r"Collected : (\d+)", result.stderr).group(1)), frames


@pytest.mark.skipif(shutil.which("valgrind") is None,
                    reason="needs valgrind (./build.sh test installs it as root)")
@pytest.mark.parametrize("max_frame, length", [(None, 500), (8192, 4000)])
def test_the_c_decoders_cost_is_linear_in_the_bytes_whatever_they_are(tmp_path, max_frame,
                                                                      length):
    """Instructions a byte (callgrind) for headers that pass every filter, each promising
    `length` bytes (an unknown command, landmark reports), against good face reports:
    about the same, for 12 kB and 24 kB alike. A CRC run over every candidate cost 6x a
    good byte with the default buffer and 50x with 8 kB."""
    exe = compile_decoder(tmp_path, max_frame)
    start, _ = instructions(exe, b"", tmp_path)
    good = b"".join(face_frame(i) for i in range(400))
    count, frames = instructions(exe, good, tmp_path)
    assert frames == list(range(400))
    per_good = (count - start) / len(good)
    for cmd in (0x10, CMD_LANDMARKS):
        per_byte = []
        for size in (12_000, 24_000):
            count, frames = instructions(exe, plausible_headers(size, length, cmd) +
                                         face_frame(1), tmp_path)
            assert frames == [1]  # the good frame behind them
            per_byte.append((count - start) / size)
        small, large = per_byte
        assert large < 1.1 * small and small < 2 * per_good, (cmd, per_good, small, large)


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
