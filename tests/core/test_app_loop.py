"""The frame loop end to end on a real video (replayed model outputs): taps change the
view, the face limit and the toggles, the tracker follows at once, the changes are saved
and restored; taps shorter than a frame count; sinks get every frame."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.backends import Models, make_app
from app.core.persist import IniStore, MemoryStore, apply_saved
from app.core.platform import Frame, Touch
from app.core.settings import Settings
from app.core.timing import StageClock
from app.core.ui import Action, UiState, image_rect_to_display, layout
from tests.core._factories import DATA
from tests.replay import ReplayDetector, ReplayFrame, ReplayLandmarker, load_clip


class ScriptedPlatform:
    """Real frames of single_face.mp4 (pixels decoded, models replayed); touch readings
    from a script of {frame index: [Touch, ...]} (all readings of that frame, in order)."""

    def __init__(self, frames: list[np.ndarray], display: tuple[int, int],
                 touches: dict[int, list[Touch]], interactive: bool = True,
                 shows_frames: bool = True) -> None:
        self.frames, self.display, self.script = frames, display, touches
        self.interactive, self.shows_frames = interactive, shows_frames
        self.index, self.shown, self.exit = -1, [], False
        self.clip = load_clip("single_face.mp4")

    @property
    def display_size(self):
        return self.display

    def read(self):
        self.index += 1
        if self.index >= len(self.frames):
            return None
        rgb = self.frames[self.index].copy()
        return Frame(ReplayFrame(self.clip, self.index), rgb, self.index / 30)

    def show(self, frame):
        self.shown.append(frame.rgb)

    def touches(self):
        return self.script.get(self.index, [])

    def keys(self):
        return []

    def exit_requested(self):
        return self.exit

    def request_exit(self):
        self.exit = True

    def close(self):
        pass


@pytest.fixture(scope="module")
def frames():
    capture = cv2.VideoCapture(str(DATA / "single_face.mp4"))
    out = []
    while len(out) < 24:
        ok, bgr = capture.read()
        assert ok, "tests/data/single_face.mp4 missing: run python tools/fetch_assets.py"
        out.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    return out


def replay_app(platform, settings, store, **kwargs):
    clock = StageClock()
    return make_app(platform, Models(ReplayDetector(), ReplayLandmarker()), settings, store,
                    pytest.fail, tracking=True, clock=clock, **kwargs)


def centre_of(action: Action, state: UiState, image: tuple[int, int],
              display: tuple[int, int]) -> tuple[int, int]:
    button = next(b for b in layout(*image, *display, state) if b.action == action)
    r = image_rect_to_display(button.rect, *image, *display)
    return r.x + r.w // 2, r.y + r.h // 2


def tap_script(actions: list[Action], state: UiState, image: tuple[int, int],
               display: tuple[int, int], start: int = 2) -> dict[int, list[Touch]]:
    """Press on frame k, release on frame k+1, for each action's button centre."""
    script, k = {}, start
    for action in actions:
        x, y = centre_of(action, state, image, display)
        script[k] = [Touch(x, y, True)]
        script[k + 1] = [Touch(x, y, False)]
        k += 3
    return script


@pytest.mark.parametrize("display", [(552, 368), (640, 480)])
def test_taps_change_settings_apply_and_persist(frames, tmp_path, display):
    image = (frames[0].shape[1], frames[0].shape[0])
    state = UiState(Settings())
    store = IniStore(tmp_path / "config.ini")
    actions = [Action.VIEW, Action.LIMIT_UP, Action.LIMIT_UP, Action.SETTINGS]
    platform = ScriptedPlatform(frames, display, tap_script(actions, state, image, display))
    app = replay_app(platform, Settings(), store)
    app.run()
    assert app.frames == len(frames)
    assert app.state.settings.view == "points"
    assert app.state.settings.max_faces == 4 and app.tracker.max_faces == 4
    assert app.state.panel_open
    saved = store.load()
    assert saved == {"view": "points", "max_faces": "4"}
    restored = apply_saved(Settings(), IniStore(tmp_path / "config.ini"), pytest.fail)
    assert restored.view == "points" and restored.max_faces == 4
    # Every frame was drawn on: overlay and buttons change the pixels.
    assert all((shown != raw).any() for shown, raw in zip(platform.shown, frames))


