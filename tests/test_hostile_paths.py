"""Paths and photos as real users have them, through real processes: file names that
are not UTF-8, symbolic link loops, outputs over the files the app reads, `-` for
standard output, long names, every listed image format, phone photos with an EXIF
orientation, truncated files."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.backends import APP_DIR, MANIFEST
from app.pc.outputs import IMAGE_OUT_SUFFIXES
from app.pc.sources import read_image
from conftest import DATA, one_error, read_jsonl, run_main

PORTRAIT = DATA / "obama.jpg"


def leftovers(*folders: Path) -> list[str]:
    """Temporary files (`.part`, `.tmp`) left in `folders`."""
    return [p.name for folder in folders if folder.is_dir() for p in folder.iterdir()
            if ".part" in p.name or p.name.endswith(".tmp")]


def test_a_file_name_that_is_not_utf8(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(PORTRAIT, photos / "a.jpg")
    latin1 = os.fsdecode(b"caf\xe9.jpg")  # as an old camera card or a Windows archive has it
    shutil.copy(DATA / "biden.jpg", photos / latin1)
    out, annotated = tmp_path / "faces.jsonl", tmp_path / "annotated"
    result = run_main("--source", str(photos), "--headless", "--json", str(out),
                      "--output", str(annotated))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = read_jsonl(out)
    assert [line["source"] for line in lines] == [str(photos / "a.jpg"), str(photos / latin1)]
    assert all(len(line["faces"]) == 1 for line in lines)
    assert sorted(os.listdir(os.fsencode(annotated))) == [b"a.jpg", b"caf\xe9.jpg"]
    assert leftovers(tmp_path, annotated) == []


def test_a_symbolic_link_loop_is_skipped_with_one_warning(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(PORTRAIT, photos / "a.jpg")
    (photos / "loop.jpg").symlink_to("loop.jpg")
    out = tmp_path / "faces.jsonl"
    result = run_main("--source", str(photos), "--headless", "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"warning: {photos / 'loop.jpg'}: Too many levels of symbolic links; skipped"]
    assert [line["source"] for line in read_jsonl(out)] == [str(photos / "a.jpg")]
    # named directly, next to a good image
    result = run_main("--source", str(photos / "loop.jpg"), str(photos / "a.jpg"),
                      "--headless", "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("warning: ") and "skipped" in result.stderr


@pytest.mark.parametrize("option", ["--json", "--report"])
@pytest.mark.parametrize("target", ["data/config.ini", "app.yaml", "models/pc/face_detector.tflite"])
def test_an_output_over_a_file_the_app_reads_is_refused(option, target):
    path = APP_DIR / target
    before = path.read_bytes() if path.exists() else None
    try:
        result = run_main("--source", str(PORTRAIT), "--headless", option, target)
        assert "the app never writes over a file it reads" in one_error(result)
    finally:
        after = path.read_bytes() if path.exists() else None
        if after != before:  # put back what a failing run destroyed
            path.write_bytes(before) if before is not None else path.unlink()
    assert after == before


def test_every_listed_image_format_writes(tmp_path):
    for suffix in sorted(IMAGE_OUT_SUFFIXES):
        out = tmp_path / f"annotated{suffix}"
        result = run_main("--source", str(PORTRAIT), "--headless", "--output", str(out))
        assert result.returncode == 0, (suffix, result.stderr)
        written = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
        assert written is not None and written.shape[:2] == (1137, 910), suffix
    assert leftovers(tmp_path) == []


def test_a_250_character_name(tmp_path):
    photos, annotated = tmp_path / "photos", tmp_path / "annotated"
    photos.mkdir()
    name = "p" * 246 + ".jpg"
    shutil.copy(PORTRAIT, photos / name)
    shutil.copy(DATA / "biden.jpg", photos / "b.jpg")
    result = run_main("--source", str(photos), "--headless", "--json",
                      str(tmp_path / ("j" * 244 + ".jsonl")), "--output", str(annotated))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in annotated.iterdir()) == ["b.jpg", name]
    assert (tmp_path / ("j" * 244 + ".jsonl")).is_file()
    assert leftovers(tmp_path, annotated) == []


def test_the_same_still_twice_is_read_once(tmp_path):
    out, annotated = tmp_path / "faces.jsonl", tmp_path / "annotated"
    (tmp_path / "link.jpg").symlink_to(PORTRAIT)
    result = run_main("--source", str(PORTRAIT), str(PORTRAIT), str(tmp_path / "link.jpg"),
                      "--headless", "--json", str(out), "--output", str(annotated))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"warning: {PORTRAIT} is given twice: read once",
        f"warning: {tmp_path / 'link.jpg'} and {PORTRAIT} are the same file: read once"]
    assert [line["source"] for line in read_jsonl(out)] == [str(PORTRAIT)]


def test_dash_is_standard_output(tmp_path):
    result = run_main("--source", str(PORTRAIT), str(DATA / "biden.jpg"), "--headless",
                      "--json", "-")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [len(line["faces"]) for line in lines] == [1, 1]
    assert not (APP_DIR / "-").exists()
    import subprocess
    import sys
    report = subprocess.run([sys.executable, str(APP_DIR / "main.py"), "--source",
                             str(PORTRAIT), "--headless", "--report", "-"], cwd=tmp_path,
                            capture_output=True, timeout=120)
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith(b"\xaa\xca\xac\xbb") and not (tmp_path / "-").exists()
    both = run_main("--source", str(PORTRAIT), "--headless", "--json", "-", "--report", "-")
    assert "standard output" in one_error(both)


@pytest.mark.parametrize("option", ["--json", "--report"])
def test_a_path_naming_a_folder_is_refused(tmp_path, option):
    result = run_main("--source", str(PORTRAIT), "--headless", option, f"{tmp_path}/newdir/")
    assert "names a folder" in one_error(result)
    assert list(tmp_path.iterdir()) == []


def test_no_image_read_leaves_no_output_folder(tmp_path):
    photos, annotated = tmp_path / "photos", tmp_path / "annotated"
    photos.mkdir()
    (photos / "a.jpg").write_bytes(b"not a jpeg")
    (photos / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n nor a png")
    result = run_main("--source", str(photos), "--headless", "--json",
                      str(tmp_path / "f.jsonl"), "--output", str(annotated))
    assert result.returncode == 2 and "none of the 2 images" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]


# -- photos as phones write them --------------------------------------------------------

def _transpose_for(orientation: int):
    """The Pillow transpose that a viewer undoes for EXIF `orientation` (its inverse is
    what the file stores)."""
    from PIL import Image
    stored = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
              4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
              6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_270}
    return stored.get(orientation)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_is_applied(tmp_path, orientation):
    """A portrait stored as a phone stores it (turned or mirrored, with the EXIF tag that
    says how to show it), written by Pillow: read upright, as every viewer shows it."""
    from PIL import Image, ImageOps

    upright = Image.open(PORTRAIT)
    transpose = _transpose_for(orientation)
    stored = upright.transpose(transpose) if transpose is not None else upright.copy()
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"phone{orientation}.jpg"
    stored.save(path, quality=95, exif=exif)
    assert ImageOps.exif_transpose(Image.open(path)).size == upright.size  # Pillow agrees
    rgb = read_image(path)
    assert rgb.shape[:2] == (upright.height, upright.width)
    assert np.abs(rgb.astype(int) - np.asarray(upright.convert("RGB"), int)).mean() < 4
    out = tmp_path / "faces.jsonl"
    result = run_main("--source", str(path), "--headless", "--json", str(out))
    assert result.returncode == 0, result.stderr
    roll = read_jsonl(out)[0]["faces"][0]["signals"]["pose"][2]
    assert abs(roll) < 10, roll  # upright, not turned by 90 degrees


def test_a_truncated_jpeg_is_one_warning_of_ours(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    data = PORTRAIT.read_bytes()
    (photos / "a_cut.jpg").write_bytes(data[: len(data) // 3])
    png = (DATA / "astronaut.png").read_bytes()
    (photos / "b_cut.png").write_bytes(png[: len(png) // 2])
    shutil.copy(DATA / "biden.jpg", photos / "c.jpg")
    out = tmp_path / "faces.jsonl"
    result = run_main("--source", str(photos), "--headless", "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"warning: {photos / 'a_cut.jpg'} is truncated or corrupt",
        f"warning: {photos / 'b_cut.png'} is truncated or corrupt; skipped"]
    assert [Path(line["source"]).name for line in read_jsonl(out)] == ["a_cut.jpg", "c.jpg"]


def test_a_settings_file_with_a_byte_order_mark_is_one_warning(tmp_path):
    settings = tmp_path / "config.ini"
    settings.write_bytes(b"\xef\xbb\xbf[main]\nview = points\n")
    result = run_main("--source", str(PORTRAIT), "--headless", "--json",
                      str(tmp_path / "f.jsonl"), "--settings", str(settings))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"warning: {settings}: starts with a byte-order mark (maix's reader rejects it); "
        "read without it, removed when next saved"]
