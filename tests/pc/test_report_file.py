"""app/pc/report_file.py: the device's UART byte stream, written frame for frame."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from app.core import report as core
from app.core.report import CMD_FACES, CMD_LANDMARKS, CMD_SET_REPORT, FaceReporter
from app.core.face.topology import SUBSET_5
from app.pc.report_file import ReportFile
from tests._report_cases import face_reports
from tests._report_streams import load_tool

ROOT = Path(__file__).resolve().parents[2]


def parse(data: bytes) -> tuple[list, object]:
    parser = load_tool().FrameParser()
    messages = parser.feed(data) + parser.finish()
    return messages, parser


def test_every_frame_is_on_disk_whole_before_send_frame_returns(tmp_path):
    """Written under a temporary name while the run goes (as every PC output), the file
    is put in place when it is closed."""
    path = tmp_path / "r.bin"
    faces = [face for _, _, face, _ in face_reports()[:4]]
    out = ReportFile(path)
    sizes = []
    for n in (0, 1, 4, 2):
        out.send_frame(faces[:n], (640, 480))
        sizes.append(out.part.temp.stat().st_size)   # no close, no flush: already there
    assert sizes == [sum(core.face_frame_bytes(n) for n in (0, 1, 4, 2)[:i + 1]) for i in range(4)]
    assert not path.exists()
    out.close()
    assert not out.part.temp.exists()
    messages, parser = parse(path.read_bytes())
    assert [(m[1], len(core.decode_faces(m[2]).faces)) for m in messages] == [
        (CMD_FACES, n) for n in (0, 1, 4, 2)]
    assert parser.skipped == 0


def test_the_bytes_are_the_devices_report_frames(tmp_path):
    path = tmp_path / "r.bin"
    faces = [face for _, _, face, _ in face_reports()[:3]]
    with ReportFile(path) as out:
        out.send_frame(faces, (512, 512))
    expected = core.encode_report(CMD_FACES, core.encode_faces(faces, 0, (512, 512)))
    assert path.read_bytes() == expected


def test_landmarks_when_the_reporter_has_them_on(tmp_path):
    path = tmp_path / "r.bin"
    reporter = FaceReporter(clock=lambda: 0.0)
    reporter.request(CMD_SET_REPORT, bytes([CMD_LANDMARKS, 1, 1, 0, 0, 0, 0]))
    _, size, face, xy = face_reports()[0]
    with ReportFile(path, reporter) as out:
        out.send_frame([face], size, [xy[list(SUBSET_5)]])
    (faces_msg, landmarks_msg), _ = parse(path.read_bytes())
    assert (faces_msg[1], landmarks_msg[1]) == (CMD_FACES, CMD_LANDMARKS)
    decoded = core.decode_landmarks(landmarks_msg[2])
    np.testing.assert_allclose(decoded.points[0], xy[list(SUBSET_5)], atol=0.125)


WRITER = """
import sys
sys.path.insert(0, sys.argv[2])
from app.core.report import FaceReport
from app.pc.report_file import ReportFile
out = ReportFile(sys.argv[1])
faces = [FaceReport(i, (10.0 * i, 20.0, 100.0, 120.0), 0.9) for i in range(10)]
print("ready", flush=True)
i = 0
while True:
    out.send_frame(faces[: i % 11], (640, 480))
    i += 1
"""


def test_a_killed_run_leaves_only_whole_frames(tmp_path):
    path = tmp_path / "r.bin"
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(ROOT)],
                             stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline() == b"ready\n"
    time.sleep(0.3)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert not path.exists()  # never put in place: the run did not end
    (part,) = tmp_path.glob(".r.bin.*.part.bin")
    messages, parser = parse(part.read_bytes())
    assert len(messages) > 10
    assert parser.skipped == 0 and parser.rejected == 0


def test_real_tracked_faces_to_the_file(tmp_path):
    """Faces found on a real photo -> the report file -> the same boxes and signals."""
    from tests.core._factories import real_faces
    rgb, faces = real_faces("astronaut.png")
    reports = [core.face_report(f) for f in faces]
    path = tmp_path / "r.bin"
    with ReportFile(path) as out:
        out.send_frame(reports, (rgb.shape[1], rgb.shape[0]))
    ((_, _, body),), _ = parse(path.read_bytes())
    decoded = core.decode_faces(body)
    assert decoded.image_size == (512, 512) and len(decoded.faces) == len(faces) >= 1
    for face, back in zip(faces, decoded.faces):
        np.testing.assert_allclose(back.box, face.mesh_box, atol=0.5)
        assert abs(back.score - face.score) <= 0.0005
        assert face.signals is not None
        np.testing.assert_allclose(back.pose, face.signals.pose, atol=0.006)
        assert back.blinks == face.signals.blinks
