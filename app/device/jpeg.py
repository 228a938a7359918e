"""JPEG frames for the network view's stream through maix: `Image.to_jpeg` runs on the
MaixCAM's hardware JPEG encoder (MaixCDK: mmf_enc_jpg, for RGB888 images), leaving the
1 GHz C906 core only the hand-over; cv2.imencode would encode on that core. (MaixPy's PC
build encodes with OpenCV inside to_jpeg, at its own fixed quality.)"""
from __future__ import annotations

from typing import Callable

import numpy as np

from maix import image

# MaixCAM's encoder takes quality in (50, 100].
QUALITY = 80


def maix_jpeg(quality: int = QUALITY) -> Callable[[np.ndarray], bytes]:
    """An encoder of (H, W, 3) uint8 RGB frames to JPEG bytes (app/net/web's JpegEncoder)."""
    def encode(rgb: np.ndarray) -> bytes:
        frame = np.ascontiguousarray(rgb)
        img = image.cv2image(frame, bgr=False, copy=False)  # `frame` outlives `img`
        jpeg = img.to_jpeg(quality)
        if jpeg is None:
            raise ValueError("maix to_jpeg gave no image")
        return bytes(jpeg.to_bytes(copy=True))

    return encode
