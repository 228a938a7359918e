"""Frame sources on a PC: an image file, a video file, a camera, or many images, as RGB
uint8 arrays.

`--source` takes one image, video or camera index (`Source`), or many stills
(`Stills`): a folder, several paths, or a glob pattern. Many stills are read one at a
time, when their turn comes, and an unreadable one is skipped with a warning.
"""
from __future__ import annotations

import glob
import os
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

import cv2
import numpy as np

from ..core.settings import MAX_IMAGE_PIXELS
from .image_header import pixel_size

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm"}
_GLOB_CHARS = set("*?[")


class SourceError(RuntimeError):
    """The source cannot be opened or read."""


def silence_opencv_logs() -> None:
    """Keep OpenCV's and FFmpeg's own log lines off stderr (a missing camera printed two
    before ours, a damaged video one): the app reports every failure itself, in one line.
    OPENCV_FFMPEG_LOGLEVEL is read when FFmpeg is first used; a user's value wins."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    cv2.setLogLevel(0)  # LOG_LEVEL_SILENT


def to_rgb(image: np.ndarray) -> np.ndarray:
    """Any OpenCV-decoded image (gray, BGR, BGRA, 16-bit) -> contiguous RGB uint8."""
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    elif image.dtype != np.uint8:
        lo, hi = float(image.min()), float(image.max())  # float images: stretch to 0..255
        image = ((image - lo) * (255.0 / max(hi - lo, 1e-12))).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    if image.shape[2] == 1:
        return cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


DEFAULT_MAX_PIXELS = MAX_IMAGE_PIXELS  # pc.max_image_pixels' default


def read_image(path: Path, warn: Callable[[str], None] | None = None,
               max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """The image at `path` as RGB, upright (its EXIF orientation applied); SourceError if
    it is missing, cannot be decoded, or its header gives more than `max_pixels` pixels
    (checked before decoding, so memory stays bounded). The file is read by bytes, so any
    file name works (one that is not UTF-8 crashed `cv2.imread`). The decoders' own messages (libjpeg's "Premature end of
    JPEG file", libpng's) are kept off stderr: an image they complained about but that
    decoded is passed to `warn` as truncated or corrupt and still used."""
    if not path.is_file():
        raise SourceError(f"no such file: {path}" if not path.exists() else
                          f"not an image file: {path}")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as err:
        raise SourceError(f"cannot read image: {path} ({err.strerror})") from None
    size = pixel_size(data.data)
    if size is not None and size[0] * size[1] > max_pixels:
        raise SourceError(f"{path} is {size[0]} x {size[1]} pixels, over the limit of "
                          f"{max_pixels:,} (setting pc.max_image_pixels)")
    try:
        with _decoder_messages() as complaints:
            # IMREAD_COLOR applies the EXIF orientation (IMREAD_UNCHANGED ignores it);
            # grey, alpha and 16-bit images come out as 8-bit BGR, as to_rgb made them.
            image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
            if image is None and _cut_jpeg(data):  # decode what came, as imread does
                image = cv2.imdecode(np.append(data, _JPEG_END), cv2.IMREAD_COLOR)
                complaints.text += b"truncated"
    except cv2.error as err:  # e.g. "pixels <= CV_IO_MAX_IMAGE_PIXELS": a 40000 x 40000 header
        raise SourceError(f"cannot read image: {path} ({_cv2_reason(err)})") from None
    if image is None or image.size == 0:
        raise SourceError(f"{path} is truncated or corrupt" if complaints else
                          f"cannot read image: {path}")
    if complaints:
        (warn or _stderr_warning)(f"{path} is truncated or corrupt")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


_JPEG_END = np.array([0xFF, 0xD9], np.uint8)


def _cut_jpeg(data: np.ndarray) -> bool:
    """A JPEG's bytes without its end marker (a file cut short)."""
    return data.size > 4 and data[0] == 0xFF and data[1] == 0xD8 and \
        not (data[-2] == 0xFF and data[-1] == 0xD9)


