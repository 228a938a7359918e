"""Per-frame stage timing: `with clock.stage("detect"): ...`, read as milliseconds."""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator


class StageClock:
    """Accumulates wall time per named stage for the current frame."""

    def __init__(self) -> None:
        self._ms: dict[str, float] = {}

    def new_frame(self) -> None:
        self._ms = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, (time.perf_counter() - start) * 1000.0)

    def add(self, name: str, ms: float) -> None:
        self._ms[name] = self._ms.get(name, 0.0) + ms

    def ms(self) -> dict[str, float]:
        """This frame's stage times so far, in milliseconds."""
        return dict(self._ms)
