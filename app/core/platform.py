"""The one small protocol a platform adapter (device or PC) implements for the app loop."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True, eq=False)
class Frame:
    """One camera frame in two views of the same pixels.

    native: what the platform's models take (a maix.image.Image on the device, the RGB
            array itself on a PC).
    rgb:    (H, W, 3) uint8 RGB numpy view of the same memory (zero-copy on the device:
            image2cv(..., copy=False)); the renderer draws into it in place.
    """

    native: Any
    rgb: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        """`width, height` in pixels."""
        return self.rgb.shape[1], self.rgb.shape[0]


@dataclass(frozen=True)
class Touch:
    """One touch-screen (or mouse) reading in display pixels."""

    x: int
    y: int
    pressed: bool


class Platform(Protocol):
    @property
    def display_size(self) -> tuple[int, int]:
        """`width, height` of the screen (or window) the frame is shown on."""
        ...

    def read(self) -> Frame | None:
        """The next frame; None when the source has ended."""
        ...

    def show(self, frame: Frame) -> None:
        """Show the (drawn-on) frame, scaled to the screen with FIT_CONTAIN."""
        ...

    def touch(self) -> Touch | None:
        """The current touch state, or None if the platform has no touch input."""
        ...

    def exit_requested(self) -> bool:
        """The user or the system asked the app to stop."""
        ...

    def request_exit(self) -> None: ...
