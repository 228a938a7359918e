"""The app's frame loop, one for every way the app runs: the device, a PC window, and
a PC run without a screen (files in, JSON lines and an annotated video out).

read -> track (detect / landmarks / smooth) -> touches and keys to the UI's pure
`reduce` -> overlay, HUD and buttons -> show -> sinks. What the platform says it is
decides which steps run: no UI without a screen (`interactive`), no drawing when no
frame is shown or written (`shows_frames`). Settings changed on screen are applied to
the tracker at once and saved through the SettingsStore.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Protocol, Sequence

from .expressions.tracking import ExpressionParams
from .face.faces import Face
from .persist import SettingsStore, settings_changes
from .platform import Frame, FrameSink, Platform
from .render.renderer import Renderer
from .render.ui_paint import TextPainter, draw_ui
from .render.view import Hud, ViewState
from .settings import Settings
from .signals import SignalParams
from .timing import StageClock
from .ui import Event, Fire, TouchTracker, UiState, key_event, layout, reduce



class Tracker(Protocol):
    """What the loop asks of its tracker (tracking.FaceTracker, or a wrapper of it such as
    emotion.EmotionTracker)."""

    def update(self, frame: Any, t: float) -> list[Face]: ...

    def configure(self, *, max_faces: int, smoothing: float, detector_interval: int,
                  signals: SignalParams | None, expressions: Any = ...) -> None: ...


# Draws the non-ASCII button captions on a frame (the device's CJK font), if it can.
CaptionSource = Callable[[Frame], "TextPainter | None"]
# The HUD's numbers change this often at most: readable, and its text is drawn anew only
# then (rasterising text costs the device's CPU more than the whole mesh).
HUD_REFRESH_S = 0.5


class Remote(Protocol):
    """A network view of the app (app/net/web's WebView): the loop hands it the drawn
    frames it wants, each frame's results and the UI state, and takes the changes its
    clients ask for. Every call returns at once (never waits for a client)."""

    url: str  # with its token: what the screen shows (QR code) and the PC prints

    def changes(self) -> Sequence[Event]:
        """Changes asked for since the last call, oldest first (validated already)."""
        ...

    def wants_frame(self, now: float) -> bool:
        """Someone watches and the next stream frame is due (`now`: time.monotonic)."""
        ...

    def publish_frame(self, rgb: Any, now: float) -> None:
        """The drawn frame (copied: the caller draws on and reuses its buffer)."""
        ...

    def publish(self, index: int, image_size: tuple[int, int], faces: Sequence[Face],
                stage_ms: Mapping[str, float], state: UiState, fps: float) -> None:
        """Frame `index`'s results and the UI state after it."""
        ...

    def close(self) -> None: ...


# Starts the network view with these settings (None: it could not, and said why).
RemoteFactory = Callable[[Settings], "Remote | None"]
# Draws the network view's address (the URL with its token, as text and a QR code).
AddressPainter = Callable[[Any, str], None]


def signal_params(settings: Settings, sinks: Sequence[FrameSink] = (),
                  remote: bool = False) -> SignalParams | None:
    """How the faces' signals are measured, or None when nothing uses them (not drawn,
    no sink writes them, no network view sends them): then the tracker skips them."""
    if settings.show_signals or remote or any(sink.wants_signals for sink in sinks):
        return SignalParams.from_settings(settings)
    return None


def expression_params(settings: Settings, sinks: Sequence[FrameSink] = (),
                      remote: bool = False) -> ExpressionParams | None:
    """How the faces' expressions are read, or None when they are off or nothing uses
    them (as the signals: the SIG layer draws them, the sinks that write signals and the
    network view send them too)."""
    if settings.expressions_enabled and (
            settings.show_signals or remote or any(sink.wants_signals for sink in sinks)):
        return ExpressionParams.from_settings(settings)
    return None


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
    """One instance per run: `run()` until the source ends or the user exits.

    platform: frames in, drawn frames out, touches and keys (platform.Platform).
    tracker:  faces per frame.
    state:    the UI state, with the settings of this run.
    store:    where settings changed on screen are saved.
    clock:    per-stage times of the current frame (shared with the models).
    warn:     reports a problem that does not stop the app (a setting not saved).
    sinks:    receive each frame's faces (JSON lines, a report stream).
    captions: a painter for non-ASCII button captions (the device's font), per frame.
    remote:   starts the network view (WEB): called when web.enabled is on at the start
              or turned on (None: no network view in this build of the app).
    address:  draws the network view's URL on the screen (with the settings panel open).
    now:      the clock for fps and for frames that carry no time of their own.
    """

    def __init__(self, platform: Platform, tracker: Tracker, state: UiState,
                 store: SettingsStore, clock: StageClock, warn: Callable[[str], None], *,
                 sinks: Sequence[FrameSink] = (), captions: CaptionSource | None = None,
                 remote: RemoteFactory | None = None, address: AddressPainter | None = None,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.platform = platform
        self.tracker = tracker
        self.state = state
        self.store = store
        self.clock = clock
        self.warn = warn
        self.sinks = tuple(sinks)
        self.captions = captions
        self.now = now
        self.renderer = Renderer()
        self.touch = TouchTracker()
        self.fps = FpsMeter(now)
        self.frames = 0
        self._hud: tuple[float, Hud] | None = None  # (when it was taken, the HUD shown)
        self.remote_factory = remote
        self.address = address
        self.remote: Remote | None = None
        if state.settings.web_enabled:
            self._sync_remote()

    def step(self) -> bool:
        """One frame; False when the loop should stop."""
        frame = self.platform.read()
        if frame is None:
            return False
        self.clock.new_frame()
        t = frame.time if frame.time is not None else self.now()
        with self.clock.stage("total"):
            faces = self.tracker.update(frame.native, t)
        if self.platform.interactive:
            self._handle_input(frame.size)
        remote = self.remote
        if remote is not None:
            self.fps.tick()  # the HUD ticks it on a screen; the network view shows it too
            for event in remote.changes():
                self._apply(reduce(self.state, event), fired=True)
            remote = self.remote  # a change may have turned it off
        streamed = remote is not None and remote.wants_frame(time.monotonic())
        if self.platform.shows_frames or streamed:
            with self.clock.stage("render"):
                self._draw(frame, faces, streamed)
            if self.platform.shows_frames:
                self.platform.show(frame)
        stage_ms = self.clock.ms()
        for sink in self.sinks:
            sink.write(self.frames, frame.size, faces, stage_ms)
        if remote is not None:
            remote.publish(self.frames, frame.size, faces, stage_ms, self.state, self.fps.fps)
        self.frames += 1
        if self.state.exit_requested:
            self.platform.request_exit()
        return not self.platform.exit_requested()

    def run(self) -> int:
        try:
            while self.step():
                pass
        finally:
            self._stop_remote()
        return 0

    def _sync_remote(self) -> None:
        """Start or stop the network view as web.enabled says."""
        wanted = self.state.settings.web_enabled and self.remote_factory is not None
        if wanted and self.remote is None:
            assert self.remote_factory is not None
            self.remote = self.remote_factory(self.state.settings)
        elif not wanted:
            self._stop_remote()

    def _stop_remote(self) -> None:
        remote, self.remote = self.remote, None
        if remote is not None:
            remote.close()

    def _handle_input(self, image_size: tuple[int, int]) -> None:
        """Every touch reading and key since the last frame, in order, through `reduce`.
        The layout is taken afresh for each reading: a tap may change it for the next."""
        display = self.platform.display_size
        for touch in self.platform.touches():
            buttons = layout(*image_size, *display, self.state)
            for event in self.touch.update(touch, buttons, image_size, display):
                self._apply(reduce(self.state, event), fired=isinstance(event, Fire))
        for key in self.platform.keys():
            pressed = key_event(key)
            if pressed is not None:
                self._apply(reduce(self.state, pressed), fired=True)

    def _draw(self, frame: Frame, faces: Sequence[Face], streamed: bool = False) -> None:
        """The overlay (and the HUD, on a screen or a stream), the frame handed to the
        network view if it wants it, then the buttons (a screen only: the browser has
        its own controls)."""
        settings = self.state.settings
        view = ViewState.from_settings(settings)._replace(locale=self.state.locale)
        text = self.captions(frame) if self.captions is not None else None
        if not self.platform.interactive and self.remote is None:
            # a written video: the overlay, no fps or buttons
            self.renderer.draw(frame.rgb, faces, view, text=text)
            return
        self.renderer.draw(frame.rgb, faces, view, self._hud_for(len(faces), settings.max_faces),
                           text=text)
        if streamed:
            assert self.remote is not None
            self.remote.publish_frame(frame.rgb, time.monotonic())
        if not self.platform.interactive:
            return
        width, height = frame.size
        draw_ui(frame.rgb, layout(width, height, *self.platform.display_size, self.state),
                self.state, text=text)
        if self.remote is not None and self.state.panel_open and self.address is not None:
            self.address(frame.rgb, self.remote.url)

    def _hud_for(self, faces: int, max_faces: int) -> Hud:
        """The HUD to show: taken anew every HUD_REFRESH_S, or at once when the face count
        or the limit changes (a tap on + must show)."""
        fps = self.fps.fps if self.remote is not None else self.fps.tick()
        now = self.now()
        if self._hud is not None:
            taken, hud = self._hud
            if now - taken < HUD_REFRESH_S and (hud.faces, hud.max_faces) == (faces, max_faces):
                return hud
        hud = Hud(fps, faces, max_faces, self.clock.ms())
        self._hud = (now, hud)
        return hud

    def _apply(self, new: UiState, fired: bool) -> None:
        old = self.state
        self.state = new
        if not fired or new.settings == old.settings:
            return
        s = new.settings
        if s.web_enabled != old.settings.web_enabled:
            self._sync_remote()
        self.tracker.configure(max_faces=s.max_faces, smoothing=s.smoothing,
                               detector_interval=s.detector_interval,
                               signals=signal_params(s, self.sinks, self.remote is not None),
                               expressions=expression_params(s, self.sinks,
                                                             self.remote is not None))
        try:
            self.store.save(settings_changes(old.settings, s))
        except OSError as error:  # the UI keeps working; the change just isn't kept
            self.warn(f"cannot save settings: {error}")
