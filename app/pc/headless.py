"""The PC as a `Platform` without a screen: every frame of a file or camera (or every
image of many stills) once, the drawn frames into a video, an image file or a folder of
images (if asked for), a progress bar."""
from __future__ import annotations

from typing import Iterator, Protocol

import numpy as np

from ..core.platform import Frame, Touch
from .progress import Progress
from .sources import FrameSource
from .stop import StopRequest


class MediaSink(Protocol):
    """Where drawn frames go (outputs.MediaWriter, outputs.ImageFolder); its opener
    finishes or discards it."""

    def write(self, rgb: np.ndarray) -> None: ...


class HeadlessPlatform:
    """`Platform` for a run without a window.

    source:     frames; a video file's frames carry their time in the video (index / fps),
                so smoothing sees the video's own pace however fast it is processed.
    media:      where the drawn frames go (None: nothing is drawn, results only); its
                opener finishes it.
    stop:       a stop signal ends the run between frames.
    max_frames: stop after this many frames (None: when the source ends).
    """

    interactive = False

    def __init__(self, source: FrameSource, media: MediaSink | None, stop: StopRequest, *,
                 max_frames: int | None) -> None:
        self.source = source
        self.media = media
        self.stop = stop
        self.max_frames = max_frames
        total = source.frame_count if max_frames is None else min(source.frame_count, max_frames)
        self.progress = Progress(total, unit="images" if source.many else "frames")
        self._frames = self._timed()
        self._size = (0, 0)

    def _timed(self) -> Iterator[Frame]:
        for index, rgb in enumerate(self.source.frames()):
            t = index / self.source.fps if self.source.fps > 0 else float(index)
            yield Frame(rgb, rgb, None if self.source.live else t)

    @property
    def shows_frames(self) -> bool:
        return self.media is not None

    @property
    def display_size(self) -> tuple[int, int]:
        return self._size  # the frame itself: there is no screen

    def read(self) -> Frame | None:
        if self.max_frames is not None and self.progress.count >= self.max_frames:
            return None
        frame = next(self._frames, None)
        if frame is not None:
            self._size = frame.size
            self.progress.step()
        return frame

    def show(self, frame: Frame) -> None:
        assert self.media is not None
        self.media.write(frame.rgb)

    def touches(self) -> list[Touch]:
        return []

    def keys(self) -> list[str]:
        return []

    def exit_requested(self) -> bool:
        return self.stop.requested

    def request_exit(self) -> None:
        self.stop.requested = True

    def close(self) -> None:
        """End the progress line (the source and the media are their openers' to close)."""
        self.progress.close()
