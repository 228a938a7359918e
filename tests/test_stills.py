"""Many stills in one run: --source FOLDER, several paths or a glob pattern; one JSON
line per image naming it, annotated copies in an output folder, the models loaded once,
a bad file skipped with a warning."""
from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from app import backends, launch
from app.pc.sources import SourceError, Stills, many_stills
from conftest import DATA, one_error, read_jsonl, run_main

PORTRAITS = ("astronaut.png", "obama.jpg", "biden.jpg")


@pytest.fixture
def photos(tmp_path) -> Path:
    """Three portraits, a file that is not an image and a PNG claiming 40000 x 40000
    pixels, in one folder."""
    from test_hostile_input import png_claiming

    folder = tmp_path / "photos"
    folder.mkdir()
    for name in PORTRAITS:
        shutil.copy(DATA / name, folder / name)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    (folder / "huge.png").write_bytes(png_claiming(40000, 40000))
    (folder / "notes.txt").write_text("not an image: never listed")
    return folder


def test_a_folder_of_photos_in_one_run(photos, tmp_path):
    out, annotated = tmp_path / "faces.jsonl", tmp_path / "annotated"
    result = run_main("--source", str(photos), "--headless", "--json", str(out),
                      "--output", str(annotated))
    assert result.returncode == 0, result.stderr
    warnings = result.stderr.strip().splitlines()
    assert warnings == [f"warning: cannot read image: {photos / 'broken.jpg'}; skipped",
                        f"warning: {photos / 'huge.png'} is 40000 x 40000 pixels, over the limit "
                        "of 16,000,000 (setting pc.max_image_pixels); skipped"]
    lines = read_jsonl(out)
    assert [line["source"] for line in lines] == [str(photos / n) for n in sorted(PORTRAITS)]
    assert [line["frame"] for line in lines] == [0, 1, 2]
    assert all(len(line["faces"]) == 1 and len(line["faces"][0]["points"]) == 478
               for line in lines)
    assert sorted(p.name for p in annotated.iterdir()) == sorted(PORTRAITS)
    for name in PORTRAITS:
        drawn, original = cv2.imread(str(annotated / name)), cv2.imread(str(photos / name))
        assert drawn.shape == original.shape
        assert (np.abs(drawn.astype(int) - original.astype(int)).sum(axis=2) > 60).mean() > 0.002


@pytest.fixture
def in_process(monkeypatch, pc_models, capsys):
    """`run(*args) -> (exit code, stderr)`: main.py's run in this process, with the
    session's models (counted: a run over many stills builds them once)."""
    built = []
    stills_models = pc_models(still=True, tracking=False)  # before the patch below

    def cached(settings, *, still, tracking, clock=None, app_dir=None):
        built.append((still, tracking))
        assert (still, tracking) == (True, False), "these runs are all stills"
        return stills_models

    monkeypatch.setattr(backends, "pc_models", cached)

    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        code = launch.run([*args, "--headless"])
        return code, capsys.readouterr().err

    run.built = built  # type: ignore[attr-defined]
    return run


def test_models_load_once_for_several_paths(in_process, photos, tmp_path):
    out = tmp_path / "two.jsonl"
    paths = [str(photos / "obama.jpg"), str(photos / "astronaut.png")]
    code, err = in_process("--source", *paths, "--json", str(out))
    assert code == 0, err
    assert in_process.built == [(True, False)]  # stills: tracking off, built once
    assert [line["source"] for line in read_jsonl(out)] == paths  # the order given


def test_a_glob_pattern_the_shell_left_alone(in_process, photos, tmp_path):
    out = tmp_path / "glob.jsonl"
    code, err = in_process("--source", str(photos / "*.jpg"), "--json", str(out))
    assert code == 0, err
    assert [Path(line["source"]).name for line in read_jsonl(out)] == ["biden.jpg", "obama.jpg"]
    assert "broken.jpg; skipped" in err


def test_no_readable_image_is_exit_2_and_writes_nothing(in_process, photos, tmp_path):
    out = tmp_path / "none.jsonl"
    out.write_text("previous\n")
    code, err = in_process("--source", str(photos / "broken.jpg"), str(photos / "huge.png"),
                           "--json", str(out), "--output", str(tmp_path / "annotated"))
    assert code == 2 and err.strip().splitlines()[-1] == "error: none of the 2 images could be read"
    assert out.read_text() == "previous\n"
    assert not (tmp_path / "annotated").exists()  # no image: no folder either


