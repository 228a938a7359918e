"""Text sprites: the uint8 composite the HUD uses is the float "over" composite of its
outline and fill (Canvas), to one level, and blends onto a frame as that says."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.core.render import sprites
from app.core.render.styles import DEFAULT_STYLES, TextStyle

STYLES = [DEFAULT_STYLES.hud, TextStyle((255, 230, 40), (10, 20, 30)),
          TextStyle((0, 0, 0), (255, 255, 255))]


def canvas_sprite(s: str, cap: float, style: TextStyle) -> sprites.Sprite:
    thick = sprites.text_thickness(cap)
    (tw, th), base = cv2.getTextSize(s, sprites.FONT, sprites.text_scale(cap), thick)
    pad = thick + 2
    canvas = sprites.Canvas(tw + 2 * pad, th + base + 2 * pad)
    canvas.text(s, (pad, pad + th), cap, style)
    return canvas.sprite()


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("s,cap", [("23.4 fps  1 face", 12.0), ("crop 2.1  mesh 4.3 ms", 9.25),
                                   ("Wg|@#", 31.5), (" ", 8.0)])
def test_text_sprite_is_the_float_composite_to_one_level(s, cap, style):
    fast = sprites.text_sprite(s, cap, style).sprite
    slow = canvas_sprite(s, cap, style)
    assert fast.colour.shape == slow.colour.shape and fast.colour.dtype == np.uint8
    assert np.abs(fast.colour.astype(int) - slow.colour).max() <= 1
    assert np.array_equal(fast.transparency, slow.transparency)
    if s.strip():  # something is drawn, opaque at the glyphs' cores
        assert fast.transparency.min() == 0


def test_text_blends_its_colours_onto_the_frame_and_leaves_the_rest():
    style = TextStyle((255, 230, 40), (10, 20, 30))
    frame = np.full((60, 200, 3), 128, np.uint8)
    width, height = sprites.draw_text(frame, "HUD 12", (10, 40), style, 20.0)
    assert width > 40 and 15 <= height <= 25
    changed = (frame != 128).any(axis=2)
    ys, xs = np.nonzero(changed)
    assert xs.min() >= 10 - 5 and ys.max() <= 40 + 10  # around the text only
    pixels = frame[changed].astype(int)
    # Both the fill and the outline colour appear, exactly, where each is opaque.
    assert (np.abs(pixels - style.color_rgb).sum(axis=1) == 0).any()
    assert (np.abs(pixels - style.outline_rgb).sum(axis=1) == 0).any()
