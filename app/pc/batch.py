"""Headless processing of a file or camera: JSON lines and an annotated video/image."""
from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..core.faces import Face
from ..core.timing import StageClock
from ..core.tracking import FaceTracker
from .outputs import JsonLines, MediaWriter
from .progress import Progress
from .sources import Source

Draw = Callable[[np.ndarray, Sequence[Face], dict[str, float]], None]


class _StopRequest:
    """Ctrl-C as a request honoured between frames, so each frame is written to every
    output or to none (the video and the JSON lines stay in step)."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> "_StopRequest":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._request)
        return self

    def _request(self, signum: int, frame: Any) -> None:
        self.requested = True

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def process(source: Source, tracker: FaceTracker, clock: StageClock, draw: Draw,
            json_path: Path | None, output_path: Path | None,
            on_frame: Callable[[np.ndarray], None] | None = None,
            max_frames: int | None = None) -> int:
    """Run every frame of `source` through `tracker`; returns the number of frames.

    Ctrl-C stops after the current frame, closes the files properly (a playable video,
    only whole JSON lines, one per video frame) and then raises KeyboardInterrupt.
    """
    jsonl = JsonLines(json_path) if json_path else None
    media = MediaWriter(output_path, source.fps) if output_path else None
    total = source.frame_count if max_frames is None else min(source.frame_count, max_frames)
    progress = Progress(total)
    count = 0
    with _StopRequest() as stop:
        try:
            for index, rgb in enumerate(source.frames()):
                if stop.requested or (max_frames is not None and index >= max_frames):
                    break
                clock.new_frame()
                t = index / source.fps if source.fps > 0 else float(index)
                with clock.stage("total"):
                    faces = tracker.update(rgb, t)
                if media is not None or on_frame is not None:
                    with clock.stage("render"):
                        draw(rgb, faces, clock.ms())
                    if media is not None:
                        media.write(rgb)
                    if on_frame is not None:
                        on_frame(rgb)
                if jsonl is not None:
                    jsonl.write(index, faces, clock.ms())
                count += 1
                progress.step()
        finally:
            progress.close()
            if jsonl is not None:
                jsonl.close()
            if media is not None:
                media.close()
    if stop.requested:
        print(f"interrupted after {count} frames; outputs closed", file=sys.stderr)
        raise KeyboardInterrupt
    return count
