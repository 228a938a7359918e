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
    """...where the composite is opaque or transparent; its few partly covered pixels
    are made whole (the masked copy draws text), opaque when covered at least half."""
    fast = sprites.text_sprite(s, cap, style).sprite
    slow = canvas_sprite(s, cap, style)
    assert fast.colour.shape == slow.colour.shape and fast.colour.dtype == np.uint8
    t = slow.transparency[:, :, 0]
    whole = (t == 0) | (t == 255)
    assert np.abs(fast.colour.astype(int) - slow.colour)[whole].max(initial=0) <= 1
    assert np.array_equal(fast.transparency[whole], slow.transparency[whole])
    partial = ~whole
    assert partial.sum() <= 0.1 * max((t < 255).sum(), 1)  # an edge pixel here and there
    assert np.array_equal(fast.transparency[partial][:, 0] == 0, t[partial] < 128)
    assert set(np.unique(fast.transparency)) <= {0, 255}
    assert np.array_equal(fast.opaque, np.where(fast.transparency[:, :, 0] == 0, 255, 0))
    if s.strip():  # something is drawn, opaque at the glyphs' cores
        assert fast.transparency.min() == 0


@pytest.mark.parametrize("s,cap", [("23.4 fps  1 face", 12.0), ("Wg|@#", 31.5)])
def test_text_drawn_as_a_masked_copy_equals_its_blend(s, cap):
    sprite = sprites.text_sprite(s, cap, DEFAULT_STYLES.hud).sprite
    blended = sprites.Sprite(sprite.colour, sprite.transparency)  # no mask: the blend
    rng = np.random.default_rng(3)
    for x, y in [(5, 7), (0, 0), (-3, 2), (180, 40)]:  # whole, and clipped (blended)
        frame = rng.integers(0, 256, (60, 200, 3), np.uint8)
        expected = frame.copy()
        sprite.draw(frame, x, y)
        blended.draw(expected, x, y)
        assert np.array_equal(frame, expected)


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
