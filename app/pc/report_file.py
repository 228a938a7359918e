"""Face reports on a PC: the byte stream the device's UART would send, into a file.

Each processed frame's frames (CMD_FACES, and CMD_LANDMARKS when due) are encoded exactly
as maix.comm.CommProtocol.report sends them and appended with one unbuffered write, so
an interrupted run leaves whole frames only. Read it with `tools/face_report.py FILE`.
"""
from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Sequence

import numpy as np

from ..core.report import FaceReport, FaceReporter, encode_report


class ReportFile:
    """`ReportSink` on a PC: a file of Maix protocol frames, one write per frame."""

    def __init__(self, path: str | Path, reporter: FaceReporter | None = None) -> None:
        self.path = Path(path)
        self.reporter = reporter if reporter is not None else FaceReporter()
        self._stream: BinaryIO | None = self.path.open("wb", buffering=0)  # OSError: caller

    def send_frame(self, faces: Sequence[FaceReport], image_size: tuple[int, int],
                   landmarks: Sequence[np.ndarray] | None = None) -> None:
        if self._stream is None:
            raise ValueError(f"{self.path} is closed")
        data = b"".join(encode_report(cmd, body)
                        for cmd, body in self.reporter.frame(faces, image_size, landmarks))
        view = memoryview(data)
        while view:  # a raw write may be short; the frame goes out whole before returning
            view = view[self._stream.write(view):]

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def __enter__(self) -> "ReportFile":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
