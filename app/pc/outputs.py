"""Result files on a PC: landmarks as JSON lines, the annotated video or image, or a
folder of annotated images (many stills).

Of one source, each is written whole or not at all (app/pc/files.py), in two steps so
that a run's outputs appear together or not at all: `finish()` completes the temporary
file (and checks it: OSError if it cannot be), `commit()` renames it into place;
`discard()` removes it when the run fails. `close()` (the FrameSink's) is both steps.
Of many stills, each still's annotated image and JSON line are in place, synced, as
soon as that still is done (`ImageFolder`, `JsonLines(in_place=True)`); the steps only
close them.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Callable, Mapping, Sequence

import cv2
import numpy as np

from ..core.face.faces import Face
from ..core.records import frame_json, frame_record
from .files import (STDOUT, AppendFile, OutputError, PartFile, StaleTemps, put_file,
                    write_failed)
from .sources import IMAGE_SUFFIXES

# The container decides the codec OpenCV's FFmpeg can put in it.
VIDEO_FOURCC = {".mp4": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}
IMAGE_OUT_SUFFIXES = frozenset(IMAGE_SUFFIXES)


def check_media_suffix(path: Path, what: str = "--output") -> None:
    """OutputError unless `path` names a video or image format the app writes."""
    suffix = path.suffix.lower()
    if suffix in VIDEO_FOURCC or suffix in IMAGE_OUT_SUFFIXES:
        return
    kind = f"'{path.suffix}'" if path.suffix else "no extension"
    raise OutputError(f"{what} {path}: {kind} is not a format the app writes; use a video "
                      f"({', '.join(VIDEO_FOURCC)}) or an image "
                      f"({', '.join(sorted(IMAGE_OUT_SUFFIXES))})")


def image_target(folder: Path, source: str) -> Path:
    """Where the annotated copy of image `source` goes: the same file name in `folder`
    (with .png added when the app cannot write that suffix)."""
    name = Path(source).name
    return folder / (name if Path(name).suffix.lower() in IMAGE_OUT_SUFFIXES else name + ".png")


class JsonLines:
    """A FrameSink: `{"frame": i, "faces": [...], "ms": {stage: ms}}` per line, flushed
    per frame, each face with its signals; with `source_of`, each line also names the
    image it is about (`"source": path as given`, many stills).

    Written under a temporary name (a failed run leaves the previous file of that name
    as it was); `in_place` (many stills): written in place from the first line on, each
    line synced as it is written, so a run stopped in any way leaves the lines of the
    stills done (files.AppendFile); `-` is standard output, each line out as soon as
    it is made.
    """

    wants_signals = True

    def __init__(self, path: Path, source_of: Callable[[], str] | None = None, *,
                 in_place: bool = False) -> None:
        self.path = path
        self.source_of = source_of
        self.part: PartFile | None = None
        self._lines: AppendFile | None = None
        self._stream: IO[str] | None = None
        if path == STDOUT:
            self._stream = sys.stdout
        elif in_place:
            self._lines = AppendFile(path)
        else:
            self.part = PartFile(path)
            self._stream = self.part.temp.open("w", encoding="utf-8")

    def write(self, index: int, image_size: tuple[int, int], faces: Sequence[Face],
              ms: Mapping[str, float]) -> None:
        source = self.source_of() if self.source_of is not None else None
        text = frame_json(frame_record(index, faces, ms, source)) + "\n"
        if self._lines is not None:  # one write, synced (json.dumps gives ASCII)
            self._lines.append(text.encode("utf-8"))
            return
        assert self._stream is not None
        try:
            self._stream.write(text)
            self._stream.flush()  # a line is either whole or absent, even after Ctrl-C
        except OSError as err:  # a full disk: the run fails, the file is discarded
            raise write_failed(self.path, err) from err

    def finish(self) -> None:
        if self._lines is not None:
            self._lines.close()
            return
        assert self._stream is not None
        try:
            self._stream.flush() if self.part is None else self._stream.close()
        except OSError as err:
            raise write_failed(self.path, err) from err

    def commit(self) -> None:
        if self.part is not None:
            self.part.commit()

    def close(self) -> None:
        self.finish()
        self.commit()

    def discard(self) -> None:
        if self._lines is not None:
            self._lines.close()  # the lines written are whole: they stay
            return
        if self.part is None:
            return  # the lines are out already
        try:
            assert self._stream is not None
            self._stream.close()
        except OSError:
            pass  # the buffered bytes that did not fit: the file is dropped anyway
        self.part.discard()


def _encode(path: Path, rgb: np.ndarray) -> bytes:
    suffix = path.suffix.lower()
    # PGM holds grey only (OpenCV refuses colour: "cannot encode")
    pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY if suffix == ".pgm" else cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(suffix, pixels)
    if not ok:
        raise OSError(f"cannot encode {path}")
    return data.tobytes()


class MediaWriter:
    """Annotated frames to a video (VIDEO_FOURCC), or the last frame to an image file.

    `finish()` completes the file and checks that a video plays back with every frame
    (OpenCV drops frames silently on a full disk, leaving a file without its index):
    OSError if it does not. No frame written: no file.
    """

    def __init__(self, path: Path, fps: float) -> None:
        self.path = path
        self.fps = fps if fps and fps > 0 else 30.0
        self.is_video = path.suffix.lower() in VIDEO_FOURCC
        self.frames = 0
        self.part = PartFile(path)
        self._video: cv2.VideoWriter | None = None
        self._last: np.ndarray | None = None

    def write(self, rgb: np.ndarray) -> None:
        self.frames += 1
        if not self.is_video:
            self._last = rgb
            return
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        if self._video is None:
            fourcc = cv2.VideoWriter.fourcc(*VIDEO_FOURCC[self.path.suffix.lower()])
            self._video = cv2.VideoWriter(str(self.part.temp), fourcc, self.fps,
                                          (bgr.shape[1], bgr.shape[0]))
            if not self._video.isOpened():
                raise OSError(f"cannot write video {self.path}")
        self._video.write(bgr)

    def finish(self) -> None:
        """Complete the temporary file: the video's index, or the image's bytes. OSError
        (the temporary file removed) if it cannot be written whole."""
        try:
            if self._video is not None:
                self._video.release()  # finalises the container (its index)
                self._video = None
                _check_plays_back(self.part.temp, self.frames, self.path)
            elif self._last is not None:
                with self.part.temp.open("wb") as f:
                    f.write(_encode(self.path, self._last))
        except OSError as err:
            self.part.discard()
            raise write_failed(self.path, err) from err
        except BaseException:
            self.part.discard()
            raise

    def commit(self) -> None:
        """Put the file in place (nothing, if no frame came)."""
        if self.frames == 0:
            self.part.discard()
        else:
            self.part.commit()

    def close(self) -> None:
        self.finish()
        self.commit()

    def discard(self) -> None:
        if self._video is not None:
            self._video.release()
            self._video = None
        self.part.discard()


def _check_plays_back(temp: Path, frames: int, path: Path) -> None:
    capture = cv2.VideoCapture(str(temp))
    try:
        opened = capture.isOpened() and capture.read()[0]
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0) if opened else 0
    finally:
        capture.release()
    if not opened or count < frames:
        raise OSError(f"cannot write video {path}: the written file does not play back "
                      f"({count} of {frames} frames; is the disk full?)")


class ImageFolder:
    """Annotated stills into `folder`, each under the file name of the image it shows
    (`name_of()`: the current source path), each in place, whole and synced, as soon as
    it is drawn (files.put_file: no temporary file, even for a process killed outright,
    where the file system has O_TMPFILE; elsewhere the temporary files a killed run left
    are removed as their images are written again)."""

    def __init__(self, folder: Path, name_of: Callable[[], str]) -> None:
        self.folder = folder
        self.name_of = name_of
        self.frames = 0
        self._stale: StaleTemps | None = None

    def write(self, rgb: np.ndarray) -> None:
        path = image_target(self.folder, self.name_of())
        try:
            if self._stale is None:  # at the first image: none read, no folder
                self.folder.mkdir(exist_ok=True)
                self._stale = StaleTemps(self.folder)
            self._stale.remove(path)
            put_file(path, _encode(path, rgb))
        except OSError as err:
            raise write_failed(path, err) from err
        self.frames += 1

    def finish(self) -> None:
        pass  # every image is already in place

    def commit(self) -> None:
        pass

    def close(self) -> None:
        pass

    def discard(self) -> None:
        pass  # the images written so far are whole: they stay
