"""VMC face capture over the network: the frame's datagrams (app/core/vmc) sent by UDP.

A FrameSink. The socket is non-blocking: a datagram the kernel cannot take at once is
dropped (counted in `dropped`), never waited for, so a slow or absent network never
stalls the camera loop. UDP needs no receiver: nothing listening is not an error. A
failing send (no route to the host, the network down) is one `warning:` line per kind
of failure, and the sink goes on trying every frame, so sending resumes by itself when
the network comes back.
"""
from __future__ import annotations

import errno
import os
import socket
import time
from typing import Any, Callable, Mapping, Sequence

from ..core.face.faces import Face
from ..core.vmc import VmcEncoder, choose_face


class VmcError(Exception):
    """The receiver's address cannot be used (a name that does not resolve, a bad port)."""


def resolve(host: str, port: int) -> tuple[int, Any]:
    """`(address family, socket address)` of a UDP receiver; VmcError if none."""
    if not 1 <= port <= 65535:
        raise VmcError(f"VMC port {port} is not 1..65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError, OSError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise VmcError(f"VMC host {host!r} cannot be used: {reason}") from None
    family, _, _, _, address = infos[0]
    return family, address


class VmcSender:
    """Sends each frame's largest tracked face to a VMC receiver at `host:port`.

    bundle: one OSC bundle per frame, else one datagram per message.
    mirror: the avatar as the subject's mirror image (app/core/vmc).
    Raises VmcError if the address cannot be used.
    """

    wants_signals = True  # the head pose

    def __init__(self, host: str, port: int, *, bundle: bool = True, mirror: bool = True,
                 warn: Callable[[str], None] = lambda message: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        family, self.address = resolve(host, port)
        self.target = f"{host}:{port}"
        self.encoder = VmcEncoder(bundle=bundle, mirror=mirror)
        self.warn = warn
        self.clock = clock
        self.start = clock()
        self.sent = 0  # datagrams the kernel took
        self.dropped = 0  # datagrams dropped: its buffer was full
        self._warned: set[int] = set()
        try:
            self._sock = socket.socket(family, socket.SOCK_DGRAM)
        except OSError as err:  # e.g. an IPv6 address on a system without IPv6
            raise VmcError(f"VMC host {host!r} cannot be used: {err.strerror or err}") from None
        self._sock.setblocking(False)
        if family == socket.AF_INET:  # a broadcast address reaches every receiver on the LAN
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)

    def write(self, index: int, image_size: tuple[int, int], faces: Sequence[Face],
              stage_ms: Mapping[str, float]) -> None:
        self.send(self.encoder.encode(choose_face(faces), self.clock() - self.start))

    def send(self, datagrams: Sequence[bytes]) -> None:
        sock, address = self._sock, self.address
        for data in datagrams:
            try:
                sock.sendto(data, address)
                self.sent += 1
            except BlockingIOError:
                self.dropped += 1
            except OSError as err:
                self.dropped += 1
                code = err.errno or 0
                if code not in self._warned:
                    self._warned.add(code)
                    reason = os.strerror(code) if code else str(err)
                    if code == errno.EMSGSIZE:
                        reason += " (a frame's bundle is too large: set vmc.bundle false)"
                    self.warn(f"VMC: cannot send to {self.target}: {reason}; "
                              "frames are dropped until it can")

    def close(self) -> None:
        """Tell the receiver the face is gone (`/VMC/Ext/OK 0`), then close."""
        if self._sock.fileno() < 0:
            return
        try:
            self.send(self.encoder.encode(None, self.clock() - self.start))
        finally:
            self._sock.close()
