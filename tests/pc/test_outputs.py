"""Result files: written under a temporary name, put in place whole, dropped on a failure
(the previous file of that name untouched), checked before the first byte; a batch's
files in place as each still is done, with no temporary file even after `kill -9`."""
from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.pc import files
from app.pc.files import (AppendFile, OutputError, PartFile, StaleTemps, check_distinct,
                          check_output_file, put_file, temp_name)
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
    from app.core.records import face_record
    from tests._report_cases import peer_faces
    from tests.core._factories import make_face
    face = make_face(peer_faces()[0][2], track_id=3)
    assert "emotion" not in face_record(face)
    record = face_record(dataclasses.replace(face, emotion=Emotion("happy", 0.87654)))
    assert record["emotion"] == {"label": "happy", "score": 0.877}


# -- a batch's files: in place as each still is done -----------------------------------

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("unnamed", [True, False])
def test_put_file_writes_whole_and_keeps_the_old_files_mode(tmp_path, unnamed):
    new, old = tmp_path / "new.png", tmp_path / "old.png"
    old.write_bytes(b"previous")
    old.chmod(0o640)
    mask = os.umask(0o027)
    try:
        put_file(new, b"new data", unnamed=unnamed)
    finally:
        os.umask(mask)
    put_file(old, b"replaced", unnamed=unnamed)
    assert new.read_bytes() == b"new data" and old.read_bytes() == b"replaced"
    assert stat.S_IMODE(new.stat().st_mode) == 0o640 == stat.S_IMODE(old.stat().st_mode)
    long = tmp_path / ("n" * 251 + ".png")  # 255 bytes: the temporary name still fits
    put_file(long, b"x", unnamed=unnamed)
    put_file(long, b"y", unnamed=unnamed)
    assert names(tmp_path) == sorted(["new.png", "old.png", long.name])
    assert long.read_bytes() == b"y"


def test_put_file_never_writes_through_a_link(tmp_path):
    target = tmp_path / "elsewhere.png"
    target.write_bytes(b"not yours")
    (tmp_path / "a.png").symlink_to(target)
    with pytest.raises(OSError, match="symbolic link"):
        put_file(tmp_path / "a.png", b"data")
    assert target.read_bytes() == b"not yours" and names(tmp_path) == ["a.png", "elsewhere.png"]


PUTTER = """
import os, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from app.pc.files import put_file
folder, same, unnamed = Path(sys.argv[2]), sys.argv[3] == "same", sys.argv[4] == "unnamed"
i = 0
while True:
    put_file(folder / ("a.png" if same else f"{i:05d}.png"), bytes([i % 251]) * 1_000_000,
             unnamed=unnamed)
    if i == 0:
        print("ready", flush=True)  # one file written: the kills land among the next ones
    i += 1
"""


def kill_putter(folder: Path, same: bool, delay: float) -> int:
    """A process writing 1 MB files with put_file, killed outright after `delay` s: its
    pid."""
    child = subprocess.Popen([sys.executable, "-c", PUTTER, str(ROOT), str(folder),
                              "same" if same else "fresh", "unnamed"], stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline() == b"ready\n"
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait()
    return child.pid


def whole(path: Path) -> bool:
    data = path.read_bytes()
    return len(data) == 1_000_000 and data == data[:1] * len(data)


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE") or not Path("/proc/self/fd").is_dir(),
                    reason="needs O_TMPFILE and /proc (Linux)")
def test_put_file_killed_outright_leaves_whole_files_and_no_temporary_one(tmp_path):
    """Killed at any moment, a process writing new files leaves only whole ones, in
    place: the data go into a file without a name, linked in when whole. (A named
    temporary file, the fallback, is left by most of these kills: written and synced
    for milliseconds.)"""
    for delay in (0.02, 0.05, 0.08, 0.11, 0.14, 0.17):
        folder = tmp_path / f"fresh{delay}"
        folder.mkdir()
        kill_putter(folder, same=False, delay=delay)
        written = names(folder)
        assert written and all(not n.startswith(".") for n in written), written
        assert all(whole(folder / n) for n in written)


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE") or not Path("/proc/self/fd").is_dir(),
                    reason="needs O_TMPFILE and /proc (Linux)")
def test_put_file_replacing_killed_outright_leaves_at_most_a_stale_temp_the_next_run_removes(
        tmp_path):
    """Replacing a file, the temporary name lives for two system calls (link, rename):
    a kill there leaves it, named with the dead process; StaleTemps removes it."""
    for delay in (0.02, 0.06, 0.1, 0.14):
        folder = tmp_path / f"same{delay}"
        folder.mkdir()
        pid = kill_putter(folder, same=True, delay=delay)
        path = folder / "a.png"
        assert whole(path)
        left = [n for n in names(folder) if n != "a.png"]
        assert all(n.startswith(f".a.png.{pid}-") and n.endswith(".part.png") for n in left)
        StaleTemps(folder).remove(path)
        assert names(folder) == ["a.png"]


def test_stale_temps_of_dead_processes_are_removed_and_nothing_else(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "run.jsonl"
    stale = temp_name(out).name.replace(f".{os.getpid()}-", f".{dead.pid}-")
    alive = temp_name(out).name.replace(f".{os.getpid()}-", f".{os.getppid()}-")
    other = temp_name(tmp_path / "other.jsonl").name.replace(f".{os.getpid()}-", f".{dead.pid}-")
    user = f".run.jsonl.{dead.pid}-xyz123.part.jsonl"  # not hex: not a name the app makes
    for name in (stale, alive, other, user):
        (tmp_path / name).write_text("x")
    part = PartFile(out)  # a new run writing run.jsonl
    assert sorted(names(tmp_path)) == sorted([alive, other, user, part.temp.name])
    part.discard()


def test_append_file_opens_at_the_first_record_and_keeps_whole_records(tmp_path, monkeypatch):
    path = tmp_path / "run.jsonl"
    path.write_text("previous\n")
    path.chmod(0o640)
    out = AppendFile(path)
    assert path.read_text() == "previous\n"  # nothing done yet: the previous file stays
    out.append(b'{"frame":0}\n')
    assert path.read_bytes() == b'{"frame":0}\n'  # in place, synced, before it returns
    real = files._write_all

    def half_then_full(fd: int, data: bytes) -> None:
        real(fd, data[:len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files, "_write_all", half_then_full)
    with pytest.raises(OSError, match=f"cannot write {path}: No space left on device"):
        out.append(b'{"frame":1,"faces":[]}\n')
    out.close()
    assert path.read_bytes() == b'{"frame":0}\n'  # the cut record taken back off
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and names(tmp_path) == ["run.jsonl"]


def test_json_lines_of_a_batch_are_in_place_line_by_line(tmp_path):
    path = tmp_path / "run.jsonl"
    sink = JsonLines(path, source_of=lambda: "photos/a.jpg", in_place=True)
    assert not path.exists()
    sink.write(0, (320, 224), [], {"total": 1.0})
    assert path.read_text() == '{"frame":0,"source":"photos/a.jpg","faces":[],"ms":{"total":1.0}}\n'
    sink.discard()  # a failed batch: the lines of the stills done stay
    assert path.read_text().count("\n") == 1 and names(tmp_path) == ["run.jsonl"]
