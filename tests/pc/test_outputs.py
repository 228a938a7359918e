"""Result files: written under a temporary name, put in place whole, dropped on a failure
(the previous file of that name untouched), checked before the first byte."""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.pc.files import OutputError, PartFile, check_distinct, check_output_file
from app.pc.outputs import ImageFolder, JsonLines, MediaWriter, VIDEO_FOURCC, check_media_suffix

FRAME = np.zeros((64, 96, 3), np.uint8)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


class FullDisk:
    """A text stream on a full disk: every write or flush fails with ENOSPC."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    flush = close = lambda self: self.write("")


def test_json_lines_on_a_full_disk_fail_clearly_and_keep_the_previous_file(tmp_path):
    path = tmp_path / "run.jsonl"
    path.write_text("previous\n")
    sink = JsonLines(path)
    sink._stream = FullDisk()  # type: ignore[assignment]
    with pytest.raises(OSError, match=f"cannot write {path}: No space left on device"):
        sink.write(0, (320, 224), [], {})
    sink.discard()
    assert path.read_text() == "previous\n" and names(tmp_path) == ["run.jsonl"]


def test_json_lines_appear_only_when_put_in_place(tmp_path):
    path = tmp_path / "run.jsonl"
    sink = JsonLines(path, source_of=lambda: "photos/a.jpg")
    sink.write(0, (320, 224), [], {"total": 1.23456})
    assert not path.exists() and sink.part.temp.read_text().count("\n") == 1
    sink.close()
    assert path.read_text() == '{"frame":0,"source":"photos/a.jpg","faces":[],"ms":{"total":1.235}}\n'
    assert names(tmp_path) == ["run.jsonl"]


class DroppingWriter:
    """cv2.VideoWriter on a full disk: frames vanish without a word."""

    def __init__(self, real: cv2.VideoWriter) -> None:
        self.release = real.release

    def write(self, bgr: np.ndarray) -> None:
        pass


def test_a_video_that_lost_its_frames_is_not_put_in_place(tmp_path):
    """The check after release() catches frames OpenCV dropped; the previous file stays."""
    path = tmp_path / "out.mp4"
    path.write_bytes(b"previous")
    writer = MediaWriter(path, 30)
    writer.write(FRAME)
    writer._video = DroppingWriter(writer._video)  # type: ignore[assignment,arg-type]
    for _ in range(5):
        writer.write(FRAME)
    with pytest.raises(OSError, match="does not play back"):
        writer.finish()
    writer.discard()
    assert path.read_bytes() == b"previous" and names(tmp_path) == ["out.mp4"]


@pytest.mark.parametrize("suffix", [*VIDEO_FOURCC, ".png", ".jpg"])
def test_every_format_is_written_whole_with_the_old_files_mode(tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    path.write_bytes(b"previous")
    path.chmod(0o640)
    writer = MediaWriter(path, 30)
    for i in range(3):
        writer.write(np.full((64, 96, 3), i * 40, np.uint8))
    writer.close()
    assert names(tmp_path) == [path.name]
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    assert count == (3 if suffix in VIDEO_FOURCC else 1)


def test_a_run_without_frames_writes_no_file(tmp_path):
    writer = MediaWriter(tmp_path / "out.mp4", 30)
    writer.close()
    assert names(tmp_path) == []


def test_a_new_output_gets_the_usual_mode(tmp_path):
    old = os.umask(0o027)
    try:
        writer = MediaWriter(tmp_path / "new.png", 30)
        writer.write(FRAME)
        writer.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.png").stat().st_mode) == 0o640


def test_commit_refuses_a_path_that_became_a_link(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("not yours")
    path = tmp_path / "out.jsonl"
    part = PartFile(path)
    path.symlink_to(target)
    with pytest.raises(OSError, match="symbolic link"):
        part.commit()
    assert target.read_text() == "not yours" and path.is_symlink()
    assert names(tmp_path) == ["elsewhere.txt", "out.jsonl"]


def test_image_folder_writes_each_image_under_its_name(tmp_path):
    current = ["in/a.jpg"]
    folder = ImageFolder(tmp_path, name_of=lambda: current[0])
    folder.write(FRAME)
    current[0] = "in/b.dat"  # a suffix OpenCV cannot write: .png added
    folder.write(FRAME)
    assert names(tmp_path) == ["a.jpg", "b.dat.png"]


@pytest.mark.parametrize("name, message", [
    ("out.gif", "not a format"), ("out", "no extension"), ("out.webm", "not a format")])
def test_unknown_formats_are_refused(name, message):
    with pytest.raises(OutputError, match=message):
        check_media_suffix(Path(name))


def test_checks_refuse_non_files_and_shared_files(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path, message in [(fifo, "not a regular file"), (tmp_path, "is a folder"),
                          (Path("/dev/null"), "not a regular file"),
                          (tmp_path / "no" / "x.mp4", "does not exist")]:
        with pytest.raises(OutputError, match=message):
            check_output_file(path, "--output")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"x")
    (tmp_path / "alias.jpg").symlink_to(photo)
    with pytest.raises(OutputError, match="is the source"):
        check_distinct([("--source", photo), ("--json", tmp_path / "alias.jpg")])
    with pytest.raises(OutputError, match="--json and --output"):
        check_distinct([("--json", tmp_path / "a"), ("--output", tmp_path / "." / "a")])
    check_distinct([("--source", photo), ("--json", tmp_path / "a.jsonl")])


def test_a_face_record_has_emotion_only_where_a_classifier_read_it():
    """The device's classifier's label and score; a PC has none, and no key."""
    import dataclasses

    from app.core.emotion import Emotion
    from app.pc.outputs import face_record
    from tests._report_cases import peer_faces
    from tests.core._factories import make_face
    face = make_face(peer_faces()[0][2], track_id=3)
    assert "emotion" not in face_record(face)
    record = face_record(dataclasses.replace(face, emotion=Emotion("happy", 0.87654)))
    assert record["emotion"] == {"label": "happy", "score": 0.877}
