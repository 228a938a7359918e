"""The PC as a `Platform`: frames from a file or camera, a window, the mouse as touch.

The window shows the frame letterboxed (FIT_CONTAIN, as the device's display does), so
buttons are hit-tested with the same mapping as on the device. pygame (SDL2, bundled in
its wheel) gives the window, mouse and keys without system GUI libraries.
"""
from __future__ import annotations

import os
from typing import Iterator

import cv2
import numpy as np

from ..core.platform import Frame, Touch
from .sources import Source

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def display_available() -> bool:
    """A desktop session to open a window in (X11 or Wayland)."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or \
        os.environ.get("SDL_VIDEODRIVER") == "dummy"


def fit_contain(src_w: int, src_h: int, dst_w: int, dst_h: int) -> tuple[int, int, int, int]:
    """`x, y, w, h` of a src_w x src_h image letterboxed into dst_w x dst_h (maix's maths)."""
    scale = min(dst_w / src_w, dst_h / src_h)
    w, h = int(src_w * scale), int(src_h * scale)
    return (dst_w - w) // 2, (dst_h - h) // 2, w, h


class WindowPlatform:
    """`Platform` on a PC window. Stills are shown again every frame (a fresh copy, as
    the overlay is drawn in place); videos can loop (the demo does)."""

    def __init__(self, source: Source, title: str = "Face Landmarks", loop: bool = False,
                 max_window: tuple[int, int] = (1280, 800), max_frames: int | None = None) -> None:
        import pygame

        self._pg = pygame
        self.source = source
        self.loop = loop
        pygame.display.init()
        self._frames = self._iterate()
        first = next(self._frames, None)
        self._pending = first
        fw, fh = (first.shape[1], first.shape[0]) if first is not None else (640, 480)
        scale = min(1.0, max_window[0] / fw, max_window[1] / fh)
        self.screen = pygame.display.set_mode((int(fw * scale), int(fh * scale)), pygame.RESIZABLE)
        pygame.display.set_caption(f"{title} — {source.name}   (q: quit)")
        self._keys: list[str] = []
        self._exit = False
        self._left = max_frames

    def _iterate(self) -> Iterator[np.ndarray]:
        while True:
            for rgb in self.source.frames():
                yield rgb
                while self.source.still and not self._exit:
                    yield rgb
            if not self.loop or self._exit:
                return
            self.source.rewind()

    @property
    def display_size(self) -> tuple[int, int]:
        return self.screen.get_size()

    def read(self) -> Frame | None:
        if self._left is not None:
            if self._left <= 0:
                return None
            self._left -= 1
        rgb = self._pending if self._pending is not None else next(self._frames, None)
        self._pending = None
        if rgb is None:
            return None
        if self.source.still:
            rgb = rgb.copy()  # the overlay is drawn in place
        return Frame(rgb, rgb)

    def show(self, frame: Frame) -> None:
        pg = self._pg
        w, h = self.display_size
        x, y, fw, fh = fit_contain(frame.size[0], frame.size[1], w, h)
        scaled = cv2.resize(frame.rgb, (max(fw, 1), max(fh, 1)), interpolation=cv2.INTER_AREA
                            if fw < frame.size[0] else cv2.INTER_LINEAR)
        surface = pg.image.frombuffer(scaled.tobytes(), (scaled.shape[1], scaled.shape[0]), "RGB")
        self.screen.fill((0, 0, 0))
        self.screen.blit(surface, (x, y))
        pg.display.flip()
        self._pump()

    def _pump(self) -> None:
        pg = self._pg
        for event in pg.event.get():
            if event.type == pg.QUIT:
                self._exit = True
            elif event.type == pg.KEYDOWN:
                if event.key == pg.K_ESCAPE:
                    self._keys.append("\x1b")
                elif event.unicode:
                    self._keys.append(event.unicode)
            elif event.type == pg.VIDEORESIZE:
                self.screen = pg.display.set_mode(event.size, pg.RESIZABLE)

    def touch(self) -> Touch | None:
        x, y = self._pg.mouse.get_pos()
        return Touch(int(x), int(y), bool(self._pg.mouse.get_pressed()[0]))

    def key(self) -> str | None:
        return self._keys.pop(0) if self._keys else None

    def exit_requested(self) -> bool:
        return self._exit

    def request_exit(self) -> None:
        self._exit = True

    def close(self) -> None:
        self.source.close()
        self._pg.display.quit()
