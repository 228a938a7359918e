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


def test_many_stills_step_with_n_and_end_after_the_last(monkeypatch):
    """A window over many stills shows each until n (space, right arrow); the key is the
    window's, not the UI's; past the last image the run ends, as a video's does."""
    from app.pc.sources import Stills

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    stills = Stills([str(DATA / "astronaut.png"), str(DATA / "obama.jpg")], print)
    platform = WindowPlatform(stills, StopRequest(), loop=False, max_frames=None)
    try:
        assert [platform.read().size for _ in range(3)] == [(512, 512)] * 3
        assert "astronaut.png" in pygame.display.get_caption()[0]
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_n, unicode="n",
                                             mod=0, scancode=0))
        assert platform.keys() == []
        assert [platform.read().size for _ in range(2)] == [(910, 1137)] * 2
        assert "obama.jpg" in pygame.display.get_caption()[0]
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, unicode=" ",
                                             mod=0, scancode=0))
        platform.keys()
        assert platform.read() is None
    finally:
        platform.close()


def test_an_x_server_that_does_not_answer_is_an_error_not_an_invisible_window(monkeypatch):
    """Left to itself SDL falls back to an off-screen driver: the app ran for ever in a
    window nobody could see or close."""
    from pathlib import Path

    from app.pc.window import WindowError

    number = next(n for n in range(150, 400) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    monkeypatch.setenv("DISPLAY", f":{number}")
    monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    source = Source.open(str(DATA / "astronaut.png"))
    try:
        with pytest.raises(WindowError, match=f"display :{number}.*--headless"):
            WindowPlatform(source, StopRequest(), loop=False, max_frames=1)
    finally:
        source.close()