def test_an_output_folder_never_overwrites_an_input(photos):
    before = {p.name: p.read_bytes() for p in photos.iterdir()}
    error = one_error(run_main("--source", str(photos), "--headless", "--output", str(photos)))
    assert "is the source" in error
    assert {p.name: p.read_bytes() for p in photos.iterdir()} == before


def test_two_images_of_one_name_would_clash(in_process, photos, tmp_path):
    code, err = in_process("--source", str(photos / "obama.jpg"), str(DATA / "obama.jpg"),
                           "--output", str(tmp_path / "out"))
    assert code == 2 and "have the same name" in err
    assert not (tmp_path / "out").exists()


def test_an_output_that_is_a_file_is_refused(in_process, photos, tmp_path):
    (tmp_path / "file").write_text("x")
    code, err = in_process("--source", str(photos), "--output", str(tmp_path / "file"))
    assert code == 2 and "names a folder" in err


def test_sources_that_name_many_stills():
    assert many_stills([str(DATA / "obama.jpg")]) is None  # one image: a single still
    assert many_stills(["0"]) is None
    found = many_stills([str(DATA)])
    assert found is not None and Path(found[0]).parent == DATA
    assert found == sorted(found) and not any(p.endswith((".mp4", ".mov")) for p in found)
    for specs, message in [([str(DATA / "*.nothing")], "no file matches"),
                           ([str(DATA.parent / "core")], "no images in the folder"),
                           (["a.jpg", "https://x/y.jpg"], "URLs are not supported")]:
        with pytest.raises(SourceError, match=message):
            many_stills(specs)


def test_stills_are_read_one_at_a_time(photos):
    """Each image is decoded when its turn comes: one deleted after the run started is
    skipped with a warning, not found missing up front (and never all in memory)."""
    warnings: list[str] = []
    stills = Stills([str(photos / n) for n in PORTRAITS], warnings.append)
    frames = stills.frames()
    first = next(frames)
    (photos / PORTRAITS[1]).unlink()
    rest = list(frames)
    assert first.shape == (512, 512, 3) and len(rest) == 1
    assert stills.read == 2 and stills.skipped == 1 and stills.current.endswith(PORTRAITS[2])
    assert warnings == [f"no such file: {photos / PORTRAITS[1]}; skipped"]


def test_the_progress_bar_counts_images(photos):
    from app.pc.headless import HeadlessPlatform
    from app.pc.stop import StopRequest

    stills = Stills([str(photos / name) for name in PORTRAITS], print)
    platform = HeadlessPlatform(stills, None, StopRequest(), max_frames=None)
    while platform.read() is not None:
        pass
    assert platform.progress.line(2.0) == f"[{'#' * 30}] 3/3 images    1.5 images/s  ETA    0 s"


# -- a batch stopped in any way --------------------------------------------------------

def copies(folder: Path, count: int) -> list[Path]:
    """`count` real portraits (the three, in turn) under names of their own."""
    folder.mkdir()
    paths = []
    for i in range(count):
        name = PORTRAITS[i % len(PORTRAITS)]
        paths.append(folder / f"{i:03d}_{name}")
        shutil.copy(DATA / name, paths[-1])
    return paths


def not_final(*folders: Path) -> list[str]:
    """Anything in `folders` that is not a final output: a temporary file (`.part`,
    `.tmp`, a dot file) of any naming."""
    return [p.name for folder in folders for p in folder.iterdir()
            if p.name.startswith(".") or ".part" in p.name or p.name.endswith(".tmp")]


def lines_in_place(path: Path) -> list[dict]:
    """The JSON lines of a batch, read as a reader of a killed run's file must: each
    line that ends in a newline parses; only the last may be cut (without its newline),
    and only if the kill landed inside its one write."""
    import json

    *whole, tail = path.read_bytes().split(b"\n")
    lines = [json.loads(line) for line in whole]
    if tail:
        with pytest.raises(ValueError):
            json.loads(tail)
    return lines


