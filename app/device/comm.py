"""Face reports to a microcontroller over maix.comm.CommProtocol, as MaixPy apps do.

CommProtocol opens the UART the system settings choose (Settings > Communication; on
MaixCAM uart0 = pins A16 TX / A17 RX, 115200 baud) and frames each body itself (header,
length, flags, CRC: MaixCDK computes it in C, no per-byte Python on the device). What
to send and how to answer requests is `FaceReporter`'s business; this adapter only moves
bytes. When the system's comm method is "none", or there is no UART (MaixPy on a PC logs
"comm protocol disabled" and `valid()` is False), the app runs without reporting and
says so once.

How requests reach the app (MaixCDK components/comm/src/maix_comm_protocol.cpp and
components/basic/src/maix_protocol.cpp, read at d9741a2): `get_msg` reads the UART into
a `Protocol` buffer and decodes one frame; `execute_cmd` answers the system commands
itself (CMD_APP_LIST, CMD_START_APP, CMD_EXIT_APP, CMD_CUR_APP_INFO, CMD_APP_INFO:
`has_been_replied` set) and hands everything else to the app unanswered, CMD_SET_REPORT
included (maix does not act on it). The body's length is the frame's length field minus
4, unchecked: a request whose length field is under 4 and whose CRC happens to match (a
hostile sender can make it) gives a negative body length, `MSG.set_body` throws
(`new uint8_t[-1]`), and the frame stays at the head of maix's buffer, so that every
later `get_msg` throws again and the buffer fills: no request would be read again. So
this adapter checks what maix hands over (the body must be `body_len` bytes: anything
else is answered ERR_ARGS and changes nothing) and, when `get_msg` throws, says so once
and opens the port again, which empties maix's buffer. (tests/c/test_maixcdk_requests.py
runs MaixCDK's decoder on such bytes; a short body, e.g. CMD_SET_REPORT `03 01 00`,
arrives as it is and the core answers ERR_ARGS.)
"""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

from maix import comm, err

if TYPE_CHECKING:
    import numpy as np

    from ..core.report import Blendshapes, FaceReport, FaceReporter, Response

BUFF_SIZE = 1024              # CommProtocol's receive buffer, as the MaixPy examples
MAX_REQUESTS_PER_FRAME = 8    # a flood of requests must not stall the camera loop
ERR_ARGS = 1                  # maix.err.Err.ERR_ARGS (as app.core.report.ERR_ARGS)


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


def request_body(msg: Any) -> bytes | None:
    """The body of request `msg` as maix decoded it, or None when it is not a whole body:
    `body_len` (the frame's length field - 4, unchecked by maix) negative or not the
    length of what `get_body()` gives."""
    try:
        declared = int(msg.body_len)
        body = bytes(msg.get_body())
    except Exception:  # a body maix cannot hand over
        return None
    return body if declared == len(body) else None


class MaixCommReporter:
    """`ReportSink` on the device: each frame, report what the `FaceReporter` says, then
    answer the waiting requests (get_msg; system commands maix already answered are
    skipped). Disabled (a no-op) when `port` is None. `reopen` gives a fresh port when
    maix's own decoder is stuck (see the module's doc); without one, or when it gives
    none, reporting stops there (said once)."""

    def __init__(self, reporter: "FaceReporter | None" = None,
                 port: CommPort | None = None,
                 log: Callable[[str], None] = _stderr,
                 reopen: "Callable[[], CommPort | None] | None" = None) -> None:
        if reporter is None:
            from ..core.report import FaceReporter
            reporter = FaceReporter()
        self.reporter = reporter
        self.log = log
        self.port = port
        self.reopen = reopen
        self.failures = 0
        self.decode_failures = 0

    @classmethod
    def open(cls, reporter: "FaceReporter | None" = None,
             log: Callable[[str], None] = _stderr) -> "MaixCommReporter":
        """On the system's comm port; disabled (said once) when there is none."""
        return cls(reporter, open_comm(log), log, reopen=lambda: open_comm(lambda _: None))

    @property
    def enabled(self) -> bool:
        return self.port is not None

    def send_frame(self, faces: "Sequence[FaceReport]", image_size: tuple[int, int],
                   landmarks: "Sequence[np.ndarray] | None" = None,
                   blendshapes: "Blendshapes | None" = None) -> None:
        """Report one processed frame, then answer requests (a get-faces request then
        sees this frame)."""
        if self.port is None:
            return
        for cmd, body in self.reporter.frame(faces, image_size, landmarks, blendshapes):
            self._check(self.port.report(cmd, body), f"report 0x{cmd:02X}")
        self.serve()

    def serve(self) -> None:
        """Answer the requests waiting in the UART buffer (at most a few per call)."""
        if self.port is None:
            return
        for _ in range(MAX_REQUESTS_PER_FRAME):
            try:
                msg = self.port.get_msg()
            except Exception as error:  # maix's decoder threw: its buffer is stuck
                self._decoder_failed(error)
                return
            if msg is None:
                return
            if not msg.is_req or msg.has_been_replied:
                continue  # a response from the other side, or a system command maix handled
            body = request_body(msg)
            if body is None:
                from ..core.report import Response
                self._answer(Response(int(msg.cmd), error=ERR_ARGS,
                                      message="malformed request: the frame's length does "
                                              "not match its body"))
                continue
            self._answer(self.reporter.request(msg.cmd, body))

    def _decoder_failed(self, error: Exception) -> None:
        """maix's get_msg threw (a frame it cannot decode stays in its buffer): open the
        port again, which empties that buffer; said once, then counted."""
        self.decode_failures += 1
        if self.decode_failures == 1:
            self.log(f"warning: face reports: a malformed request stopped maix's decoder "
                     f"({type(error).__name__}: {error}); the port is opened again")
        self.port = None  # released first: the UART must close before it opens again
        self.port = self.reopen() if self.reopen is not None else None
        if self.port is None:
            self.log("warning: face reports off: the port did not open again")

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
