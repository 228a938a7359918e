"""Headless processing of a file or camera: JSON lines and an annotated video/image."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..core.faces import Face
from ..core.timing import StageClock
from ..core.tracking import FaceTracker
from .outputs import JsonLines, MediaWriter
from .progress import Progress
from .sources import Source

Draw = Callable[[np.ndarray, Sequence[Face], dict[str, float]], None]


def process(source: Source, tracker: FaceTracker, clock: StageClock, draw: Draw,
            json_path: Path | None, output_path: Path | None,
            on_frame: Callable[[np.ndarray], None] | None = None,
            max_frames: int | None = None) -> int:
    """Run every frame of `source` through `tracker`; returns the number of frames.

    Ctrl-C stops after the current frame and still closes the files properly (a
    playable video, only whole JSON lines).
    """
    jsonl = JsonLines(json_path) if json_path else None
    media = MediaWriter(output_path, source.fps) if output_path else None
    total = source.frame_count if max_frames is None else min(source.frame_count, max_frames)
    progress = Progress(total)
    count = 0
    try:
        for index, rgb in enumerate(source.frames()):
            if max_frames is not None and index >= max_frames:
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
    except KeyboardInterrupt:
        print(f"interrupted after {count} frames; outputs closed", file=sys.stderr)
        raise
    finally:
        progress.close()
        if jsonl is not None:
            jsonl.close()
        if media is not None:
            media.close()
    return count
