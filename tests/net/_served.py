"""The real app serving a real video: `python main.py --serve 127.0.0.1:0 --source
single_face.mp4 --headless`, and small HTTP helpers (127.0.0.1 only, every read with a
timeout)."""
from __future__ import annotations

import http.client
import json
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from conftest import DATA, start_main

VIDEO = DATA / "single_face.mp4"
START_TIMEOUT_S = 90.0


@dataclass
class Served:
    proc: subprocess.Popen
    host: str
    port: int
    token: str
    settings: Path
    stderr: list[str] = field(default_factory=list)

    def conn(self, timeout: float = 10.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, token: bool = True,
                timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
        """One request; `token`: put it in the query. (status, headers, body)."""
        if token:
            path += ("&" if "?" in path else "?") + f"token={self.token}"
        conn = self.conn(timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def state(self) -> dict:
        status, _, body = self.request("GET", "/api/state")
        assert status == 200, body
        return json.loads(body)

    def frames(self) -> int:
        """Frames the app has processed so far."""
        return int(self.state()["frames"])

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def serve(tmp_path: Path, *extra: str, settings: str = "") -> Served:
    """Start the app serving VIDEO on a free port; its settings file holds `settings`
    (INI lines of the [settings] section)."""
    ini = tmp_path / "config.ini"
    ini.write_text("[settings]\n" + settings)
    proc = start_main("--serve", "127.0.0.1:0", "--source", str(VIDEO), "--headless",
                      "--settings", str(ini), *extra)
    lines: list[str] = []
    found: list[re.Match] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            match = re.fullmatch(r"serving at http://([\d.]+):(\d+)/\?token=([\w-]+)\n", line)
            if match and not found:
                found.append(match)
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(START_TIMEOUT_S) or not found:
        proc.kill()
        raise AssertionError(f"no 'serving at' line: {''.join(lines)}")
    match = found[0]
    served = Served(proc, match[1], int(match[2]), match[3], ini, lines)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the first frame processed
        if served.request("GET", "/api/state")[0] == 200:
            break
        time.sleep(0.1)
    return served


def read_stream_parts(served: Served, seconds: float) -> list[bytes]:
    """The JPEG parts of /stream.mjpg received within `seconds`."""
    sock = socket.create_connection((served.host, served.port), timeout=5)
    sock.sendall(f"GET /stream.mjpg?token={served.token} HTTP/1.0\r\n\r\n".encode())
    data = b""
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            sock.settimeout(max(0.05, end - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200"), head[:200]
    parts = []
    for part in body.split(b"--frame\r\n")[1:]:
        headers, _, rest = part.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", headers)[1])
        if len(rest) >= length:
            parts.append(rest[:length])
    return parts


def read_events(served: Served, count: int, timeout: float = 20.0) -> list[dict]:
    """The first `count` frame events of /events (state events skipped)."""
    conn = served.conn(timeout)
    try:
        conn.request("GET", f"/events?token={served.token}")
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == "text/event-stream"
        events: list[dict] = []
        kind = "message"
        deadline = time.monotonic() + timeout
        while len(events) < count and time.monotonic() < deadline:
            line = response.fp.readline().decode()
            if line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                if kind == "message":
                    events.append(json.loads(line[5:]))
                kind = "message"
        return events
    finally:
        conn.close()
