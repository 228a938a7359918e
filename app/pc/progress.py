"""A one-line progress bar (frames, fps, ETA) on a terminal; silent otherwise."""
from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """`unit`: what is counted ("frames"; "images" for many stills)."""

    def __init__(self, total: int, stream: TextIO | None = None, min_interval: float = 0.2,
                 unit: str = "frames") -> None:
        self.total = total
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr  # the one at run time
        self.enabled = self.stream.isatty()
        self.min_interval = min_interval
        self._start = time.monotonic()
        self._last = 0.0
        self.count = 0

    def step(self) -> None:
        self.count += 1
        now = time.monotonic()
        if self.enabled and (now - self._last >= self.min_interval or self.count == self.total):
            self._last = now
            self.stream.write("\r" + self.line(now - self._start))
            self.stream.flush()

    def line(self, elapsed: float) -> str:
        fps = self.count / elapsed if elapsed > 0 else 0.0
        rate = "fps" if self.unit == "frames" else f"{self.unit}/s"
        if self.total > 0:
            done = min(self.count / self.total, 1.0)
            bar = "#" * int(done * 30)
            eta = (self.total - self.count) / fps if fps > 0 else 0.0
            return (f"[{bar:<30}] {self.count}/{self.total} {self.unit}  {fps:5.1f} {rate}  "
                    f"ETA {eta:4.0f} s")
        return f"{self.count} {self.unit}  {fps:5.1f} {rate}"

    def close(self) -> None:
        if self.enabled and self.count:
            self.stream.write("\n")
            self.stream.flush()
