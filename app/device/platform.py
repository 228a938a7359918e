"""maix camera (or a video file), display, touch screen and app lifecycle as a `Platform`.

A frame is a maix RGB888 image (`Frame.native`) plus a zero-copy RGB numpy view of the
same pixels (`Frame.rgb`): the renderer draws into the view, so `show` displays the
native image with the overlay already in it.
"""
from __future__ import annotations

import sys as _sys
import time
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from maix import app, camera, display, err, image, touchscreen

from ..core.platform import Frame, Touch
from .errors import DeviceError


class FrameSource(Protocol):
    def read(self) -> Frame | None:
        """The next frame; None when the source has ended."""
        ...

    def close(self) -> None: ...


class CameraSource:
    """maix camera opened at the detector's input size and format (no resize on read)."""

    def __init__(self, width: int, height: int,
                 fmt: image.Format = image.Format.FMT_RGB888) -> None:
        if fmt != image.Format.FMT_RGB888:
            raise DeviceError("Unsupported camera format",
                              f"the app draws on RGB888 frames, the detector asks for {fmt}",
                              "ERR_ARGS")
        try:
            self.camera = camera.Camera(width, height, fmt)
        except Exception as error:  # maix raises RuntimeError with the driver's text
            raise DeviceError("Camera not available",
                              f"cannot open the camera at {width}x{height}: {error}",
                              "ERR_NOT_OPEN") from error

    def read(self) -> Frame | None:
        img = self.camera.read()
        return Frame(img, image.image2cv(img, ensure_bgr=False, copy=False))

    def close(self) -> None:
        self.camera.close()


class VideoSource:
    """A video file decoded by OpenCV into maix images, to run the device IO on a PC.

    Each frame's RGB array is wrapped without a copy (`image.cv2image(copy=False)`):
    `Frame.rgb` owns the pixels, `Frame.native` shares them, so keep the Frame while its
    image is in use. `size` resizes (e.g. to the device camera's 320x224); `loop`
    rewinds at the end instead of ending.
    """

    def __init__(self, path: str | Path, size: tuple[int, int] | None = None,
                 loop: bool = False) -> None:
        import cv2  # a PC-side source only; cv2 is not needed on the device path

        self._cv2 = cv2
        self.path = Path(path)
        self.size = size
        self.loop = loop
        self.capture = cv2.VideoCapture(str(self.path))
        if not self.path.is_file() or not self.capture.isOpened():
            raise DeviceError("Video not available", f"cannot open {self.path}", "ERR_NOT_OPEN")
        self.fps = float(self.capture.get(cv2.CAP_PROP_FPS) or 30.0)

    def read(self) -> Frame | None:
        ok, bgr = self.capture.read()
        if not ok and self.loop:
            self.capture.set(self._cv2.CAP_PROP_POS_FRAMES, 0)
            ok, bgr = self.capture.read()
        if not ok or bgr is None:
            return None
        if self.size is not None and (bgr.shape[1], bgr.shape[0]) != self.size:
            bgr = self._cv2.resize(bgr, self.size, interpolation=self._cv2.INTER_AREA)
        rgb = np.ascontiguousarray(self._cv2.cvtColor(bgr, self._cv2.COLOR_BGR2RGB))
        return Frame(image.cv2image(rgb, bgr=False, copy=False), rgb)

    def close(self) -> None:
        self.capture.release()


def open_display() -> display.Display:
    try:
        return display.Display()
    except Exception as error:
        raise DeviceError("Display not available", f"cannot open the screen: {error}",
                          "ERR_NOT_OPEN") from error


def open_touch() -> touchscreen.TouchScreen | None:
    """The touch screen (the SDL mouse on a PC), or None if there is none."""
    try:
        return touchscreen.TouchScreen()
    except Exception as error:  # no touch device: the app still runs, without touch
        print(f"touch screen not available: {error}", file=_sys.stderr)
        return None


# More touch event frames than this in one go is a stuck or flooding device, not a user.
MAX_TOUCH_EVENTS = 64


def touch_readings(ts: touchscreen.TouchScreen) -> list[Touch]:
    """Every touch reading since the last call, oldest first.

    On a MaixCAM `read()` may skip events between two calls, so one event frame is taken
    at a time with `read0()` while `available(0)` says events are pending: a tap shorter
    than a frame still gives its press and its release. MaixPy's PC build (the SDL
    mouse) never reports pending events; there, and when nothing is pending, one `read()`
    gives the current state.
    """
    readings: list[list[int]] = []
    while len(readings) < MAX_TOUCH_EVENTS and ts.available(0):
        readings.append(ts.read0())
    if not readings:
        readings.append(ts.read())
    return [Touch(int(x), int(y), bool(pressed)) for x, y, pressed in readings]


