"""The network view's address on the screen: its URL (with the token) as a QR code a
phone can scan, and as text under it, on the left of the frame (the settings panel is
on the right). Drawn while WEB is on and the settings panel is open."""
from __future__ import annotations

import functools

import cv2
import numpy as np

from ..qr import qr_image

_FONT = cv2.FONT_HERSHEY_PLAIN


@functools.lru_cache(maxsize=4)
def _code(url: str, side: int) -> np.ndarray:
    """The QR code of `url` as an RGB image at most `side` pixels wide (whole pixels per
    module, a 2-module quiet zone: the white card around it adds to it)."""
    probe = qr_image(url.encode(), 1, quiet=2)
    scale = max(1, side // probe.shape[0])
    grey = qr_image(url.encode(), scale, quiet=2)
    return np.repeat(grey[:, :, None], 3, axis=2)


def _lines(url: str) -> list[str]:
    """The URL cut before its query (`?token=...`), so each line is short."""
    head, sep, query = url.partition("?")
    return [head, sep + query] if sep else [head]


def draw_address(rgb: np.ndarray, url: str) -> None:
    """Paint the QR code of `url` and its text on `rgb` (H, W, 3) uint8 in place."""
    h, w = rgb.shape[:2]
    lines = _lines(url)
    margin = max(2, h // 60)
    widest = max(cv2.getTextSize(line, _FONT, 1.0, 1)[0][0] for line in lines)
    text_scale = max(0.5, min(1.2, (w * 0.62) / max(widest, 1)))
    line_h = int(round(14 * text_scale)) + 2
    side = max(21, min(int(h * 0.62), int(w * 0.45)) - 2 * margin)
    code = _code(url, side)
    cs = code.shape[0]
    x0 = margin
    y0 = max(margin, (h - cs - len(lines) * line_h - margin) // 2)
    if y0 + cs <= h and x0 + cs <= w:
        rgb[y0:y0 + cs, x0:x0 + cs] = code
    ty = min(h - margin, y0 + cs + margin)
    box_w = int(widest * text_scale) + 2 * margin
    box_h = len(lines) * line_h + margin
    region = rgb[ty:ty + box_h, x0:x0 + box_w]
    region[:] = region // 4  # dark behind the text
    for i, line in enumerate(lines):
        cv2.putText(rgb, line, (x0 + margin, ty + (i + 1) * line_h - 2), _FONT, text_scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
