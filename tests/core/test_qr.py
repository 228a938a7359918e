"""The QR encoder the screen shows the network view's URL with: every version it makes
(1-10, level M, byte mode) is read back by OpenCV's QR detector, as drawn on a frame."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.core.qr import MAX_VERSION, capacity, qr_image, qr_matrix
from app.core.render.address import draw_address

TEXT = ("http://192.168.100.123:8080/?token=" + "Yx3kR_2q9aB7mZLpQwErTg-" * 10)


@pytest.mark.parametrize("version", range(1, MAX_VERSION + 1))
@pytest.mark.parametrize("fill", ["shortest", "fullest"])
def test_every_version_reads_back(version, fill):
    length = capacity(version) if fill == "fullest" else (capacity(version - 1) + 1 if version > 1 else 1)
    data = TEXT[:length].encode()
    matrix = qr_matrix(data)
    assert matrix.shape == (17 + 4 * version,) * 2
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(qr_image(data, 4))
    assert text == data.decode()


def test_non_ascii_bytes_and_the_limit():
    data = "人脸 http://x/?t=é".encode()
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(qr_image(data, 5))
    assert text.encode("latin-1", "replace") == data or text == data.decode()
    with pytest.raises(ValueError, match="do not fit"):
        qr_matrix(b"x" * (capacity(MAX_VERSION) + 1))


@pytest.mark.parametrize("size", [(320, 224), (552, 368), (640, 360), (1280, 720)])
def test_the_address_on_a_frame_reads_back(size):
    url = "http://192.168.100.123:8080/?token=Yx3kR_2q9aB7mZLpQwErTg"
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    draw_address(frame, url)
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(frame)
    assert text == url