def test_taps_shorter_than_a_frame_all_count(frames):
    """Press and release between two frames, and two such taps in one frame: each one is
    a tap (the platform hands over every reading, in order)."""
    image, display = (frames[0].shape[1], frames[0].shape[0]), (552, 368)
    state = UiState(Settings())
    up = centre_of(Action.LIMIT_UP, state, image, display)
    view = centre_of(Action.VIEW, state, image, display)
    script = {3: [Touch(*up, True), Touch(*up, False)],
              6: [Touch(*up, True), Touch(*up, False), Touch(*view, True), Touch(*view, False)]}
    app = replay_app(ScriptedPlatform(frames, display, script), Settings(), MemoryStore())
    app.run()
    assert app.state.settings.max_faces == 4 and app.state.settings.view == "points"


def test_back_button_requests_exit(frames, tmp_path):
    image, display = (frames[0].shape[1], frames[0].shape[0]), (552, 368)
    state = UiState(Settings())
    platform = ScriptedPlatform(frames, display, tap_script([Action.EXIT], state, image, display))
    app = replay_app(platform, Settings(), IniStore(tmp_path / "c.ini"))
    app.run()
    assert platform.exit and app.frames == 4  # pressed on frame 2, released on 3


def test_drag_off_the_button_cancels(frames, tmp_path):
    image, display = (frames[0].shape[1], frames[0].shape[0]), (640, 480)
    state = UiState(Settings())
    script = tap_script([Action.VIEW], state, image, display)
    (k_press, press), (k_release, _) = sorted(script.items())
    script[k_release] = [Touch(display[0] // 2, display[1] // 2, False)]  # released elsewhere
    platform = ScriptedPlatform(frames, display, script)
    app = replay_app(platform, Settings(), IniStore(tmp_path / "c.ini"))
    app.run()
    assert app.state.settings.view == "mesh"
    assert not (tmp_path / "c.ini").exists()  # nothing changed, nothing written


class RecordingSink:
    def __init__(self, wants_signals=False):
        self.lines = []
        self.wants_signals = wants_signals

    def write(self, index, image_size, faces, stage_ms):
        assert image_size == (640, 360)
        self.lines.append((index, [f.track_id for f in faces], dict(stage_ms),
                           [f.signals for f in faces]))

    def close(self):
        pass


def test_a_run_without_a_screen_draws_the_overlay_only_and_feeds_the_sinks(frames):
    sink = RecordingSink()
    drawn = ScriptedPlatform(frames, (0, 0), {}, interactive=False)
    replay_app(drawn, Settings(max_faces=1), MemoryStore(), sinks=[sink]).run()
    assert [index for index, _, _, _ in sink.lines] == list(range(len(frames)))
    assert all(ids == [1] for _, ids, _, _ in sink.lines)
    assert all({"total", "render"} <= set(ms) for _, _, ms, _ in sink.lines)
    with_buttons = ScriptedPlatform(frames, (552, 368), {})
    replay_app(with_buttons, Settings(max_faces=1), MemoryStore()).run()
    # The overlay without the buttons and the HUD: the frame's corners stay untouched.
    corner = (slice(0, 40), slice(0, 40))
    assert (drawn.shown[5][corner] == frames[5][corner]).all()
    assert (with_buttons.shown[5][corner] != frames[5][corner]).any()
    results_only = ScriptedPlatform(frames, (0, 0), {}, interactive=False, shows_frames=False)
    replay_app(results_only, Settings(max_faces=1), MemoryStore(), sinks=[RecordingSink()]).run()
    assert results_only.shown == []  # nothing drawn, nothing shown


def test_signals_are_measured_only_when_something_uses_them(frames):
    """Not drawn and no sink writing them: the tracker skips them; SIG turned on by a
    tap starts them; a sink that writes them keeps them on whatever the screen shows."""
    image, display = (frames[0].shape[1], frames[0].shape[0]), (552, 368)
    state = UiState(Settings(show_signals=False), panel_open=True)
    x, y = centre_of(Action.SIGNALS, state, image, display)
    idle = RecordingSink()
    platform = ScriptedPlatform(frames, display, {10: [Touch(x, y, True), Touch(x, y, False)]})
    app = replay_app(platform, Settings(show_signals=False), MemoryStore(), sinks=[idle])
    app.state = state
    app.run()
    measured = [signals[0] is not None for *_, signals in idle.lines]
    assert measured == [False] * 11 + [True] * 13  # on from the frame after the tap
    blinks = [signals[0].blinks for *_, signals in idle.lines[11:]]
    assert blinks == [0] * 13
    writer = RecordingSink(wants_signals=True)
    replay_app(ScriptedPlatform(frames, display, {}), Settings(show_signals=False),
               MemoryStore(), sinks=[writer]).run()
    assert all(signals[0] is not None for *_, signals in writer.lines)
