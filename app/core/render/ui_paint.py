"""Paints the touch buttons laid out by app.core.ui: translucent dark rounded rectangles
with white ASCII labels or line icons.

Each distinct button look (size, colours, caption or icon) is drawn once into a sprite
(render/sprites.py) and blended onto every frame with two cv2 calls: a frame's ten
buttons cost about what one of them cost to draw.
"""
from __future__ import annotations

import functools
from typing import Callable, Mapping, Sequence

import cv2
import numpy as np

from ..ui import Action, Button, Rect, UiState
from . import painters, sprites
from .styles import DEFAULT_STYLES, RGB, TextStyle, UiStyle

# Draws a caption centred in a rect, cap height in pixels; False if it cannot (no font).
TextPainter = painters.TextPainter


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


def _icon_back(mask: np.ndarray, w: int, h: int, thick: int) -> None:
    cx, cy, s = w / 2, h / 2, h * 0.22
    pts = np.array([[cx + s * 0.5, cy - s], [cx - s * 0.6, cy], [cx + s * 0.5, cy + s]])
    cv2.polylines(mask, [painters.to_fixed(pts)], False, 255, thick, cv2.LINE_AA, painters.SHIFT)


def _icon_menu(mask: np.ndarray, w: int, h: int, thick: int) -> None:
    cx, cy, s = w / 2, h / 2, h * 0.22
    ys = cy + np.array([-s * 0.8, 0.0, s * 0.8])
    left = np.stack([np.full(3, cx - s), ys], 1)
    right = np.stack([np.full(3, cx + s), ys], 1)
    segs = painters.to_fixed(np.stack([left, right], 1).reshape(-1, 2)).reshape(3, 2, 2)
    cv2.polylines(mask, segs, False, 255, thick, cv2.LINE_AA, painters.SHIFT)  # type: ignore[call-overload]


_ICONS: Mapping[Action, Callable[[np.ndarray, int, int, int], None]] = {
    Action.EXIT: _icon_back,
    Action.SETTINGS: _icon_menu,
}


@functools.lru_cache(maxsize=128)
def button_sprite(w: int, h: int, fill: RGB, alpha: float, corner: float, icon: Action | None,
                  label: str, style: UiStyle) -> sprites.Sprite:
    """One button's look: a rounded panel of `fill` at `alpha`, and its icon or its
    (ASCII) caption; "" draws no caption (a painter with a font draws it afterwards)."""
    canvas = sprites.Canvas(w, h)
    panel = canvas.mask()
    cv2.fillPoly(panel, [_rounded(w, h, round(corner * h))], 255, cv2.LINE_AA)
    canvas.over(panel, fill, alpha)
    draw_icon = _ICONS.get(icon) if icon is not None else None
    if draw_icon is not None:
        mark = canvas.mask()
        draw_icon(mark, w, h, max(2, round(h / 14)))
        canvas.over(mark, style.text_rgb)
    elif label:
        cap = painters.fit_cap(label, style.text_height * h, w * 0.84)
        tw = sprites.text_size(label, cap)[0]
        canvas.text(label, ((w - tw) // 2, (h + round(cap)) // 2), cap,
                    TextStyle(style.text_rgb, style.fill_rgb))
    return canvas.sprite()


def draw_ui(rgb: np.ndarray, buttons: Sequence[Button], state: UiState,
            style: UiStyle = DEFAULT_STYLES.ui, text: TextPainter | None = None) -> None:
    """Paint `buttons` (image px, from ui.layout) on `rgb` (H, W, 3) uint8 in place.

    `text` draws captions that are not ASCII (the device's CJK font); without it, or
    if it declines, the button's English caption is drawn.
    """
    for b in buttons:  # < 12 buttons
        held = b.action is not None and b.action == state.held
        fill = style.held_rgb if held else style.active_rgb if b.active else style.fill_rgb
        alpha = style.emphasis_alpha if held or b.active else style.fill_alpha
        r = b.rect
        icon = b.action if b.action in _ICONS else None
        painted_by_font = (icon is None and not b.label.isascii() and text is not None)
        label = "" if icon is not None or painted_by_font else (
            b.label if b.label.isascii() else b.ascii_label)
        button_sprite(r.w, r.h, fill, alpha, style.corner, icon, label, style).draw(
            rgb, r.x, r.y)
        if painted_by_font:
            assert text is not None
            if not text(b.label, r, style.text_height * r.h, style.text_rgb):
                fallback = button_sprite(r.w, r.h, fill, 0.0, style.corner, None,
                                         b.ascii_label, style)
                fallback.draw(rgb, r.x, r.y)
