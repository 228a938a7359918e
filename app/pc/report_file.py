"""Face reports on a PC: the byte stream the device's UART would send, into a file.

Each processed frame's frames (CMD_FACES, and CMD_LANDMARKS / CMD_BLENDSHAPES when on and
due) are encoded exactly
as maix.comm.CommProtocol.report sends them and appended with one unbuffered write, so
the file holds whole frames only. Like every output of a PC run (app/pc/files.py) it is
written under a temporary name and put in place when the run ends (`finish`, `commit`;
`discard` on a failure); of many stills (`in_place`), in place, each still's frames
synced as they are written. Read it with `tools/face_report.py FILE`.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO, Sequence

import numpy as np

from ..core.report import Blendshapes, FaceReport, FaceReporter, encode_report
from .files import STDOUT, AppendFile, PartFile, write_failed


class ReportFile:
    """`ReportSink` on a PC: a file of Maix protocol frames, one write per frame."""

    def __init__(self, path: str | Path, reporter: FaceReporter | None = None, *,
                 in_place: bool = False) -> None:
        self.path = Path(path)
        self.reporter = reporter if reporter is not None else FaceReporter()
        # `-`: standard output (piped into a serial tool), each frame out when made
        self._in_place = AppendFile(self.path) if in_place and self.path != STDOUT else None
        self.part = PartFile(self.path) if self.path != STDOUT and not in_place else None
        self._stream: BinaryIO | None = None
        if self.part is not None:
            self._stream = self.part.temp.open("wb", buffering=0)
        elif self._in_place is None:
            self._stream = sys.stdout.buffer
        self._closed = False

    def send_frame(self, faces: Sequence[FaceReport], image_size: tuple[int, int],
                   landmarks: Sequence[np.ndarray] | None = None,
                   blendshapes: Blendshapes | None = None) -> None:
        if self._closed:
            raise ValueError(f"{self.path} is closed")
        data = b"".join(encode_report(cmd, body) for cmd, body in
                        self.reporter.frame(faces, image_size, landmarks, blendshapes))
        if self._in_place is not None:
            self._in_place.append(data)
            return
        assert self._stream is not None
        view = memoryview(data)
        try:
            while view:  # a raw write may be short; the frame goes out whole before returning
                view = view[self._stream.write(view):]
            if self.part is None:
                self._stream.flush()
        except OSError as err:  # a full disk: the run fails, the file is discarded
            raise write_failed(self.path, err) from err

    def finish(self) -> None:
        self._closed = True
        if self._in_place is not None:
            self._in_place.close()
        if self._stream is not None:
            if self.part is not None:
                self._stream.close()
            self._stream = None

    def commit(self) -> None:
        if self.part is not None:
            self.part.commit()

    def discard(self) -> None:
        self.finish()
        if self.part is not None:
            self.part.discard()

    def close(self) -> None:
        """Finish and put the file in place."""
        if not self._closed:
            self.finish()
            self.commit()

    def __enter__(self) -> "ReportFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
