"""The command line against a hostile or careless user: real files, real processes,
real signals. The contract: bad input is one `error:` line and exit code 2 (or a
`warning:` and a fallback), never a traceback, never a user's file lost or cut short;
a stop signal ends the run between frames with every output whole."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import cv2
import pytest

from conftest import DATA, one_error, read_jsonl, run_main, start_main

PORTRAIT = DATA / "astronaut.png"
VIDEO = DATA / "single_face.mp4"


def frames_in(video: Path) -> int:
    capture = cv2.VideoCapture(str(video))
    count = 0
    while capture.read()[0]:
        count += 1
    capture.release()
    return count


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def long_video(tmp_path_factory) -> Path:
    """The one-face clip looped to 720 frames (half size): a run long enough to be
    stopped in the middle."""
    capture = cv2.VideoCapture(str(VIDEO))
    frames = []
    while (read := capture.read())[0]:
        frames.append(cv2.resize(read[1], None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA))
    capture.release()
    path = tmp_path_factory.mktemp("video") / "long.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 30,
                             (frames[0].shape[1], frames[0].shape[0]))
    for _ in range(10):
        for frame in frames:
            writer.write(frame)
    writer.release()
    return path


# -- settings: a bad value never stops the app --------------------------------------

def test_infinite_and_huge_settings_warn_and_the_app_runs(tmp_path):
    """`max_faces = inf` once ended every start in an OverflowError: on the device that
    file is data/config.ini, read at every launch."""
    ini = tmp_path / "settings.ini"
    ini.write_text("[settings]\nmax_faces = inf\nsmoothing = 1e400\ndetector.interval = -inf\n"
                   "landmarks.conf_threshold = nan\npc.threads = 99999999999999999999999\n"
                   + "".join(f"junk line {i}\n" for i in range(5000)))
    before = ini.read_bytes()
    out = tmp_path / "run.jsonl"
    result = run_main("--source", str(PORTRAIT), "--headless", "--json", str(out),
                      "--settings", str(ini))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    warnings = result.stderr.strip().splitlines()
    assert all(w.startswith("warning: ") for w in warnings)
    for key in ("max_faces", "smoothing", "detector.interval", "landmarks.conf_threshold",
                "pc.threads"):
        assert any(f"'{key}'" in w for w in warnings), key
    # 5,000 bad lines: five are named, the rest counted in one line.
    assert len(warnings) <= 12 and any("4995 more malformed lines" in w for w in warnings)
    assert len(read_jsonl(out)[0]["faces"]) == 1
    assert ini.read_bytes() == before  # read, never rewritten by a run without a UI


# -- outputs: validated before the first byte, never over an input or a non-file -----

@pytest.mark.parametrize("option", ["--output", "--json"])
def test_an_output_that_is_the_source_is_refused(tmp_path, option):
    for name in ("photo.png", "clip.mp4"):
        source = tmp_path / name
        shutil.copy(PORTRAIT if name.endswith(".png") else VIDEO, source)
        before = source.read_bytes()
        error = one_error(run_main("--source", str(source), "--headless", option, str(source)))
        assert "is the source" in error
        assert source.read_bytes() == before


def test_an_output_through_another_name_of_the_source_is_refused(tmp_path):
    """A hard link or a symbolic link to the photo is still the photo."""
    source = tmp_path / "photo.png"
    shutil.copy(PORTRAIT, source)
    os.link(source, tmp_path / "hard.png")
    error = one_error(run_main("--source", str(source), "--headless", "--output",
                               str(tmp_path / "hard.png")))
    assert "is the source" in error
    assert source.read_bytes() == PORTRAIT.read_bytes()


def test_a_bad_output_is_noticed_before_an_existing_json_is_touched(tmp_path):
    previous = tmp_path / "results.jsonl"
    previous.write_text('{"frame": 0, "faces": []}\n')
    for output, message in [(tmp_path / "out.xyz", "not a format the app writes"),
                            (tmp_path / "missing" / "out.png", "does not exist"),
                            (tmp_path, "is a folder")]:
        error = one_error(run_main("--source", str(PORTRAIT), "--headless", "--json",
                                   str(previous), "--output", str(output)))
        assert message in error
        assert previous.read_text() == '{"frame": 0, "faces": []}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.jsonl"]


def test_two_outputs_on_one_file_are_refused(tmp_path):
    both = tmp_path / "both.png"
    error = one_error(run_main("--source", str(PORTRAIT), "--headless", "--json", str(both),
                               "--output", str(both)))
    assert "--json and --output name the same file" in error


@pytest.mark.parametrize("kind", ["folder", "device", "symlink", "source"])
def test_a_settings_path_that_is_not_a_file_of_ours_is_refused_untouched(tmp_path, kind):
    target = {"folder": tmp_path / "folder", "device": Path("/dev/null"),
              "symlink": tmp_path / "link.ini", "source": tmp_path / "photo.png"}[kind]
    if kind == "folder":
        target.mkdir()
    elif kind == "symlink":
        (tmp_path / "real.ini").write_text("[settings]\nview = depth\n")
        target.symlink_to(tmp_path / "real.ini")
    source = PORTRAIT
    if kind == "source":
        shutil.copy(PORTRAIT, target)
        source = target
    error = one_error(run_main("--source", str(source), "--headless", "--json",
                               str(tmp_path / "run.jsonl"), "--settings", str(target)))
    assert "--settings" in error
    if kind == "symlink":
        assert target.is_symlink() and (tmp_path / "real.ini").read_text().endswith("depth\n")
    assert not (tmp_path / "run.jsonl").exists()


def test_output_with_a_window_is_refused(tmp_path):
    result = run_main("--source", str(PORTRAIT), "--output", str(tmp_path / "x.png"),
                      env={**os.environ, "SDL_VIDEODRIVER": "dummy"})
    assert "add --headless" in one_error(result)


# -- sources and options -------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--source", "http://example.com/clip.mp4"], "URLs are not supported"),
    (["--source", "rtsp://camera.local/stream"], "URLs are not supported"),
    (["--source", "99"], "cannot open camera 99"),  # OpenCV's own two lines are silenced
    (["--max-frames", "-5"], "must be 1 or more"),
    (["--max-frames", "0"], "must be 1 or more"),
    (["--max-faces", "0"], "--max-faces"),
    (["--backend", "device"], "needs MaixPy"),
    (["--backend", "maix-pc"], "needs MaixPy"),
])
def test_bad_options_and_sources_are_one_line(args, message):
    if "MaixPy" in message and _maix_imports():
        pytest.skip("MaixPy imports here")
    assert message in one_error(run_main(*args, "--headless"))


def _maix_imports() -> bool:
    result = subprocess.run([sys.executable, "-c", "import maix"], capture_output=True)
    return result.returncode == 0


def test_an_image_whose_header_claims_40000_by_40000_pixels(tmp_path):
    huge = tmp_path / "huge.png"
    huge.write_bytes(png_claiming(40000, 40000))
    assert "40000 x 40000 pixels, over the limit" in one_error(run_main("--source", str(huge), "--headless"))


def test_a_one_frame_video_gives_its_frame(tmp_path):
    """OpenCV cannot seek back to frame 0 of a one-frame file: the frame read to check
    the video opens is kept, not re-read."""
    one = tmp_path / "one.mp4"
    image = cv2.imread(str(PORTRAIT))
    writer = cv2.VideoWriter(str(one), cv2.VideoWriter.fourcc(*"mp4v"), 30,
                             (image.shape[1], image.shape[0]))
    writer.write(image)
    writer.release()
    out, video = tmp_path / "one.jsonl", tmp_path / "annotated.mp4"
    result = run_main("--source", str(one), "--headless", "--json", str(out), "--output",
                      str(video))
    assert result.returncode == 0, result.stderr
    (line,) = read_jsonl(out)
    assert len(line["faces"]) == 1 and frames_in(video) == 1


# -- stop signals --------------------------------------------------------------------

def test_sigint_sigterm_and_sighup_leave_whole_files(tmp_path, long_video):
    """Each signal mid-run: exit code 128 + its number, whole JSON lines, a video that
    plays back with one frame per line. The three runs go side by side."""
    runs = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        folder = tmp_path / sig.name
        folder.mkdir()
        proc = start_main("--source", str(long_video), "--headless", "--no-tracking",
                          "--json", str(folder / "run.jsonl"), "--output",
                          str(folder / "run.mp4"))
        runs[sig] = (proc, folder)
    for sig, (proc, folder) in runs.items():
        wait_for_lines(folder, proc, lines=20)
        proc.send_signal(sig)
    for sig, (proc, folder) in runs.items():
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 128 + sig, (sig, stderr)
        assert "Traceback" not in stderr and "interrupted after" in stderr
        lines = read_jsonl(folder / "run.jsonl")
        assert 20 <= len(lines) < 720
        assert frames_in(folder / "run.mp4") == len(lines)
        assert sorted(p.name for p in folder.iterdir()) == ["run.jsonl", "run.mp4"]


def test_a_video_run_killed_outright_leaves_temporary_files_the_next_run_removes(
        tmp_path, long_video):
    """A video is put in place only whole (a video without its index does not play):
    `kill -9` leaves the temporary files, the previous outputs untouched; the next run
    writing those outputs removes them (their process is gone)."""
    out, video = tmp_path / "run.jsonl", tmp_path / "run.mp4"
    out.write_text("previous\n")
    video.write_bytes(b"previous video")
    proc = start_main("--source", str(long_video), "--headless", "--no-tracking", "--json",
                      str(out), "--output", str(video))
    wait_for_lines(tmp_path, proc, lines=5)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert [n for n in left if n.startswith(".")] == sorted(
        [n for n in left if n.startswith((f".run.jsonl.{proc.pid}-", f".run.mp4.{proc.pid}-"))])
    assert len(left) == 4 and out.read_text() == "previous\n"
    assert video.read_bytes() == b"previous video"
    result = run_main("--source", str(long_video), "--headless", "--no-tracking", "--json",
                      str(out), "--output", str(video), "--max-frames", "3")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.jsonl", "run.mp4"]
    assert len(read_jsonl(out)) == 3 and frames_in(video) == 3


def wait_for_lines(folder: Path, proc: subprocess.Popen, lines: int, timeout: float = 60):
    """Until the run's JSON lines (still under their temporary name) hold `lines` lines."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        parts = list(folder.glob(".run.jsonl.*.part.jsonl"))
        if parts and parts[0].read_text().count("\n") >= lines:
            return
        time.sleep(0.05)
    raise AssertionError("the run did not get going")


