"""Stage boundaries shared by the two instruction counts: bench/device_loops.py
(callgrind, x86) and bench/riscv_loop.py (a QEMU plugin, RISC-V). Nothing else here:
both import it inside the counted run."""
from __future__ import annotations


class StageStack:
    """Stage boundaries over nested stages: each boundary ends a segment, which is marked
    (`_mark`, by a subclass) with the innermost stage it ran in. The top-level stage is
    "interpreter" until the first phase, then "loop" within each frame."""

    def __init__(self) -> None:
        self.stack: list[str] = ["interpreter"]
        self.frame = -1

    def _mark(self, label: str) -> None:
        raise NotImplementedError

    def enter(self, name: str) -> None:
        self._mark(self.stack[-1])
        self.stack.append(name)

    def leave(self) -> None:
        self._mark(self.stack.pop())

    def phase(self, name: str) -> None:
        """End the top-level segment; what follows counts under `name`."""
        self._mark(self.stack[0])
        self.stack[0] = name

    def next_frame(self) -> None:
        self._mark(self.stack[0])
        self.frame += 1
        self.stack[0] = "loop"
