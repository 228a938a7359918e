"""Stop requests from the terminal and the system, honoured between frames.

SIGINT (Ctrl-C), SIGTERM and SIGHUP set a flag instead of raising mid-frame, so each
frame reaches every output or none: the video and the JSON lines stay in step, and the
files are closed properly (a playable video, whole lines) before the process exits.
"""
from __future__ import annotations

import signal
import threading
from typing import Any

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, name))


class StopRequest:
    """`with StopRequest() as stop:` ... `stop.requested` is True once a stop signal came.

    Handlers are installed only in the main thread (Python delivers signals there) and
    the previous ones are put back on exit.
    """

    def __init__(self) -> None:
        self.requested = False
        self.signal: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "StopRequest":
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._request)
        return self

    def _request(self, signum: int, frame: Any) -> None:
        self.requested = True
        self.signal = signum

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}