def test_ctrl_c_while_the_models_load_is_not_a_traceback(long_video, tmp_path):
    """SIGINT as soon as LiteRT is being loaded (its library mapped into the process):
    exit code 130 and one line, whichever side of the first frame it lands on."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("needs /proc to see when the models load")
    proc = start_main("--source", str(long_video), "--headless", "--json",
                      str(tmp_path / "run.jsonl"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if "ai_edge_litert" in Path(f"/proc/{proc.pid}/maps").read_text():
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("interrupted")


# -- a full disk ---------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 64 kB tmpfs (root only: CI runs as root)."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root; tests/pc/test_outputs.py fakes ENOSPC")
    mount = tmp_path / "small"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_fails_the_run_and_keeps_the_previous_files(small_disk, tmp_path):
    """OpenCV drops frames silently when the disk is full and leaves an mp4 without its
    index: the run says so (exit 2) and puts nothing in place, not even the JSON lines
    written elsewhere."""
    video = small_disk / "annotated.mp4"
    video.write_bytes(b"previous good file")
    out = tmp_path / "run.jsonl"
    out.write_text("previous\n")
    error = one_error(run_main("--source", str(VIDEO), "--headless", "--json", str(out),
                               "--output", str(video), "--max-frames", "30"))
    assert "cannot write video" in error and "disk full" in error
    assert video.read_bytes() == b"previous good file" and out.read_text() == "previous\n"
    assert sorted(p.name for p in small_disk.iterdir()) == ["annotated.mp4"]
    error = one_error(run_main("--source", str(VIDEO), "--headless", "--json",
                               str(small_disk / "run.jsonl"), "--max-frames", "30"))
    assert "No space left on device" in error
    assert sorted(p.name for p in small_disk.iterdir()) == ["annotated.mp4"]


def test_a_pipe_as_the_source_is_refused_not_waited_on(tmp_path):
    """OpenCV would block reading a named pipe for ever."""
    pipe = tmp_path / "clip.mp4"
    os.mkfifo(pipe)
    assert "not a regular file" in one_error(run_main("--source", str(pipe), "--headless",
                                                      timeout=30))
