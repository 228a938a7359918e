"""The PC as a `Platform` with a screen: frames from a file or camera, a window, the
mouse as touch, keys.

The window shows the frame letterboxed with the same mapping the touches are hit-tested
with (core.ui.letterbox, maix's FIT_CONTAIN). pygame (SDL2, bundled in its wheel) gives
the window, mouse and keys without system GUI libraries. Mouse presses and releases
arrive as events, so a click shorter than a frame is still a press and a release.

Many stills are shown one at a time: n, space or the right arrow goes to the next one;
after the last one the run ends, as a video's does.
"""
from __future__ import annotations

import os
from typing import Iterator

import cv2
import numpy as np

from ..core.platform import Frame, Touch
from ..core.ui import letterbox
from .sources import FrameSource
from .stop import StopRequest

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def display_available() -> bool:
    """A desktop session to open a window in (X11 or Wayland)."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or \
        os.environ.get("SDL_VIDEODRIVER") == "dummy"


class WindowError(RuntimeError):
    """No window can be opened (the message is the run's `error:` line)."""


def _open_display(pygame) -> None:
    """Start SDL's video on the session's own system. Left to itself, SDL falls back to
    an off-screen driver when the X server does not answer: the app would run for ever
    in a window nobody sees. So X11 is asked for when DISPLAY is set (SDL's own first
    choice), Wayland otherwise, unless SDL_VIDEODRIVER says."""
    if "SDL_VIDEODRIVER" not in os.environ:
        os.environ["SDL_VIDEODRIVER"] = "x11" if os.environ.get("DISPLAY") else "wayland"
    try:
        pygame.display.init()
    except pygame.error as err:
        where = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or "?"
        raise WindowError(f"cannot open a window on display {where} ({err}); "
                          "run with --headless") from None


class WindowPlatform:
    """`Platform` on a PC window. Stills are shown again every frame (a fresh copy, as
    the overlay is drawn in place); videos can loop (the demo does).

    source:     frames (its opener closes it).
    stop:       a stop signal ends the run between frames, like closing the window.
    loop:       rewind a video at its end.
    max_frames: stop after this many frames (None: when the source ends).
    """

    interactive = True
    shows_frames = True

    def __init__(self, source: FrameSource, stop: StopRequest, *, loop: bool,
                 max_frames: int | None, title: str = "Face Landmarks",
                 max_window: tuple[int, int] = (1280, 800)) -> None:
        import pygame

        self._pg = pygame
        self.source = source
        self.stop = stop
        self.loop = loop
        self.title = title
        self._next = False  # many stills: the user asked for the next image
        self._exit = False
        _open_display(pygame)
        self._frames = self._iterate()
        first = next(self._frames, None)
        self._pending = first
        fw, fh = (first.shape[1], first.shape[0]) if first is not None else (640, 480)
        scale = min(1.0, max_window[0] / fw, max_window[1] / fh)
        self.screen = pygame.display.set_mode((int(fw * scale), int(fh * scale)), pygame.RESIZABLE)
        self._touches: list[Touch] = []
        self._keys: list[str] = []
        self._left = max_frames

    def _iterate(self) -> Iterator[np.ndarray]:
        while True:
            for rgb in self.source.frames():
                self._caption()
                yield rgb
                while self.source.still and not self._exit and not self._next:
                    yield rgb
                self._next = False
            if not self.loop or self._exit:
                return
            self.source.rewind()

    def _caption(self) -> None:
        name = self.source.current or self.source.name
        hint = "n: next image, q: quit" if self.source.many else "q: quit"
        self._pg.display.set_caption(f"{self.title} — {name}   ({hint})")

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
        place = letterbox(frame.size[0], frame.size[1], w, h)
        shrink = place.w < frame.size[0]
        scaled = cv2.resize(frame.rgb, (max(place.w, 1), max(place.h, 1)),
                            interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        surface = pg.image.frombuffer(scaled.tobytes(), (scaled.shape[1], scaled.shape[0]), "RGB")
        self.screen.fill((0, 0, 0))
        self.screen.blit(surface, (place.x, place.y))
        pg.display.flip()
        self._pump()

    def _pump(self) -> None:
        """Queue every window event since the last call, in order."""
        pg = self._pg
        for event in pg.event.get():
            if event.type == pg.QUIT:
                self._exit = True
            elif event.type in (pg.MOUSEBUTTONDOWN, pg.MOUSEBUTTONUP) and event.button == 1:
                x, y = event.pos
                self._touches.append(Touch(int(x), int(y), event.type == pg.MOUSEBUTTONDOWN))
            elif event.type == pg.MOUSEMOTION and event.buttons[0]:
                x, y = event.pos
                self._touches.append(Touch(int(x), int(y), True))
            elif event.type == pg.KEYDOWN and self.source.many and (
                    event.key in (pg.K_RIGHT, pg.K_SPACE) or event.unicode == "n"):
                self._next = True
            elif event.type == pg.KEYDOWN:
                if event.key == pg.K_ESCAPE:
                    self._keys.append("\x1b")
                elif event.unicode:
                    self._keys.append(event.unicode)
            elif event.type == pg.VIDEORESIZE:
                self.screen = pg.display.set_mode(event.size, pg.RESIZABLE)

    def touches(self) -> list[Touch]:
        self._pump()
        touches, self._touches = self._touches, []
        return touches

    def keys(self) -> list[str]:
        self._pump()
        keys, self._keys = self._keys, []
        return keys

    def exit_requested(self) -> bool:
        return self._exit or self.stop.requested

    def request_exit(self) -> None:
        self._exit = True

    def close(self) -> None:
        """Close the window (the source is its opener's to close)."""
        self._pg.display.quit()
