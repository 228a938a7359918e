"""Result files on a PC: landmarks as JSON lines, annotated video or image."""
from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Mapping, Sequence

import cv2
import numpy as np

from ..core.faces import Face
from ..core.pipeline import mesh_box


def face_record(face: Face) -> dict:
    """One face as the JSONL contract has it (image pixels of the source frame); `box` is
    the box around its 468 mesh landmarks."""
    record = {
        "score": round(float(face.score), 4),
        "box": [round(float(v), 2) for v in mesh_box(face)],
        "points": np.round(face.xy.astype(np.float64), 2).tolist(),
        "points_z": face.points_z,
        "track_id": face.track_id,
    }
    if face.signals is not None:
        record["signals"] = face.signals.as_dict()
    return record


class JsonLines:
    """A FrameSink: `{"frame": i, "faces": [...], "ms": {stage: ms}}` per line, flushed
    per frame; each face with its signals."""

    wants_signals = True

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stream: IO[str] = path.open("w", encoding="utf-8")

    def write(self, index: int, image_size: tuple[int, int], faces: Sequence[Face],
              ms: Mapping[str, float]) -> None:
        line = {"frame": index, "faces": [face_record(f) for f in faces],
                "ms": {k: round(v, 3) for k, v in ms.items()}}
        self._stream.write(json.dumps(line, separators=(",", ":")) + "\n")
        self._stream.flush()  # a line is either whole or absent, even after Ctrl-C

    def close(self) -> None:
        self._stream.close()


class MediaWriter:
    """Annotated frames to an .mp4/.avi video, or the last frame to an image file."""

    def __init__(self, path: Path, fps: float) -> None:
        self.path = path
        self.fps = fps if fps and fps > 0 else 30.0
        self.is_video = path.suffix.lower() in {".mp4", ".avi", ".mkv", ".mov"}
        self._video: cv2.VideoWriter | None = None
        self._last: np.ndarray | None = None

    def write(self, rgb: np.ndarray) -> None:
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        if not self.is_video:
            self._last = bgr
            return
        if self._video is None:
            fourcc = cv2.VideoWriter.fourcc(*("mp4v" if self.path.suffix.lower() == ".mp4" else "MJPG"))
            self._video = cv2.VideoWriter(str(self.path), fourcc, self.fps, (bgr.shape[1], bgr.shape[0]))
            if not self._video.isOpened():
                raise OSError(f"cannot write video: {self.path}")
        self._video.write(bgr)

    def close(self) -> None:
        if self._video is not None:
            self._video.release()  # finalises the container: the file stays playable
        if self._last is not None and not cv2.imwrite(str(self.path), self._last):
            raise OSError(f"cannot write image: {self.path}")
