"""The PC window (pygame, SDL's dummy video driver): the frame is letterboxed with the
same mapping the touches are hit-tested with, and every mouse press and release
reaches the UI in order, however quick."""
from __future__ import annotations

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

from app.core.platform import Touch  # noqa: E402
from app.core.ui import letterbox  # noqa: E402
from app.pc.sources import Source  # noqa: E402
from app.pc.stop import StopRequest  # noqa: E402
from app.pc.window import WindowPlatform  # noqa: E402
from conftest import DATA  # noqa: E402


@pytest.fixture
def window(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # read when the display starts
    source = Source.open(str(DATA / "single_face.mp4"))
    platform = WindowPlatform(source, StopRequest(), loop=False, max_frames=5)
    try:
        yield platform
    finally:
        platform.close()
        source.close()


@pytest.mark.parametrize("screen", [(552, 368), (640, 480), (500, 700)])
def test_the_frame_lands_where_touches_are_mapped(window, screen):
    window.screen = pygame.display.set_mode(screen)
    frame = window.read()
    frame.rgb[...] = (255, 0, 0)
    window.show(frame)
    shown = pygame.surfarray.array3d(window.screen).transpose(1, 0, 2)  # (h, w, 3)
    ys, xs = np.nonzero(shown[:, :, 0] > 128)
    place = letterbox(*frame.size, *screen)
    assert (xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()) == (
        place.x, place.y, place.w, place.h)


def test_a_click_between_two_frames_gives_its_press_and_release(window):
    window.touches()  # nothing queued yet
    for kind, pos in ((pygame.MOUSEBUTTONDOWN, (40, 300)), (pygame.MOUSEBUTTONUP, (41, 300)),
                      (pygame.MOUSEBUTTONDOWN, (500, 20)), (pygame.MOUSEBUTTONUP, (500, 20))):
        pygame.event.post(pygame.event.Event(kind, pos=pos, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(9, 9), button=3))  # right
    assert window.touches() == [Touch(40, 300, True), Touch(41, 300, False),
                                Touch(500, 20, True), Touch(500, 20, False)]
    assert window.touches() == []
