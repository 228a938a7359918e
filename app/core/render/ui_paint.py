"""Paints the touch buttons laid out by app.core.ui: translucent dark rounded rectangles
with white ASCII labels or line icons. Per button one small ROI blend and a text call;
a frame has fewer than ten buttons.
"""
from __future__ import annotations

import functools
from typing import Callable, Mapping, Sequence

import cv2
import numpy as np

from ..ui import Action, Button, Rect, UiState
from . import painters
from .styles import DEFAULT_STYLES, TextStyle, UiStyle


@functools.lru_cache(maxsize=64)
def _rounded(w: int, h: int, r: int) -> np.ndarray:
    """(K, 2) int32 outline of a w x h rounded rectangle at (0, 0), corner radius r."""
    r = max(0, min(r, w // 2, h // 2))
    t = np.linspace(0.0, np.pi / 2, 5)
    arc = np.stack([np.cos(t), np.sin(t)], axis=1) * r  # quarter circle, (5, 2)
    corners = [
        (w - 1 - r, h - 1 - r, arc),  # bottom-right: 0 -> 90 deg
        (r, h - 1 - r, arc[:, ::-1] * [-1, 1]),  # bottom-left
        (r, r, -arc),  # top-left
        (w - 1 - r, r, arc[:, ::-1] * [1, -1]),  # top-right
    ]
    pts = np.concatenate([c + np.array([cx, cy]) for cx, cy, c in corners])
    return np.rint(pts).astype(np.int32)


def _panel(img: np.ndarray, b: Button, color: tuple[int, int, int], alpha: float,
           corner: float) -> None:
    """Blend a filled rounded rectangle into the button's rect (clipped to the frame)."""
    h, w = img.shape[:2]
    r = b.rect
    x0, y0 = max(r.x, 0), max(r.y, 0)
    x1, y1 = min(r.x + r.w, w), min(r.y + r.h, h)
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    over = roi.copy()
    shape = _rounded(r.w, r.h, round(corner * r.h)) + np.array([r.x - x0, r.y - y0], np.int32)
    cv2.fillPoly(over, [shape], color, cv2.LINE_AA)
    cv2.addWeighted(over, alpha, roi, 1.0 - alpha, 0.0, dst=roi)


def _icon_back(img: np.ndarray, b: Button, color, thick: int) -> None:
    r = b.rect
    cx, cy, s = r.x + r.w / 2, r.y + r.h / 2, r.h * 0.22
    pts = np.array([[cx + s * 0.5, cy - s], [cx - s * 0.6, cy], [cx + s * 0.5, cy + s]])
    cv2.polylines(img, [painters.to_fixed(pts)], False, color, thick, cv2.LINE_AA, painters.SHIFT)


def _icon_menu(img: np.ndarray, b: Button, color, thick: int) -> None:
    r = b.rect
    cx, cy, s = r.x + r.w / 2, r.y + r.h / 2, r.h * 0.22
    ys = cy + np.array([-s * 0.8, 0.0, s * 0.8])
    left = np.stack([np.full(3, cx - s), ys], 1)
    right = np.stack([np.full(3, cx + s), ys], 1)
    segs = painters.to_fixed(np.stack([left, right], 1).reshape(-1, 2)).reshape(3, 2, 2)
    cv2.polylines(img, segs, False, color, thick, cv2.LINE_AA, painters.SHIFT)  # type: ignore[call-overload]


_ICONS: Mapping[Action, Callable[[np.ndarray, Button, tuple, int], None]] = {
    Action.EXIT: _icon_back,
    Action.SETTINGS: _icon_menu,
}


# Draws a caption centred in a rect, cap height in pixels; False if it cannot (no font).
TextPainter = Callable[[str, "Rect", float, tuple[int, int, int]], bool]


def draw_ui(rgb: np.ndarray, buttons: Sequence[Button], state: UiState,
            style: UiStyle = DEFAULT_STYLES.ui, text: TextPainter | None = None) -> None:
    """Paint `buttons` (image px, from ui.layout) on `rgb` (H, W, 3) uint8 in place.

    `text` draws captions that are not ASCII (the device's CJK font); without it, or
    if it declines, the button's English caption is drawn with cv2.
    """
    text_style = TextStyle(color_rgb=style.text_rgb, outline_rgb=style.fill_rgb)
    for b in buttons:  # < 10 buttons
        held = b.action is not None and b.action == state.held
        fill = style.held_rgb if held else style.active_rgb if b.active else style.fill_rgb
        alpha = style.emphasis_alpha if held or b.active else style.fill_alpha
        _panel(rgb, b, fill, alpha, style.corner)
        r = b.rect
        cap = style.text_height * r.h
        icon = _ICONS.get(b.action) if b.action else None
        if icon is not None:
            icon(rgb, b, style.text_rgb, max(2, round(r.h / 14)))
            continue
        if not b.label.isascii() and text is not None and text(b.label, r, cap, style.text_rgb):
            continue
        label = b.label if b.label.isascii() else b.ascii_label
        cap = painters.fit_cap(label, cap, r.w * 0.84)
        painters.text(rgb, label, (r.x + r.w // 2, r.y + (r.h + round(cap)) // 2),
                      text_style, cap, center=True)
