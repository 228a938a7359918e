"""How a MaixCAM hands a request to the app: MaixCDK's own decoder (tests/c/
maixcdk_decode.cpp, its functions verbatim from maix_protocol.cpp) compiled here and fed
the bytes a microcontroller sends. MaixPy's Python `Protocol.decode` cannot be fed from
Python (it reads the Bytes object's own memory, not its data) and `MSG` has no
constructor, so this is the way to see it on a PC. What it shows is what
app/device/comm.py defends against (its tests: tests/device/test_maix_report.py):

* a request's body is handed over as the frame carries it: a 3-byte CMD_SET_REPORT body
  arrives as 3 bytes (the core refuses it, ERR_ARGS), and the request after it arrives;
* a length field under 4 whose CRC matches (AA CA AC BB 03 00 00 00 01 F8 09 is one: the
  CRC of its first 9 bytes is F8 09) makes `set_body` throw, and the frame stays in
  maix's buffer: every later call throws, the requests behind it never arrive (MaixPy
  turns std::bad_alloc into MemoryError; the adapter opens the port again);
* a frame shorter than its length field swallows the start of the next frame (maix skips
  the whole claimed length on a bad CRC): that request is lost without an answer, the one
  after it arrives.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from app.core.report import (CMD_SET_REPORT, ERR_ARGS, FLAGS_REQUEST, FaceReporter,
                             crc16_ibm, encode_frame, encode_request)

SOURCE = Path(__file__).resolve().parent / "maixcdk_decode.cpp"
LANDMARKS_ON = encode_request(CMD_SET_REPORT, bytes([3, 1]))


@pytest.fixture(scope="module")
def maix_decoder(tmp_path_factory):
    cxx = shutil.which("c++") or shutil.which("g++")
    if cxx is None:
        pytest.fail("no C++ compiler (c++ or g++) to build tests/c/maixcdk_decode.cpp")
    exe = tmp_path_factory.mktemp("maixcdk") / "maixcdk_decode"
    build = subprocess.run([cxx, "-std=c++17", "-Wall", "-Wextra", "-Werror", str(SOURCE),
                            "-o", str(exe)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    return exe


def decode(exe: Path, data: bytes) -> list[dict]:
    result = subprocess.run([str(exe)], input=data, capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def test_requests_arrive_with_the_body_the_frame_carries(maix_decoder):
    three = encode_request(CMD_SET_REPORT, bytes([3, 1, 0]))
    got = decode(maix_decoder, three + LANDMARKS_ON)
    assert got == [{"cmd": CMD_SET_REPORT, "is_req": True, "body_len": 3, "body": "030100"},
                   {"cmd": CMD_SET_REPORT, "is_req": True, "body_len": 2, "body": "0301"}]
    reporter = FaceReporter()
    first = reporter.request(CMD_SET_REPORT, bytes.fromhex(got[0]["body"]))
    assert first.error == ERR_ARGS and not reporter.due(3)   # nothing changed
    assert reporter.request(CMD_SET_REPORT, bytes.fromhex(got[1]["body"])).ok


def test_a_length_under_4_with_a_matching_crc_sticks_maixs_decoder(maix_decoder):
    short = bytes.fromhex("aacaacbb0300000001f809")
    assert crc16_ibm(short[:9]) == 0x09F8   # what maix compares with the cmd and next byte
    got = decode(maix_decoder, short + LANDMARKS_ON * 3)
    assert len(got) == 4 and all("throws" in line for line in got)  # every later frame too
    assert "bad_alloc" in got[0]["throws"]


def test_a_frame_shorter_than_its_length_loses_the_next_request(maix_decoder):
    cut = encode_frame(FLAGS_REQUEST, CMD_SET_REPORT, bytes([3, 1]), length=7)
    got = decode(maix_decoder, cut + LANDMARKS_ON + LANDMARKS_ON)
    assert got == [{"cmd": CMD_SET_REPORT, "is_req": True, "body_len": 2, "body": "0301"}]
