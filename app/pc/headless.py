"""The PC as a `Platform` without a screen: every frame of a file or camera (or every
image of many stills) once, the drawn frames into a video, an image file or a folder of
images (if asked for), a progress bar."""
from __future__ import annotations

import time
from typing import Iterator, Protocol

import numpy as np

from ..core.platform import Frame, Touch
from .progress import Progress
from .sources import FrameSource
from .stop import StopRequest


# Frames per second of a still that is served (it is shown again and again).
STILL_FPS = 10.0


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
    serve:      the frames are served to a browser (--serve): the source loops, and a
                file plays at its own frame rate (stills: STILL_FPS), until stopped.
    """

    interactive = False

    def __init__(self, source: FrameSource, media: MediaSink | None, stop: StopRequest, *,
                 max_frames: int | None, serve: bool = False) -> None:
        self.source = source
        self.media = media
        self.stop = stop
        self.max_frames = max_frames
        self.serve = serve
        total = source.frame_count if max_frames is None else min(source.frame_count, max_frames)
        self.progress = Progress(0 if serve else total, unit="images" if source.many else "frames")
        self._frames = self._served() if serve else self._timed()
        self._size = (0, 0)

    def _timed(self) -> Iterator[Frame]:
        for index, rgb in enumerate(self.source.frames()):
            t = index / self.source.fps if self.source.fps > 0 else float(index)
            yield Frame(rgb, rgb, None if self.source.live else t)

    def _served(self) -> Iterator[Frame]:
        """The source again and again, each frame when its time comes (a camera: as it
        delivers). Its time keeps growing across loops, as the smoothing expects."""
        fps = self.source.fps if self.source.fps > 0 else STILL_FPS
        start, index = time.monotonic(), 0
        while not self.stop.requested:
            count = 0
            for rgb in self.source.frames():
                if not self.source.live:
                    wait = start + index / fps - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    elif wait < -1.0:  # far behind (a slow PC): no catching up in a burst
                        start -= wait
                if self.source.still:
                    rgb = rgb.copy()  # the overlay is drawn in place
                yield Frame(rgb, rgb, None if self.source.live else index / fps)
                index += 1
                count += 1
                if self.stop.requested:
                    return
            if count == 0 or self.source.live:
                return  # nothing to loop over (or a camera that ended)
            self.source.rewind()

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
