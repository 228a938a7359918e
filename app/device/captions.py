"""Button captions in the system language, drawn with maix's font engine.

cv2 has no CJK glyphs; MaixPy draws any glyph of a loaded font. The official apps load
Source Han Sans from /maixapp/share/font; when it is missing the English captions stay.
"""
from __future__ import annotations

import os

from maix import i18n, image

from ..core.platform import Frame
from ..core.render.ui_paint import TextPainter
from ..core.ui import Rect

FONT_NAME = "sourcehansans"
FONT_PATH = "/maixapp/share/font/SourceHanSansCN-Regular.otf"
FONT_SIZE = 24


def system_locale() -> str:
    """The device's language setting ("en", "zh", ...); "en" if it cannot be read."""
    try:
        return str(i18n.get_locale()) or "en"
    except Exception:  # an old MaixPy without i18n.get_locale: English it is
        return "en"


class MaixCaptions:
    """`painter(frame)` -> a TextPainter drawing on the frame's maix image, or None."""

    def __init__(self, font_path: str = FONT_PATH, size: int = FONT_SIZE) -> None:
        self.loaded = False
        if os.path.isfile(font_path):
            try:
                image.load_font(FONT_NAME, font_path, size=size)
                self.loaded = True
            except Exception:  # a broken font file: keep the English captions
                self.loaded = False
        self._glyph_h = float(image.string_size("国", font=FONT_NAME).height()) if self.loaded else 0.0

    def painter(self, frame: Frame) -> TextPainter | None:
        if not self.loaded or self._glyph_h <= 0:
            return None
        img = frame.native

        def draw(text: str, rect: Rect, cap: float, color: tuple[int, int, int]) -> bool:
            scale = max(0.5, cap * 1.4 / self._glyph_h)
            size = image.string_size(text, scale=scale, font=FONT_NAME)
            if size.width() > rect.w * 0.9:
                scale *= rect.w * 0.9 / size.width()
                size = image.string_size(text, scale=scale, font=FONT_NAME)
            x = rect.x + (rect.w - size.width()) // 2
            y = rect.y + (rect.h - size.height()) // 2
            img.draw_string(x, y, text, image.Color.from_rgb(*color), scale=scale,
                            font=FONT_NAME)
            return True

        return draw