class MaixPlatform:
    """The core's `Platform` on maix: frames from `source`, shown on `disp`, touch input.
    The run ends when maix asks the app to exit, or when `stop()` says so."""

    interactive = True
    shows_frames = True

    def __init__(self, source: FrameSource, disp: display.Display | None = None,
                 touch: touchscreen.TouchScreen | None = None,
                 stop: Callable[[], bool] | None = None) -> None:
        self.source = source
        self.disp = disp if disp is not None else open_display()
        self.ts = touch
        self.stop = stop

    @classmethod
    def with_camera(cls, width: int, height: int,
                    fmt: image.Format = image.Format.FMT_RGB888,
                    disp: display.Display | None = None,
                    stop: Callable[[], bool] | None = None) -> "MaixPlatform":
        disp = disp if disp is not None else open_display()  # first: errors need it
        return cls(CameraSource(width, height, fmt), disp, open_touch(), stop)

    @classmethod
    def with_video(cls, path: str | Path, size: tuple[int, int] | None = None,
                   loop: bool = False, disp: display.Display | None = None,
                   stop: Callable[[], bool] | None = None) -> "MaixPlatform":
        disp = disp if disp is not None else open_display()
        return cls(VideoSource(path, size, loop), disp, open_touch(), stop)

    @property
    def display_size(self) -> tuple[int, int]:
        return self.disp.width(), self.disp.height()

    def read(self) -> Frame | None:
        return self.source.read()

    def show(self, frame: Frame) -> None:
        # frame.rgb is a view of frame.native: what the renderer drew is in the image.
        self.disp.show(frame.native)

    def touches(self) -> list[Touch]:
        return touch_readings(self.ts) if self.ts is not None else []

    def keys(self) -> list[str]:
        return []  # the device's user key is the system's "exit", seen by app.need_exit()

    def exit_requested(self) -> bool:
        return app.need_exit() or (self.stop is not None and self.stop())

    def request_exit(self) -> None:
        app.set_exit_flag(True)

    def close(self) -> None:
        self.source.close()


# ---- error screen --------------------------------------------------------------------------

TITLE_COLOR = (255, 96, 64)
TEXT_COLOR = (255, 255, 255)
HINT = "Touch the screen or press the user key to exit."


def fit_lines(text: str, columns: int, rows: int, tail: bool) -> list[str]:
    """`text` wrapped at `columns`, cut to `rows` lines (the last ones if `tail`)."""
    lines: list[str] = []
    for paragraph in text.rstrip().splitlines() or [""]:
        import textwrap  # an error screen only

        lines.extend(textwrap.wrap(paragraph, max(columns, 1), replace_whitespace=False,
                                   drop_whitespace=False) or [""])
    if len(lines) <= rows:
        return lines
    return ["..."] + lines[len(lines) - rows + 1:] if tail else lines[: rows - 1] + ["..."]


def error_image(width: int, height: int, title: str, message: str,
                tail: bool = False) -> image.Image:
    """A black `width` x `height` image with `title` and `message` written on it."""
    img = image.Image(width, height, image.Format.FMT_RGB888, bg=image.COLOR_BLACK)
    margin = max(4, width // 80)
    scale = 1.5 if width >= 480 and not tail else 1.0  # tracebacks: more lines
    char = image.string_size("M", scale=scale)
    line_h = char.height() + 4
    img.draw_string(margin, margin, title, image.Color.from_rgb(*TITLE_COLOR), scale=scale * 1.2,
                    wrap=False)
    top = margin + int(line_h * 1.6)
    small = image.string_size("abcdefghijklmnopqrstuvwxyz", scale=scale)
    columns = int((width - 2 * margin) / (small.width() / 26))
    rows = max(1, (height - top - line_h - margin) // line_h)
    text_color = image.Color.from_rgb(*TEXT_COLOR)
    for i, line in enumerate(fit_lines(message, columns, rows, tail)):
        img.draw_string(margin, top + i * line_h, line, text_color, scale=scale, wrap=False)
    img.draw_string(margin, height - line_h - margin // 2, HINT,
                    image.Color.from_rgb(160, 160, 160), scale=scale * 0.8, wrap=False)
    return img


def show_error(disp: display.Display, title: str, message: str,
               touch: touchscreen.TouchScreen | None = None, timeout_s: float | None = None,
               tail: bool = False) -> None:
    """Show an error screen until the app is asked to exit, the screen is touched
    (on release) or `timeout_s` passes."""
    img = error_image(disp.width(), disp.height(), title, message, tail)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    pressed = False
    while not app.need_exit():
        disp.show(img)
        if touch is not None:
            down = bool(touch.read()[2])
            if pressed and not down:
                break
            pressed = down
        if deadline is not None and time.monotonic() >= deadline:
            break
        time.sleep(0.05)


def report_failure(error: BaseException, disp: display.Display | None = None,
                   touch: touchscreen.TouchScreen | None = None,
                   timeout_s: float | None = None) -> int:
    """Tell the user and the launcher about `error`, wait for the user, ask to exit.

    A `DeviceError` shows its own title and message; anything else shows its traceback
    (as the official apps do). The launcher gets the message via `app.set_exit_msg`.
    Returns the process exit code (1).
    """
    if isinstance(error, DeviceError):
        title, message, code, tail = error.title, error.message, error.code, False
        launcher_msg = f"{error.title}: {error.message}"
    else:
        title, code, tail = "Face Landmarks stopped", "ERR_RUNTIME", True
        import traceback

        message = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        launcher_msg = f"{type(error).__name__}: {error}"
    print(f"{title}\n{message}", file=_sys.stderr)
    app.set_exit_msg(getattr(err.Err, code, err.Err.ERR_RUNTIME), launcher_msg)
    try:
        if disp is None:
            disp = open_display()
        if touch is None:
            touch = open_touch()
        show_error(disp, title, message, touch, timeout_s, tail)
    except Exception as screen_error:  # no screen: the launcher message is all we have
        print(f"cannot show the error on screen: {screen_error}", file=_sys.stderr)
    app.set_exit_flag(True)
    return 1
