"""Frame sources on a PC: an image file, a video file or a camera, as RGB uint8 arrays."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm"}


class SourceError(RuntimeError):
    """The source cannot be opened or read."""


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


def read_image(path: Path) -> np.ndarray:
    if not path.is_file():
        raise SourceError(f"no such file: {path}")
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise SourceError(f"cannot read image: {path}")
    return to_rgb(image)


@dataclass
class Source:
    """An opened source: `still` for a single image, `live` for a camera."""

    name: str
    still: bool
    fps: float
    live: bool = False
    _image: np.ndarray | None = None
    _capture: cv2.VideoCapture | None = None

    @classmethod
    def open(cls, spec: str) -> "Source":
        """`spec` is an image path, a video path or a camera index ("0")."""
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
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return cls(path.name, True, 0.0, _image=read_image(path))
        capture = cv2.VideoCapture(str(path))
        ok, first = capture.read() if capture.isOpened() else (False, None)
        if not ok or first is None:
            capture.release()
            raise SourceError(f"cannot read video: {spec}")
        capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        return cls(path.name, False, capture.get(cv2.CAP_PROP_FPS) or 30.0, _capture=capture)

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
        assert self._capture is not None
        while True:
            ok, frame = self._capture.read()
            if not ok or frame is None:
                return
            yield to_rgb(frame)

    def rewind(self) -> None:
        """Start a video file again (cameras and stills: nothing to do)."""
        if self._capture is not None and self.frame_count > 0:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
