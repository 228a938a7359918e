"""The app's frame loop, the same on the device and on a PC.

read -> track (detect / landmarks / smooth) -> render -> UI -> show, with touch (and,
on a PC, keys) fed to the UI's pure `reduce`. Settings changed on screen are applied to
the tracker at once and saved through the platform's SettingsStore.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from .persist import SettingsStore, settings_changes
from .platform import Frame, Platform
from .render.renderer import Renderer
from .render.ui_paint import TextPainter, draw_ui
from .render.view import Hud, ViewState
from .timing import StageClock
from .tracking import FaceTracker
from .ui import Fire, TouchTracker, UiState, key_event, layout, reduce

KeySource = Callable[[], "int | str | None"]


class FpsMeter:
    """Frames per second over an exponential window of ~10 frames."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._last: float | None = None
        self.fps = 0.0

    def tick(self) -> float:
        t = self._now()
        if self._last is not None and t > self._last:
            rate = 1.0 / (t - self._last)
            self.fps = rate if self.fps == 0.0 else 0.9 * self.fps + 0.1 * rate
        self._last = t
        return self.fps


class FaceApp:
    """One instance per run: `run()` until the source ends or the user exits."""

    def __init__(self, platform: Platform, tracker: FaceTracker, state: UiState,
                 store: SettingsStore, clock: StageClock, warn: Callable[[str], None],
                 keys: KeySource | None = None, renderer: Renderer | None = None,
                 now: Callable[[], float] = time.monotonic,
                 on_frame: Callable[[Frame, list[Any]], None] | None = None,
                 captions: Callable[[Frame], TextPainter | None] | None = None) -> None:
        self.platform = platform
        self.tracker = tracker
        self.state = state
        self.store = store
        self.clock = clock
        self.warn = warn
        self.keys = keys
        self.renderer = renderer or Renderer()
        self.touch = TouchTracker()
        self.fps = FpsMeter(now)
        self.now = now
        self.on_frame = on_frame
        self.captions = captions  # draws non-ASCII button captions (the device's font)
        self.frames = 0

    def step(self) -> bool:
        """One frame; False when the loop should stop."""
        frame = self.platform.read()
        if frame is None:
            return False
        self.clock.new_frame()
        with self.clock.stage("total"):
            faces = self.tracker.update(frame.native, self.now())
        width, height = frame.size
        display = self.platform.display_size
        buttons = layout(width, height, *display, self.state)
        events = self.touch.update(self.platform.touch(), buttons, (width, height), display)
        if self.keys is not None:
            key = self.keys()
            pressed = key_event(key) if key is not None else None
            if pressed is not None:
                events.append(pressed)
        for event in events:
            self._apply(reduce(self.state, event), fired=isinstance(event, Fire))
        settings = self.state.settings
        with self.clock.stage("render"):
            hud = Hud(self.fps.tick(), len(faces), settings.max_faces, self.clock.ms())
            self.renderer.draw(frame.rgb, faces, ViewState.from_settings(settings), hud)
            text = self.captions(frame) if self.captions is not None else None
            draw_ui(frame.rgb, layout(width, height, *display, self.state), self.state, text=text)
        self.platform.show(frame)
        if self.on_frame is not None:
            self.on_frame(frame, faces)
        self.frames += 1
        if self.state.exit_requested:
            self.platform.request_exit()
        return not self.platform.exit_requested()

    def run(self) -> int:
        while self.step():
            pass
        return 0

    def _apply(self, new: UiState, fired: bool) -> None:
        old = self.state
        self.state = new
        if not fired or new.settings == old.settings:
            return
        s = new.settings
        self.tracker.configure(max_faces=s.max_faces, smoothing=s.smoothing,
                               detector_interval=s.detector_interval)
        try:
            self.store.save(settings_changes(old.settings, s))
        except OSError as error:  # the UI keeps working; the change just isn't kept
            self.warn(f"cannot save settings: {error}")
