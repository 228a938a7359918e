"""Face reports to a microcontroller over maix.comm.CommProtocol, as MaixPy apps do.

CommProtocol opens the UART the system settings choose (Settings > Communication; on
MaixCAM uart0 = pins A16 TX / A17 RX, 115200 baud) and frames each body itself (header,
length, flags, CRC: MaixCDK computes it in C, no per-byte Python on the device). What
to send and how to answer requests is `FaceReporter`'s business; this adapter only moves
bytes. When the system's comm method is "none", or there is no UART (MaixPy on a PC logs
"comm protocol disabled" and `valid()` is False), the app runs without reporting and
says so once.
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

from maix import comm, err

if TYPE_CHECKING:
    import numpy as np

    from ..core.report import FaceReport, FaceReporter, Response

BUFF_SIZE = 1024              # CommProtocol's receive buffer, as the MaixPy examples
MAX_REQUESTS_PER_FRAME = 8    # a flood of requests must not stall the camera loop


class CommPort(Protocol):
    """The part of maix.comm.CommProtocol this adapter uses (tests pass a fake)."""

    def get_msg(self, timeout: int = 0) -> Any: ...

    def report(self, cmd: int, body: bytes) -> Any: ...

    def resp_ok(self, cmd: int, body: bytes) -> Any: ...

    def resp_err(self, cmd: int, code: err.Err, msg: str) -> Any: ...


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def open_comm(log: Callable[[str], None] = _stderr) -> comm.CommProtocol | None:
    """The system's CommProtocol, or None (said once through `log`) when reporting
    cannot run: comm method "none", no UART, or the port does not open."""
    try:
        method = comm.CommProtocol.get_method()
        if method == "none":
            log("face reports off: the system's communication method is \"none\" "
                "(Settings > Communication)")
            return None
        port = comm.CommProtocol(buff_size=BUFF_SIZE)
    except Exception as error:  # maix raises RuntimeError("get comm ... obj failed", ...)
        log(f"face reports off: cannot open the communication port ({error})")
        return None
    if not port.valid():
        log("face reports off: no UART for the communication protocol "
            "(comm protocol disabled)")
        return None
    where = " ".join(comm.CommProtocol.get_uart_port()) or method
    log(f"face reports on {where} (Maix communication protocol)")
    return port


class MaixCommReporter:
    """`ReportSink` on the device: each frame, report what the `FaceReporter` says, then
    answer the waiting requests (get_msg; system commands maix already answered are
    skipped). Disabled (a no-op) when `port` is None."""

    def __init__(self, reporter: "FaceReporter | None" = None,
                 port: CommPort | None = None,
                 log: Callable[[str], None] = _stderr) -> None:
        if reporter is None:
            from ..core.report import FaceReporter
            reporter = FaceReporter()
        self.reporter = reporter
        self.log = log
        self.port = port
        self.failures = 0

    @classmethod
    def open(cls, reporter: "FaceReporter | None" = None,
             log: Callable[[str], None] = _stderr) -> "MaixCommReporter":
        """On the system's comm port; disabled (said once) when there is none."""
        return cls(reporter, open_comm(log), log)

    @property
    def enabled(self) -> bool:
        return self.port is not None

    def send_frame(self, faces: "Sequence[FaceReport]", image_size: tuple[int, int],
                   landmarks: "Sequence[np.ndarray] | None" = None) -> None:
        """Report one processed frame, then answer requests (a get-faces request then
        sees this frame)."""
        if self.port is None:
            return
        for cmd, body in self.reporter.frame(faces, image_size, landmarks):
            self._check(self.port.report(cmd, body), f"report 0x{cmd:02X}")
        self.serve()

    def serve(self) -> None:
        """Answer the requests waiting in the UART buffer (at most a few per call)."""
        if self.port is None:
            return
        for _ in range(MAX_REQUESTS_PER_FRAME):
            msg = self.port.get_msg()
            if msg is None:
                return
            if not msg.is_req or msg.has_been_replied:
                continue  # a response from the other side, or a system command maix handled
            self._answer(self.reporter.request(msg.cmd, bytes(msg.get_body())))

    def _answer(self, response: "Response") -> None:
        if self.port is None:
            return
        if response.ok:
            result = self.port.resp_ok(response.cmd, response.body)
        else:
            result = self.port.resp_err(response.cmd, err.Err(response.error), response.message)
        self._check(result, f"answer 0x{response.cmd:02X}")

    def _check(self, result: Any, what: str) -> None:
        if result == err.Err.ERR_NONE:
            return
        self.failures += 1
        if self.failures == 1:  # once: a broken link must not flood the log every frame
            self.log(f"face reports: {what} failed ({result}); further failures are counted "
                     "silently")

    def close(self) -> None:
        self.port = None  # CommProtocol closes its UART when released
