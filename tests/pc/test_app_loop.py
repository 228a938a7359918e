"""The app loop end to end on a real video: taps change the view, the face limit and the
toggles, the tracker follows at once, and the changes are saved and restored."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.app_loop import FaceApp
from app.core.persist import IniStore, load_settings
from app.core.platform import Frame, Touch
from app.core.settings import Settings
from app.core.timing import StageClock
from app.core.tracking import FaceTracker
from app.core.ui import Action, UiState, image_rect_to_display, layout
from app.pc.sources import Source
from conftest import DATA


class ScriptedPlatform:
    """Real frames from a video; touches from a script of (frame index -> Touch)."""

    def __init__(self, frames: list[np.ndarray], display: tuple[int, int],
                 touches: dict[int, Touch]) -> None:
        self.frames, self.display, self.touches = frames, display, touches
        self.index, self.shown, self.exit = -1, [], False

    @property
    def display_size(self):
        return self.display

    def read(self):
        self.index += 1
        if self.index >= len(self.frames):
            return None
        rgb = self.frames[self.index].copy()
        return Frame(rgb, rgb)

    def show(self, frame):
        self.shown.append(frame.rgb)

    def touch(self):
        return self.touches.get(self.index, Touch(0, 0, False))

    def exit_requested(self):
        return self.exit

    def request_exit(self):
        self.exit = True


@pytest.fixture(scope="module")
def frames():
    source = Source.open(str(DATA / "single_face.mp4"))
    try:
        return [f for _, f in zip(range(24), source.frames())]
    finally:
        source.close()


def tap_script(actions: list[Action], state: UiState, image: tuple[int, int],
               display: tuple[int, int], start: int = 2) -> dict[int, Touch]:
    """Press on frame k, release on frame k+1, for each action's button centre."""
    script, k = {}, start
    for action in actions:
        button = next(b for b in layout(*image, *display, state) if b.action == action)
        r = image_rect_to_display(button.rect, *image, *display)
        x, y = r.x + r.w // 2, r.y + r.h // 2
        script[k] = Touch(x, y, True)
        script[k + 1] = Touch(x, y, False)
        k += 3
    return script


@pytest.mark.parametrize("display", [(552, 368), (640, 480)])
def test_taps_change_settings_apply_and_persist(pipeline_factory, frames, tmp_path, display):
    image = (frames[0].shape[1], frames[0].shape[0])
    state = UiState(Settings())
    store = IniStore(tmp_path / "config.ini")
    actions = [Action.VIEW, Action.LIMIT_UP, Action.LIMIT_UP, Action.SETTINGS]
    platform = ScriptedPlatform(frames, display, tap_script(actions, state, image, display))
    clock = StageClock()
    pipeline = pipeline_factory(still=False)
    tracker = FaceTracker(pipeline, max_faces=state.settings.max_faces)
    app = FaceApp(platform, tracker, state, store, clock, warn=pytest.fail,
                  now=iter(np.arange(1000) / 30).__next__)
    app.run()
    assert app.frames == len(frames)
    assert app.state.settings.view == "points"
    assert app.state.settings.max_faces == 4 and tracker.max_faces == 4
    assert app.state.panel_open
    saved = store.load()
    assert saved == {"view": "points", "max_faces": "4"}
    restored = load_settings(Settings(), IniStore(tmp_path / "config.ini"), pytest.fail)
    assert restored.view == "points" and restored.max_faces == 4
    # Every frame was drawn on: overlay and buttons change the pixels.
    assert all((shown != raw).any() for shown, raw in zip(platform.shown, frames))


def test_back_button_requests_exit(pipeline_factory, frames, tmp_path):
    image, display = (frames[0].shape[1], frames[0].shape[0]), (552, 368)
    state = UiState(Settings())
    platform = ScriptedPlatform(frames, display, tap_script([Action.EXIT], state, image, display))
    app = FaceApp(platform, FaceTracker(pipeline_factory(still=False)), state,
                  IniStore(tmp_path / "c.ini"), StageClock(), warn=pytest.fail)
    app.run()
    assert platform.exit and app.frames == 4  # pressed on frame 2, released on 3


def test_drag_off_the_button_cancels(pipeline_factory, frames, tmp_path):
    image, display = (frames[0].shape[1], frames[0].shape[0]), (640, 480)
    state = UiState(Settings())
    script = tap_script([Action.VIEW], state, image, display)
    (k_press, press), (k_release, _) = sorted(script.items())
    script[k_release] = Touch(display[0] // 2, display[1] // 2, False)  # released elsewhere
    platform = ScriptedPlatform(frames, display, script)
    app = FaceApp(platform, FaceTracker(pipeline_factory(still=False)), state,
                  IniStore(tmp_path / "c.ini"), StageClock(), warn=pytest.fail)
    app.run()
    assert app.state.settings.view == "mesh"
    assert not (tmp_path / "c.ini").exists()  # nothing changed, nothing written
