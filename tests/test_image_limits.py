"""Huge stills: the size comes from the header of real encoded files, and a still over
pc.max_image_pixels is refused before decoding, so memory stays bounded."""
from __future__ import annotations

import io
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from app.pc.image_header import pixel_size
from app.pc.sources import SourceError, read_image
from conftest import DATA, ROOT, one_error, run_main

PORTRAIT = DATA / "obama.jpg"


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".bmp", ".webp", ".pgm", ".ppm"])
def test_the_size_is_read_from_every_format_opencv_writes(suffix):
    image = cv2.imread(str(PORTRAIT))[:301, :517]  # odd sizes: width and height not swapped
    if suffix == ".pgm":
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    ok, data = cv2.imencode(suffix, image)
    assert ok
    assert pixel_size(data.tobytes()) == (517, 301)


@pytest.mark.parametrize("lossless", [False, True])
def test_webp_lossy_and_lossless_headers(lossless):
    buffer = io.BytesIO()
    Image.new("RGB", (333, 97), (10, 200, 30)).save(buffer, "WEBP", lossless=lossless)
    assert pixel_size(buffer.getvalue()) == (333, 97)


def test_a_phone_jpeg_with_exif_and_progressive_scan():
    """EXIF (APP1) and a thumbnail come before the frame header; progressive is SOF2."""
    rgb = cv2.cvtColor(cv2.imread(str(PORTRAIT)), cv2.COLOR_BGR2RGB)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: stored sideways
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", exif=exif, progressive=True)
    height, width = rgb.shape[:2]
    assert pixel_size(buffer.getvalue()) == (width, height)  # as stored, before turning


def test_cut_or_unknown_headers_give_none():
    ok, data = cv2.imencode(".jpg", cv2.imread(str(PORTRAIT)))
    assert pixel_size(data.tobytes()[:20]) is None  # cut before the frame header
    assert pixel_size(b"") is None
    assert pixel_size(b"GIF89a" + bytes(20)) is None  # not a format the app lists
    assert pixel_size(b"P5\n# comment\nnot numbers\n") is None


def test_a_still_over_the_limit_is_refused_unread(tmp_path):
    big = tmp_path / "big.jpg"
    image = cv2.resize(cv2.imread(str(PORTRAIT)), (5000, 4000))  # 20 MP
    cv2.imwrite(str(big), image)
    with pytest.raises(SourceError, match=r"5000 x 4000 pixels, over the limit of 16,000,000"):
        read_image(big)
    assert read_image(big, max_pixels=20_000_000).shape == (4000, 5000, 3)


def test_a_20000_by_20000_png_is_refused_in_bounded_memory(tmp_path):
    """The whole process, as a user runs it: one error line, and far less memory than
    the 1.2 GB the pixels would take (the issue measured 2.4 GB)."""
    huge = tmp_path / "huge.png"
    ok, data = cv2.imencode(".png", np.zeros((20000, 20000), np.uint8))
    assert ok
    data.tofile(str(huge))
    del data
    probe = ("import resource, subprocess, sys; "
             "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
             "sys.stderr.write(r.stderr); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
             "sys.exit(r.returncode)")
    result = subprocess.run([sys.executable, "-c", probe, sys.executable, str(ROOT / "main.py"),
                             "--source", str(huge), "--headless"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "20000 x 20000 pixels, over the limit" in one_error(result)
    peak_kb = int(result.stdout.strip())
    assert peak_kb < 400_000, peak_kb


def test_the_limit_is_a_setting(tmp_path):
    settings = tmp_path / "config.ini"
    settings.write_text("[settings]\npc.max_image_pixels = 100000\n")
    result = run_main("--source", str(PORTRAIT), "--headless", "--settings", str(settings),
                      "--json", str(tmp_path / "out.jsonl"), "--output", str(tmp_path / "o.png"))
    assert "over the limit of 100,000" in one_error(result)
    settings.write_text("[settings]\npc.max_image_pixels = 0\n")  # out of range: warned, default kept
    result = run_main("--source", str(PORTRAIT), "--headless", "--settings", str(settings),
                      "--json", str(tmp_path / "out.jsonl"), "--output", str(tmp_path / "o.png"))
    assert result.returncode == 0, result.stderr
    assert "max_image_pixels" in result.stderr
