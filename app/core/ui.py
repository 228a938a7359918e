"""The touch UI as pure logic: layout, screen mapping, touch tracking and `reduce`. No cv2.

Coordinates: buttons live in IMAGE pixels (the frame the overlay is drawn on); touches
arrive in DISPLAY pixels (the screen, where the frame is letterboxed with FIT_CONTAIN).
`display_to_image` / `image_rect_to_display` restate maix `image.resize_map_pos_reverse`
/ `resize_map_pos` (float32 maths, results truncated to int), so a tap maps as it does
on the device.

Button captions follow the system language (`UiState.locale`, en and zh): a platform
with a CJK font draws them (the device, with maix `image.draw_string`); cv2 alone has no
CJK glyphs, so each button also carries its English caption as a fallback.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Mapping, NamedTuple, Sequence, TypeVar

import numpy as np

from .platform import Touch
from .settings import MAX_FACES_LIMIT, SUBSET_SIZES, VIEWS, Settings, View

MIN_BUTTON_DISPLAY_PX = 44  # target touch size on screen (>= 40 with truncation to spare)


class Action(Enum):
    EXIT = "exit"
    VIEW = "view"  # mesh -> points -> depth -> mesh
    SUBSET = "subset"  # points view: 478 -> 146 -> 68 -> 5 -> 478
    LIMIT_DOWN = "limit_down"
    LIMIT_UP = "limit_up"
    SETTINGS = "settings"  # open / close the toggle panel
    HUD = "hud"
    BOX = "box"
    SIGNALS = "signals"  # head-pose axes, eye / mouth gauges, blinks
    SMOOTHING = "smoothing"  # off -> low -> high -> off
    WEB = "web"  # the network view (app/net/web) on / off


# Smoothing presets of the panel: name -> Settings.smoothing.
SMOOTHING_LEVELS: Mapping[str, float] = {"off": 0.0, "low": 0.5, "high": 0.9}


class UiState(NamedTuple):
    """Everything the screen shows, as one value.

    settings:       what is persisted.
    held:           the button under a finger that is still down (drawn highlighted).
    panel_open:     the settings panel is shown.
    exit_requested: the user asked to leave.
    locale:         "en", "zh", ... (the device's system language).
    """

    settings: Settings = Settings()
    held: Action | None = None
    panel_open: bool = False
    exit_requested: bool = False
    locale: str = "en"  # the system language; picks the button captions


# --- events -----------------------------------------------------------------------


@dataclass(frozen=True)
class Fire:
    """A completed tap (released on the button it started on) or a key press."""

    action: Action


@dataclass(frozen=True)
class Hold:
    """A finger is down on the button of `action` (None: lifted or dragged off)."""

    action: Action | None


@dataclass(frozen=True)
class Change:
    """Settings set to given values (a browser's POST to /api/state), already validated
    by `remote_change`: `changes` is ((Settings field, value), ...)."""

    changes: tuple[tuple[str, object], ...]


Event = Fire | Hold | Change

# What a remote client may set, as the touch UI can: the dotted setting keys.
REMOTE_KEYS = ("view", "points_subset", "max_faces", "show_hud", "show_box", "show_signals",
               "smoothing")


def remote_change(body: object) -> Change:
    """A JSON object of changes (`{"view": "points", "max_faces": 3}`) as a `Change`, each
    value validated as the settings are (settings.parse_value); ValueError with the reason
    otherwise. `smoothing` also takes a panel level: "off", "low" or "high"."""
    from .settings import SPECS, parse_value

    if not isinstance(body, Mapping) or not body:
        raise ValueError("expected a JSON object of changes, e.g. {\"view\": \"points\"}")
    changes = []
    for key, raw in body.items():
        if key not in REMOTE_KEYS:
            raise ValueError(f"unknown or read-only key {str(key)[:40]!r}; "
                             f"settable: {', '.join(REMOTE_KEYS)}")
        spec = SPECS[key]
        if key == "smoothing" and isinstance(raw, str) and raw in SMOOTHING_LEVELS:
            raw = SMOOTHING_LEVELS[raw]
        if isinstance(raw, bool) != isinstance(spec.default, bool) or \
                isinstance(raw, (list, dict)) or raw is None:
            raise ValueError(f"{key}: expected {type(spec.default).__name__}, "
                             f"got {str(raw)[:40]!r}")
        try:
            changes.append((spec.name, parse_value(spec, raw)))
        except ValueError as err:
            raise ValueError(f"{key}: {err}") from None
    return Change(tuple(changes))


def smoothing_level(value: float) -> str:
    """The preset nearest to a smoothing strength."""
    return min(SMOOTHING_LEVELS, key=lambda name: abs(SMOOTHING_LEVELS[name] - value))


T = TypeVar("T")


def _next(seq: Sequence[T], current: T) -> T:
    return seq[(seq.index(current) + 1) % len(seq)] if current in seq else seq[0]


def _with(state: UiState, **changes) -> UiState:
    return state._replace(settings=state.settings.replace(**changes))


def _cycle_subset(state: UiState) -> UiState:
    # Outside the points view the key first switches to it (keeping the subset).
    if state.settings.view != View.POINTS.value:
        return _with(state, view=View.POINTS.value)
    return _with(state, points_subset=_next(SUBSET_SIZES, state.settings.points_subset))


def _cycle_smoothing(state: UiState) -> UiState:
    names = list(SMOOTHING_LEVELS)
    name = _next(names, smoothing_level(state.settings.smoothing))
    return _with(state, smoothing=SMOOTHING_LEVELS[name])


def _limit(state: UiState, step: int) -> UiState:
    value = min(MAX_FACES_LIMIT, max(1, state.settings.max_faces + step))
    return _with(state, max_faces=value)


_ACTIONS: Mapping[Action, Callable[[UiState], UiState]] = {
    Action.EXIT: lambda s: s._replace(exit_requested=True),
    Action.VIEW: lambda s: _with(s, view=_next(VIEWS, s.settings.view)),
    Action.SUBSET: _cycle_subset,
    Action.LIMIT_DOWN: lambda s: _limit(s, -1),
    Action.LIMIT_UP: lambda s: _limit(s, +1),
    Action.SETTINGS: lambda s: s._replace(panel_open=not s.panel_open),
    Action.HUD: lambda s: _with(s, show_hud=not s.settings.show_hud),
    Action.BOX: lambda s: _with(s, show_box=not s.settings.show_box),
    Action.SIGNALS: lambda s: _with(s, show_signals=not s.settings.show_signals),
    Action.SMOOTHING: _cycle_smoothing,
    Action.WEB: lambda s: _with(s, web_enabled=not s.settings.web_enabled),
}


def reduce(state: UiState, event: Event) -> UiState:
    """The state after `event`; pure."""
    if isinstance(event, Hold):
        return state._replace(held=event.action)
    if isinstance(event, Change):
        return _with(state, **dict(event.changes))
    return _ACTIONS[event.action](state._replace(held=None))


# --- keyboard (PC) ----------------------------------------------------------------

KEYS: Mapping[str, Action] = {
    "v": Action.VIEW, "s": Action.SUBSET,
    "+": Action.LIMIT_UP, "=": Action.LIMIT_UP, "-": Action.LIMIT_DOWN, "_": Action.LIMIT_DOWN,
    "h": Action.HUD, "b": Action.BOX, "g": Action.SIGNALS, "m": Action.SMOOTHING,
    "o": Action.SETTINGS, "w": Action.WEB,
    "q": Action.EXIT, "\x1b": Action.EXIT,  # Esc
}


def key_event(key: int | str) -> Fire | None:
    """A key (cv2.waitKey code or character) -> the event it stands for, if any."""
    if isinstance(key, int):
        if key < 0:
            return None
        key = chr(key & 0xFF)
    action = KEYS.get(key.lower() if key.isalpha() else key)
    return Fire(action) if action else None


# --- geometry ---------------------------------------------------------------------


class Rect(NamedTuple):
    """`x, y` top-left, `w, h` size, integer pixels; contains [x, x+w) x [y, y+h)."""

    x: int
    y: int
    w: int
    h: int

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px < self.x + self.w and self.y <= py < self.y + self.h

    def overlaps(self, other: "Rect") -> bool:
        return (self.x < other.x + other.w and other.x < self.x + self.w
                and self.y < other.y + other.h and other.y < self.y + self.h)


_F = np.float32


def _fit(image_w: int, image_h: int, display_w: int, display_h: int):
    """FIT_CONTAIN as resize_map_pos computes it: (scale, pad_x, pad_y), float32."""
    sx = _F(display_w) / _F(image_w)
    sy = _F(display_h) / _F(image_h)
    s = min(sx, sy)
    if sx > sy:
        return s, (_F(display_w) - _F(image_w) * s) / _F(2), _F(0)
    return s, _F(0), (_F(display_h) - _F(image_h) * s) / _F(2)


def fit_scale(image_w: int, image_h: int, display_w: int, display_h: int) -> float:
    """Display pixels per image pixel under FIT_CONTAIN."""
    return float(_fit(image_w, image_h, display_w, display_h)[0])


def image_rect_to_display(rect: Rect, image_w: int, image_h: int, display_w: int,
                          display_h: int) -> Rect:
    """An image-pixel rect on screen (maix resize_map_pos, FIT_CONTAIN)."""
    s, px, py = _fit(image_w, image_h, display_w, display_h)
    return Rect(int(px + _F(rect.x) * s), int(py + _F(rect.y) * s),
                int(_F(rect.w) * s), int(_F(rect.h) * s))


def letterbox(image_w: int, image_h: int, display_w: int, display_h: int) -> Rect:
    """Where the whole image lands on screen under FIT_CONTAIN: the one letterbox of the
    app, used to draw the frame (PC window) and to hit-test touches alike."""
    return image_rect_to_display(Rect(0, 0, image_w, image_h), image_w, image_h,
                                 display_w, display_h)


def display_to_image(x: int, y: int, image_w: int, image_h: int, display_w: int,
                     display_h: int) -> tuple[int, int]:
    """A screen point in image pixels (maix resize_map_pos_reverse, FIT_CONTAIN).

    Points on the letterbox bars map outside [0, image size).
    """
    s, px, py = _fit(image_w, image_h, display_w, display_h)
    return int((_F(x) - px) / s), int((_F(y) - py) / s)


# --- layout -----------------------------------------------------------------------


class Button(NamedTuple):
    """A touch target in image pixels.

    action: what a tap fires; None for a label that is drawn like a button but not hit
            (the face limit between - and +).
    label:  the caption in the UI's language (icons: "<" back arrow, "=" settings).
    active: a toggle that is on (drawn in the accent colour).
    ascii:  the English caption, for painters without CJK glyphs (cv2); "" = label.
    """

    rect: Rect
    action: Action | None
    label: str
    active: bool = False
    ascii: str = ""

    @property
    def ascii_label(self) -> str:
        return self.ascii or self.label


def _caption(key: str, locale: str, **fields: str) -> tuple[str, str]:
    """(caption in `locale`, English caption) of a button label key."""
    local, english = labels(locale)[key], labels("en")[key]
    return local.format(**fields), english.format(**fields)


def button_unit(image_w: int, image_h: int, display_w: int, display_h: int) -> int:
    """Button height in image pixels: MIN_BUTTON_DISPLAY_PX on screen, rounded up."""
    s = fit_scale(image_w, image_h, display_w, display_h)
    return math.ceil(MIN_BUTTON_DISPLAY_PX / s)


@functools.lru_cache(maxsize=16)
def layout(image_w: int, image_h: int, display_w: int, display_h: int,
           state: UiState) -> tuple[Button, ...]:
    """The buttons for this state, in image pixels (cached: a frame asks for them for each
    touch reading and to draw them, and the state seldom changes).

    Top-left: back. Top-right: settings, with its panel (HUD, BOX, SIG, smoothing, WEB) below it.
    Bottom-left: view, then (points view only) the subset. Bottom-right: limit - n +.
    """
    u = button_unit(image_w, image_h, display_w, display_h)
    m = max(2, u // 4)  # margin to the frame edge
    g = max(2, u // 6)  # gap between buttons
    st = state.settings
    top, bottom = m, image_h - m - u
    right = image_w - m
    loc = state.locale
    view, view_en = _caption(f"btn.{st.view}", loc)
    buttons = [
        Button(Rect(m, top, u, u), Action.EXIT, "<"),
        Button(Rect(right - u, top, u, u), Action.SETTINGS, "=", active=state.panel_open),
        Button(Rect(m, bottom, 2 * u, u), Action.VIEW, view, ascii=view_en),
    ]
    if st.view == View.POINTS.value:
        buttons.append(Button(Rect(m + 2 * u + g, bottom, 2 * u, u), Action.SUBSET,
                              str(st.points_subset)))
    buttons += [
        Button(Rect(right - 3 * u - 2 * g, bottom, u, u), Action.LIMIT_DOWN, "-"),
        Button(Rect(right - 2 * u - g, bottom, u, u), None, str(st.max_faces)),
        Button(Rect(right - u, bottom, u, u), Action.LIMIT_UP, "+"),
    ]
    if state.panel_open:
        level = smoothing_level(st.smoothing)
        level_local, level_en = labels(loc)[f"btn.level.{level}"], labels("en")[f"btn.level.{level}"]
        rows = [(Action.HUD, _caption("btn.hud", loc), st.show_hud),
                (Action.BOX, _caption("btn.box", loc), st.show_box),
                (Action.SIGNALS, _caption("btn.signals", loc), st.show_signals),
                (Action.SMOOTHING, (labels(loc)["btn.smoothing"].format(level=level_local),
                                    labels("en")["btn.smoothing"].format(level=level_en)),
                 level != "off"),
                (Action.WEB, _caption("btn.web", loc), st.web_enabled)]
        pw = 3 * u
        # Under the settings button, down to the bottom row; a short frame (a wide
        # camera picture on the screen) takes a second column to the left.
        per_column = max(1, (bottom - g - top) // (u + g) - 1)
        for i, (action, (label, english), on) in enumerate(rows):
            column, row = divmod(i, per_column)
            x, y = right - pw - column * (pw + g), top + (row + 1) * (u + g)
            buttons.append(Button(Rect(x, y, pw, u), action, label, active=on, ascii=english))
    return tuple(buttons)


def hit(buttons: Sequence[Button], x: float, y: float) -> Button | None:
    """The tappable button containing image point (x, y), if any."""
    for b in buttons:  # a handful of buttons
        if b.action is not None and b.rect.contains(x, y):
            return b
    return None


# --- touch ------------------------------------------------------------------------


class TouchTracker:
    """Turns successive `Touch` readings (display px) into Hold / Fire events.

    A tap fires on RELEASE, and only if the release point is inside the button the
    press started on (press, drag away, release cancels; dragging back in re-arms).
    The pressed button is remembered, so a layout change mid-press cannot retarget it.
    """

    def __init__(self) -> None:
        self._down = False
        self._pressed: Button | None = None
        self._inside = False

    def update(self, touch: Touch | None, buttons: Sequence[Button], image_size: tuple[int, int],
               display_size: tuple[int, int]) -> list[Event]:
        """Events for one reading; `image_size` / `display_size` are `(w, h)`."""
        if touch is None:
            return []
        x, y = display_to_image(touch.x, touch.y, *image_size, *display_size)
        if touch.pressed and not self._down:  # press
            self._down = True
            self._pressed = hit(buttons, x, y)
            self._inside = self._pressed is not None
            return [Hold(self._pressed.action)] if self._pressed else []
        if not self._down:
            return []
        pressed = self._pressed
        inside = pressed is not None and pressed.rect.contains(x, y)
        if touch.pressed:  # moving
            if inside == self._inside:
                return []
            self._inside = inside
            return [Hold(pressed.action if inside and pressed else None)]
        was_inside = self._inside
        self._down, self._pressed, self._inside = False, None, False  # release
        events: list[Event] = [Hold(None)] if was_inside else []
        if inside and pressed is not None and pressed.action is not None:
            events.append(Fire(pressed.action))
        return events


# --- locale -----------------------------------------------------------------------

# Button captions (short: they fit a finger-sized button).
_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "btn.mesh": "MESH", "btn.points": "PTS", "btn.depth": "DEPTH", "btn.hud": "HUD",
        "btn.box": "BOX", "btn.signals": "SIG", "btn.smoothing": "SM {level}", "btn.web": "WEB",
        "btn.level.off": "OFF",
        "btn.level.low": "LOW", "btn.level.high": "HIGH",
        "expr.neutral": "neutral", "expr.happy": "happy", "expr.surprise": "surprise",
    },
    "zh": {
        "btn.mesh": "网格", "btn.points": "点", "btn.depth": "深度", "btn.hud": "信息",
        "btn.box": "人脸框", "btn.signals": "信号", "btn.smoothing": "平滑 {level}",
        "btn.web": "网页",
        "btn.level.off": "关",
        "btn.level.low": "低", "btn.level.high": "高",
        "expr.neutral": "平静", "expr.happy": "开心", "expr.surprise": "惊讶",
    },
}


def labels(locale: str) -> Mapping[str, str]:
    """UI strings for a locale ("zh", "zh_CN", "en_US"...); English when unknown."""
    lang = locale.replace("-", "_").split("_")[0].lower()
    return _LABELS.get(lang, _LABELS["en"])
