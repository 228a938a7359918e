"""The small protocols the frame loop talks to: a platform adapter (device or PC) and
the sinks that receive each frame's results (JSON lines, a report stream)."""
from __future__ import annotations

from typing import Any, Mapping, NamedTuple, Protocol, Sequence

import numpy as np

from .face.faces import Face


class Frame(NamedTuple):
    """One camera frame in two views of the same pixels.

    native: what the platform's models take (a maix.image.Image on the device, the RGB
            array itself on a PC).
    rgb:    (H, W, 3) uint8 RGB numpy view of the same memory (zero-copy on the device:
            image2cv(..., copy=False)); the renderer draws into it in place.
    time:   the frame's time in the source, seconds (a video file's frame index / fps);
            None for a live camera, whose frames are timed by the loop's clock.
    """

    native: Any
    rgb: np.ndarray
    time: float | None = None

    @property
    def size(self) -> tuple[int, int]:
        """`width, height` in pixels."""
        return self.rgb.shape[1], self.rgb.shape[0]


class Touch(NamedTuple):
    """One touch-screen (or mouse) reading in display pixels."""

    x: int
    y: int
    pressed: bool


class Platform(Protocol):
    """Where frames come from and go to.

    interactive:  a screen someone looks at and touches: the loop draws the buttons and
                  the HUD and reads touches and keys.
    shows_frames: the drawn frames are seen or written somewhere: the loop draws the
                  overlay and calls `show` (False: results only, e.g. JSON lines).
    """

    @property
    def interactive(self) -> bool: ...

    @property
    def shows_frames(self) -> bool: ...

    @property
    def display_size(self) -> tuple[int, int]:
        """`width, height` of the screen (or window) the frame is shown on."""
        ...

    def read(self) -> Frame | None:
        """The next frame; None when the source has ended."""
        ...

    def show(self, frame: Frame) -> None:
        """Show (or write) the drawn-on frame, scaled to the screen with FIT_CONTAIN."""
        ...

    def touches(self) -> Sequence[Touch]:
        """Every touch reading since the last call, oldest first: each press and release
        is in it, however short the tap (empty when nothing happened)."""
        ...

    def keys(self) -> Sequence[str]:
        """Keys typed since the last call, oldest first (a PC window; empty elsewhere)."""
        ...

    def exit_requested(self) -> bool:
        """The user or the system asked the app to stop."""
        ...

    def request_exit(self) -> None: ...

    def close(self) -> None:
        """Release the source, the screen, the output file (its owner calls this)."""
        ...


class FrameSink(Protocol):
    """Receives each processed frame's results (after the frame is shown).

    wants_signals: the sink writes the faces' signals (so the tracker must measure them).
    """

    @property
    def wants_signals(self) -> bool: ...

    def write(self, index: int, image_size: tuple[int, int], faces: Sequence[Face],
              stage_ms: Mapping[str, float]) -> None:
        """Frame `index` (0, 1, ... in processing order) of `image_size` (w, h): its faces
        and stage times."""
        ...

    def close(self) -> None: ...