def start_batch(root: Path, count: int):
    from conftest import start_main

    photos = copies(root / "photos", count)
    out, annotated, report = root / "faces.jsonl", root / "annotated", root / "faces.bin"
    out.write_text("previous run\n")
    report.write_bytes(b"previous run")
    proc = start_main("--source", str(root / "photos"), "--headless", "--json", str(out),
                      "--output", str(annotated), "--report", str(report))
    return proc, photos, out, annotated, report


def wait_for_stills(out: Path, proc, done: int, timeout: float = 120) -> None:
    """Until the batch's JSON lines (in place from its first still) name `done` stills."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        text = out.read_bytes()
        if not text.startswith(b"previous") and text.count(b"\n") >= done:
            return
        time.sleep(0.01)
    raise AssertionError("the batch did not get going")


def check_batch_left(photos: list[Path], out: Path, annotated: Path, report: Path,
                     *, killed: bool) -> int:
    """What a stopped batch leaves: every still with a JSON line has its annotated
    image, whole (it decodes to the still's size), and its report frames; an image
    without a line can only be the next still's (drawn, killed before its line); no
    temporary file anywhere. The number of stills done."""
    from tests.pc.test_report_file import parse
    from app.core.report import CMD_FACES

    lines = lines_in_place(out)
    assert [line["source"] for line in lines] == [str(p) for p in photos[:len(lines)]]
    assert [line["frame"] for line in lines] == list(range(len(lines)))
    assert all(len(line["faces"]) == 1 for line in lines)
    drawn = sorted(p.name for p in annotated.iterdir())
    named = [p.name for p in photos[:len(lines)]]
    assert drawn[:len(lines)] == named
    assert len(drawn) <= len(lines) + (1 if killed else 0)
    for name in drawn:
        image = cv2.imread(str(annotated / name))
        assert image is not None and image.shape == cv2.imread(str(out.parent / "photos" /
                                                                   name)).shape, name
    messages, parser = parse(report.read_bytes())
    faces = [m for m in messages if m[1] == CMD_FACES]
    # the report's frames follow the still's line: a kill between leaves one line more
    assert len(faces) in ((len(lines) - 1, len(lines)) if killed else (len(lines),))
    assert parser.rejected <= (1 if killed else 0)  # a kill inside the last frame's write
    assert not_final(out.parent, annotated) == []
    return len(lines)


@pytest.mark.parametrize("delay", [0.0, 0.037, 0.071])
def test_a_batch_killed_outright_leaves_every_still_done(tmp_path, delay):
    """`kill -9` mid-batch (after 3 stills, `delay` seconds into the next ones): each
    still done has its annotated image and its JSON line in place, the lines parse,
    the report holds their frames, and no temporary file is left (there never is one:
    the images are written without a name and linked into place, the lines and the
    report in place)."""
    import signal

    proc, photos, out, annotated, report = start_batch(tmp_path, 24)
    wait_for_stills(out, proc, 3)
    if delay:
        import time
        time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    done = check_batch_left(photos, out, annotated, report, killed=True)
    assert 3 <= done < 24


def test_a_batch_stopped_by_sigterm_leaves_every_still_done(tmp_path):
    import signal

    proc, photos, out, annotated, report = start_batch(tmp_path, 24)
    wait_for_stills(out, proc, 4)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr and "interrupted after" in stderr
    done = check_batch_left(photos, out, annotated, report, killed=False)
    assert 4 <= done < 24
    assert out.read_bytes().endswith(b"\n") and len(list(annotated.iterdir())) == done


def test_a_refused_batch_keeps_the_previous_files(tmp_path):
    """The batch's outputs are written in place, but only from its first still done: a
    refused run, or one whose images all fail, leaves a previous file as it was."""
    photos = copies(tmp_path / "photos", 2)
    out, report = tmp_path / "faces.jsonl", tmp_path / "faces.bin"
    out.write_text("previous run\n")
    report.write_bytes(b"previous run")
    error = one_error(run_main("--source", str(tmp_path / "photos"), "--headless", "--json",
                               str(out), "--report", str(report), "--output", str(photos[0])))
    assert "names a folder" in error
    for photo in photos:
        photo.write_bytes(b"\xff\xd8 not a jpeg any more")
    result = run_main("--source", str(tmp_path / "photos"), "--headless", "--json", str(out),
                      "--report", str(report))
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1] == "error: none of the 2 images could be read"
    assert out.read_text() == "previous run\n" and report.read_bytes() == b"previous run"
    assert not_final(tmp_path) == []