def _stderr_warning(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


class _Complaints:
    def __init__(self) -> None:
        self.text = b""

    def __bool__(self) -> bool:
        return bool(self.text.strip())


@contextmanager
def _decoder_messages() -> Iterator[_Complaints]:
    """What the C decoders write to stderr (fd 2) meanwhile, caught instead of shown."""
    complaints = _Complaints()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as caught:
        saved = os.dup(2)
        os.dup2(caught.fileno(), 2)
        try:
            yield complaints
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            complaints.text = caught.read(4096)


def _cv2_reason(err: cv2.error) -> str:
    if "CV_IO_MAX_IMAGE_PIXELS" in str(err):
        return "too many pixels"
    return getattr(err, "err", "") or "OpenCV error"


def _refuse_url(spec: str) -> None:
    if "://" in spec:
        raise SourceError(f"{spec}: URLs are not supported; give an image, a video, a "
                          "folder of images or a camera index (download the file first)")


class FrameSource(Protocol):
    """What the platforms read frames from: `Source` or `Stills`.

    still: each frame is a photo (no tracking between frames); many: several photos,
    one frame each (Stills); live: a camera (frames are timed by the clock);
    current: what the last frame came from (many stills: its path as given).
    """

    name: str
    still: bool
    many: bool
    fps: float
    live: bool

    @property
    def current(self) -> str: ...

    @property
    def frame_count(self) -> int: ...

    def frames(self) -> Iterator[np.ndarray]: ...

    def rewind(self) -> None: ...

    def close(self) -> None: ...


@dataclass
class Source:
    """An opened single source: `still` for one image, `live` for a camera."""

    name: str
    still: bool
    fps: float
    live: bool = False
    _image: np.ndarray | None = None
    _capture: cv2.VideoCapture | None = None
    _path: str = ""
    _first: np.ndarray | None = None  # a video's first frame, read to check it opens
    many = False

    @classmethod
    def open(cls, spec: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> "Source":
        """`spec` is an image path, a video path or a camera index ("0"); an image over
        `max_pixels` is refused."""
        _refuse_url(spec)
        if spec.isdigit():
            capture = cv2.VideoCapture(int(spec))
            if not capture.isOpened():
                raise SourceError(f"cannot open camera {spec}")
            return cls(f"camera {spec}", False, capture.get(cv2.CAP_PROP_FPS) or 30.0,
                       live=True, _capture=capture)
        path = Path(spec)
        if not path.exists():
            raise SourceError(f"no such file: {spec}")
        if path.is_dir():
            raise SourceError(f"is a folder, not an image or video: {spec}")
        if not path.is_file():  # a pipe or a device: OpenCV would wait on it for ever
            raise SourceError(f"not a regular file: {spec}")
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return cls(path.name, True, 0.0, _image=read_image(path, max_pixels=max_pixels))
        capture = cv2.VideoCapture(str(path))
        ok, first = capture.read() if capture.isOpened() else (False, None)
        if not ok or first is None:
            capture.release()
            raise SourceError(f"cannot read video: {spec}")
        # The first frame is kept, not re-read: seeking back to frame 0 fails on a
        # one-frame file (OpenCV then reads nothing at all).
        return cls(path.name, False, capture.get(cv2.CAP_PROP_FPS) or 30.0, _capture=capture,
                   _path=str(path), _first=to_rgb(first))

    @property
    def current(self) -> str:
        return self.name

    @property
    def frame_count(self) -> int:
        if self._image is not None:
            return 1
        assert self._capture is not None
        return int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)

    def frames(self) -> Iterator[np.ndarray]:
        """RGB frames until the source ends."""
        if self._image is not None:
            yield self._image
            return
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        assert self._capture is not None
        while True:
            ok, frame = self._capture.read()
            if not ok or frame is None:
                return
            yield to_rgb(frame)

    def rewind(self) -> None:
        """Start a video file again (cameras and stills: nothing to do). The file is
        opened afresh: seeking to frame 0 is unreliable (a one-frame file)."""
        if self._capture is not None and self._path:
            self._capture.release()
            self._capture = cv2.VideoCapture(self._path)

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()


# -- many stills -----------------------------------------------------------------------

def is_pattern(spec: str) -> bool:
    return bool(_GLOB_CHARS & set(spec)) and not os.path.lexists(spec)


def images_in(folder: str, warn: Callable[[str], None] | None = None) -> list[str]:
    """The images of a folder (by suffix, not hidden, not in sub-folders), sorted by name,
    each as `folder/name` (the folder as given). An entry that cannot be looked at (a
    symbolic link loop, no permission) is passed to `warn` and left out."""
    names = []
    for entry in os.scandir(folder):
        if entry.name.startswith(".") or Path(entry.name).suffix.lower() not in IMAGE_SUFFIXES:
            continue
        try:
            if entry.is_file():
                names.append(entry.name)
        except OSError as err:  # ELOOP: a link to itself
            (warn or _stderr_warning)(f"{os.path.join(folder, entry.name)}: "
                                      f"{err.strerror}; skipped")
    return [os.path.join(folder, name) for name in sorted(names)]


def many_stills(specs: Sequence[str],
                warn: Callable[[str], None] | None = None) -> list[str] | None:
    """The image paths `--source` names when it names many stills, as given (a folder's
    images as `folder/name`); None for one image, video or camera. Several values, a
    folder or a glob pattern (quoted, so the shell left it) name many stills.
    SourceError: a URL, a folder without images, a pattern matching nothing."""
    for spec in specs:
        _refuse_url(spec)
    if len(specs) == 1 and not os.path.isdir(specs[0]) and not is_pattern(specs[0]):
        return None
    paths: list[str] = []
    for spec in specs:
        if os.path.isdir(spec):
            found = images_in(spec, warn)
            if not found:
                raise SourceError(f"no images in the folder {spec} "
                                  f"({', '.join(sorted(IMAGE_SUFFIXES))})")
        elif is_pattern(spec):
            found = sorted(glob.glob(spec))
            if not found:
                raise SourceError(f"no file matches {spec}")
        else:
            found = [spec]
        paths.extend(found)
    return paths


@dataclass
class Stills:
    """Many photos, one frame each, read one at a time when their turn comes (never all
    in memory). An unreadable one is reported through `warn` and skipped.

    paths:   as given (the JSON lines' "source").
    current: the path of the frame last yielded.
    read:    how many were read (frames yielded); skipped: how many were not.
    """

    paths: list[str]
    warn: Callable[[str], None]
    max_pixels: int = DEFAULT_MAX_PIXELS
    current: str = ""
    read: int = 0
    skipped: int = 0
    _start: int = field(default=0, repr=False)
    name = "many images"
    still = True
    many = True
    fps = 0.0
    live = False

    @property
    def frame_count(self) -> int:
        return len(self.paths)

    def frames(self) -> Iterator[np.ndarray]:
        for path in self.paths[self._start:]:
            self._start += 1
            try:
                rgb = read_image(Path(path), self.warn, self.max_pixels)
            except SourceError as err:
                self.skipped += 1
                self.warn(f"{err}; skipped")
                continue
            self.current = path
            self.read += 1
            yield rgb

    def rewind(self) -> None:
        self._start = 0

    def close(self) -> None:
        pass
