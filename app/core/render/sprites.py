"""Pictures drawn once and blended onto every frame: text, buttons.

Rasterising text (cv2's stroke fonts, anti-aliased, outlined) or a rounded translucent
button costs far more than copying the result: on the MaixCAM's CPU the HUD's two lines
alone cost as much as the whole mesh. So each distinct picture is drawn once into a
`Sprite` (colour premultiplied by alpha, and the transparency left for the frame) and
each frame blends it in with two cv2 calls, however much text it holds.

Outlined text is opaque or transparent but for a few pixels (where the fill's
anti-aliased edge passes its outline), so a text sprite is made wholly one or the other
(binary_sprite) and drawn as one masked copy: on RISC-V, where cv2's multiply by a scale
runs as scalar float code, that is 24 instructions a byte against 2
(bench/riscv_cost.sh: the HUD 0.83 -> 0.36 million a frame).
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import cv2
import numpy as np

from .styles import RGB, TextStyle

FONT = cv2.FONT_HERSHEY_SIMPLEX
_FONT_CAP = cv2.getTextSize("0", FONT, 1.0, 1)[0][1]  # cap height at font scale 1, px
_INV_255 = 1.0 / 255.0


class Sprite(NamedTuple):
    """A picture with alpha, ready to blend: frame = frame x transparency / 255 + colour.

    colour:       (h, w, 3) uint8, RGB premultiplied by alpha.
    transparency: (h, w, 3) uint8, 255 x (1 - alpha).
    opaque:       (h, w) uint8, 255 where the sprite covers the frame, for a sprite that
                  is opaque or transparent everywhere (text): drawn as one masked copy,
                  the blend's result at a twelfth of its RISC-V instructions.
    """

    colour: np.ndarray
    transparency: np.ndarray
    opaque: np.ndarray | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self.colour.shape[1], self.colour.shape[0]

    def draw(self, img: np.ndarray, x: int, y: int) -> None:
        """Blend onto `img` (H, W, 3) uint8 with the top-left corner at (x, y), clipped."""
        h, w = self.colour.shape[:2]
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, img.shape[1]), min(y + h, img.shape[0])
        if x1 <= x0 or y1 <= y0:
            return
        roi = img[y0:y1, x0:x1]
        if self.opaque is not None and x1 - x0 == w and y1 - y0 == h:
            cv2.copyTo(self.colour, self.opaque, roi)  # the same bytes as the blend
            return
        part = (slice(y0 - y, y1 - y), slice(x0 - x, x1 - x))
        cv2.multiply(roi, self.transparency[part], dst=roi, scale=_INV_255)
        cv2.add(roi, self.colour[part], dst=roi)


def binary_sprite(colour: np.ndarray, t: np.ndarray) -> Sprite:
    """A Sprite of `colour` (premultiplied) and transparency `t` (h, w) uint8 made opaque
    or transparent everywhere, to be drawn as a masked copy: a partly covered pixel
    (outlined text has a few, where the fill's anti-aliased edge passes its outline)
    becomes opaque in its own colour (un-premultiplied) when covered at least half, else
    transparent. `colour` and `t` are changed in place."""
    partial = cv2.inRange(t, 1, 254)  # type: ignore[call-overload]  # scalar bounds
    if cv2.countNonZero(partial):
        # a handful of pixels (none to four on a HUD line): plain ints beat numpy calls
        for x, y in cv2.findNonZero(partial).reshape(-1, 2).tolist():
            alpha = 255 - int(t[y, x])  # 255 x coverage
            if alpha >= 128:
                colour[y, x] = [min(round(v * 255 / alpha), 255) for v in colour[y, x].tolist()]
                t[y, x] = 0
            else:
                colour[y, x] = 0
                t[y, x] = 255
    opaque = cv2.compare(t, 0, cv2.CMP_EQ)  # type: ignore[call-overload]  # 255: opaque
    return Sprite(colour, cv2.merge([t] * 3), opaque)


class Canvas:
    """Builds a Sprite from layers painted back to front ("over" compositing).

    Kept as one float32 plane per channel: whole-plane arithmetic on contiguous 2-D
    arrays, where broadcasting an (h, w, 1) alpha over (h, w, 3) colour sends numpy
    through its buffered iterator (x86: ~3 against ~0.4 million instructions for a HUD
    line, which is re-made a couple of times a second).
    """

    def __init__(self, width: int, height: int) -> None:
        self.planes: list[np.ndarray] = [np.zeros((height, width), np.float32)
                                         for _ in range(3)]  # premultiplied R, G, B
        self.alpha: np.ndarray = np.zeros((height, width), np.float32)

    def mask(self) -> np.ndarray:
        """A blank coverage mask to draw a layer's shape into (255 = covered)."""
        return np.zeros(self.alpha.shape, np.uint8)

    def over(self, coverage: np.ndarray, rgb: RGB, opacity: float = 1.0) -> None:
        a = coverage.astype(np.float32)
        a *= np.float32(opacity / 255.0)
        keep = 1.0 - a
        for plane, value in zip(self.planes, rgb):
            plane *= keep
            plane += a * np.float32(value)
        self.alpha *= keep
        self.alpha += a

    def text(self, s: str, org: tuple[int, int], cap_px: float, style: TextStyle) -> None:
        """Outlined text with its baseline's left end at `org`: the outline (LINE_8, hidden
        under the anti-aliased fill's edge but for the dark rim) under the fill."""
        scale, thick = text_scale(cap_px), text_thickness(cap_px)
        outline, fill = self.mask(), self.mask()
        cv2.putText(outline, s, org, FONT, scale, 255, thick + 2, cv2.LINE_8)
        cv2.putText(fill, s, org, FONT, scale, 255, thick, cv2.LINE_AA)
        self.over(outline, style.outline_rgb)
        self.over(fill, style.color_rgb)

    def sprite(self) -> Sprite:
        colour = cv2.merge([np.clip(np.rint(p), 0, 255).astype(np.uint8) for p in self.planes])
        transparency = np.rint(255.0 * (1.0 - self.alpha)).astype(np.uint8)
        return Sprite(colour, cv2.merge([transparency] * 3))


def text_scale(cap_px: float) -> float:
    """cv2 font scale whose cap height is `cap_px` pixels."""
    return max(cap_px, 1.0) / _FONT_CAP


def text_thickness(cap_px: float) -> int:
    return max(1, round(cap_px / 10))


def text_size(s: str, cap_px: float) -> tuple[int, int]:
    """Width and cap height of `s` drawn at `cap_px`, in pixels."""
    (w, h), _ = cv2.getTextSize(s, FONT, text_scale(cap_px), text_thickness(cap_px))
    return w, h


class TextSprite(NamedTuple):
    """Outlined text as a sprite; (ox, oy) is where its baseline's left end lies in it."""

    sprite: Sprite
    ox: int
    oy: int
    width: int
    height: int


@functools.lru_cache(maxsize=256)
def text_sprite(s: str, cap_px: float, style: TextStyle) -> TextSprite:
    """`s` with a dark outline under an anti-aliased fill, as `style` says; made once per
    distinct text, size and style (the HUD's lines change twice a second)."""
    thick = text_thickness(cap_px)
    (tw, th), base = cv2.getTextSize(s, FONT, text_scale(cap_px), thick)
    pad = thick + 2  # the outline's reach beyond the glyphs
    width, height = tw + 2 * pad, th + base + 2 * pad
    outline = np.zeros((height, width), np.uint8)
    fill = np.zeros((height, width), np.uint8)
    org = (pad, pad + th)
    cv2.putText(outline, s, org, FONT, text_scale(cap_px), 255, thick + 2, cv2.LINE_8)
    cv2.putText(fill, s, org, FONT, text_scale(cap_px), 255, thick, cv2.LINE_AA)
    return TextSprite(_outlined(outline, fill, style), pad, pad + th, tw, th)


def _outlined(outline: np.ndarray, fill: np.ndarray, style: TextStyle) -> Sprite:
    """Canvas.text's composite (the fill over the outline), straight in uint8: the
    outline is drawn without anti-aliasing, all or nothing, so with f the fill's and o
    the outline's coverage (0..1) alpha is max(o, f) and the premultiplied colour
    f x fill + o x (1 - f) x outline, within one level of the float composite, for
    0.87 against 1.21 million x86 instructions a HUD line (cv2's anti-aliased glyphs are
    most of what is left): the HUD re-makes two lines twice a second."""
    rim = cv2.bitwise_and(cv2.bitwise_not(fill), outline)  # 255 x o x (1 - f)
    # coverage x colour / 255 per channel through a table (the same bytes as cv2's
    # multiply by a scale, which runs as scalar float code on RISC-V: 2.4 against 0.2
    # million instructions a HUD line)
    colour = cv2.add(cv2.LUT(cv2.merge([fill] * 3), _coverage_table(style.color_rgb)),
                     cv2.LUT(cv2.merge([rim] * 3), _coverage_table(style.outline_rgb)))
    return binary_sprite(colour, cv2.bitwise_not(cv2.max(outline, fill)))


@functools.lru_cache(maxsize=64)
def _coverage_table(rgb: RGB) -> np.ndarray:
    """(1, 256, 3) uint8: [0, v, c] = cv2.multiply(v, rgb[c], scale=1/255), by that call."""
    v = np.arange(256, dtype=np.uint8).reshape(1, 256)
    # A colour tuple is a cv2 Scalar (one factor per channel); the stubs know only arrays.
    return cv2.multiply(cv2.merge([v] * 3), (*rgb, 0), scale=_INV_255)  # type: ignore[call-overload]


def draw_text(img: np.ndarray, s: str, org: tuple[int, int], style: TextStyle,
              cap_px: float, center: bool = False) -> tuple[int, int]:
    """Outlined text with its baseline's left end (its middle with `center`) at `org`.
    Returns the text's width and cap height in pixels."""
    t = text_sprite(s, round(cap_px * 4) / 4, style)  # quarter pixels: a bounded cache
    x = org[0] - (t.width // 2 if center else 0)
    t.sprite.draw(img, x - t.ox, org[1] - t.oy)
    return t.width, t.height
