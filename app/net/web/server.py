"""The network view: one HTTP server (standard library, a thread per connection) that
serves the page, an MJPEG stream of the drawn frames, Server-Sent Events of each frame's
results, the UI state (GET) and changes to it (POST), and snapshots.

The camera loop never waits for a client. It hands over (FaceApp, app/core/app_loop.py):
- a drawn frame only while someone watches the stream or asks for a snapshot, and at most
  web.max_fps a second: a copy into a one-slot hand-over (the newest wins), which one
  encoder thread turns into JPEG; each stream client sends the newest JPEG when it is
  ready for one, so a slow client skips frames and slows nobody else;
- each frame's results and the UI state, as references (never serialised in the loop;
  serialised once per frame for all event feeds, `/events?points=0` without the 478
  points per face, what the page asks for);
- it takes the changes clients POSTed, validated already, from a queue, and applies them
  with the touch UI's reducer.

Security: a random token per start (secrets), required on every request (`?token=` or
an `X-Token` / `Authorization: Bearer` header; 401 and nothing else without it); at most
web.max_clients streams and as many event feeds, a bounded number of connections, a
deadline for a request's head (slowloris), a bounded body, a fixed set of paths (the
page's files are a fixed table in this folder: no path from a request reaches the file
system), every other method 405.
"""
from __future__ import annotations

import hmac
import json
import secrets
import socket
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import parse_qs, urlsplit

import numpy as np

from ...core.face.faces import Face
from ...core.records import frame_json, frame_record
from ...core.settings import Settings
from ...core.ui import Change, Event, UiState, remote_change, smoothing_level

STATIC = Path(__file__).resolve().parent / "static"
# The paths served: the page (its script and style sheet inlined, so that the page is one
# request and carries its token itself) and the API.
PATHS = ("/", "/stream.mjpg", "/events", "/api/state", "/snapshot.jpg", "/snapshot.json")
MAX_BODY = 4096  # bytes of a POST body
HEAD_DEADLINE_S = 5.0  # a request's line and headers must arrive within this (slowloris)
IO_TIMEOUT_S = 10.0  # a client that takes nothing for this long is dropped
APPLY_WAIT_S = 2.0  # a POST waits this long for the loop to apply its change
SNAPSHOT_WAIT_S = 3.0
EVENTS_KEPT = 32  # frames an event feed may fall behind before it skips ahead (their faces kept)
BOUNDARY = "frame"

# Encodes an (H, W, 3) uint8 RGB frame as JPEG bytes.
JpegEncoder = Callable[[np.ndarray], bytes]


def cv2_jpeg(quality: int = 80) -> JpegEncoder:
    import cv2

    params = [int(cv2.IMWRITE_JPEG_QUALITY), quality]

    def encode(rgb: np.ndarray) -> bytes:
        ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
        if not ok:
            raise ValueError("JPEG encoding failed")
        return data.tobytes()

    return encode


def lan_address() -> str:
    """This machine's address on its default route (what a phone on the same Wi-Fi
    dials); 127.0.0.1 without a network. No packet is sent (a UDP connect only)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.254.254.254", 1))
        return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


def page() -> bytes:
    """index.html with app.css and app.js put in (files of this folder, by fixed names:
    nothing a request says reaches the file system)."""
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    css = (STATIC / "app.css").read_text(encoding="utf-8")
    js = (STATIC / "app.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    html = html.replace('<link rel="stylesheet" href="app.css">', f"<style>\n{css}</style>")
    html = html.replace('<script src="app.js"></script>', f"<script>\n{js}</script>")
    return html.encode("utf-8")


def state_json(state: UiState, fps: float, frames: int) -> dict[str, Any]:
    """The UI state and every setting: {"view", "points_subset", "max_faces", ...,
    "settings": {dotted key: value}}."""
    s = state.settings
    return {"view": s.view, "points_subset": s.points_subset, "max_faces": s.max_faces,
            "show_hud": s.show_hud, "show_box": s.show_box, "show_signals": s.show_signals,
            "smoothing": s.smoothing, "smoothing_level": smoothing_level(s.smoothing),
            "panel_open": state.panel_open, "locale": state.locale,
            "fps": round(fps, 2), "frames": frames, "settings": s.to_flat()}


class _Results:
    """One processed frame's results, serialised at most once, by whoever asks first."""

    __slots__ = ("seq", "index", "faces", "ms", "_json", "_lock")

    def __init__(self, seq: int, index: int, faces: Sequence[Face],
                 ms: Mapping[str, float]) -> None:
        self.seq, self.index, self.faces, self.ms = seq, index, faces, dict(ms)
        self._json: dict[bool, str] = {}
        self._lock = threading.Lock()

    def json(self, points: bool = True) -> str:
        """The JSON lines' object; `points=False`: without the faces' points."""
        with self._lock:
            text = self._json.get(points)
            if text is None:
                text = frame_json(frame_record(self.index, self.faces, self.ms, points=points))
                self._json[points] = text
            return text


class WebView:
    """The network view of one run (app/core/app_loop.Remote). `start_web_view` makes
    one; `close()` stops the server and drops every client."""

    def __init__(self, settings: Settings, *, host: str, port: int,
                 encode: JpegEncoder | None = None, token: str | None = None) -> None:
        self.token = token or secrets.token_urlsafe(16)
        self.max_clients = settings.web_max_clients
        self.max_connections = 2 * settings.web_max_clients + 6
        self.interval = 1.0 / settings.web_max_fps
        self.encode = encode or cv2_jpeg()
        self.closing = False
        self.cond = threading.Condition()
        # frames: loop -> encoder -> stream clients
        self._raw: np.ndarray | None = None
        self.jpeg: bytes | None = None
        self.jpeg_seq = 0
        self.streams = 0
        self.snapshot_waiters = 0
        self._due = 0.0
        # results and state: loop -> event feeds, snapshot.json, api/state
        self.results: deque[_Results] = deque(maxlen=EVENTS_KEPT)
        self.results_seq = 0
        self.feeds = 0
        self.state: UiState | None = None
        self.state_seq = 0
        self.fps = 0.0
        self.frames = 0
        # changes: clients -> loop
        self._changes: deque[tuple[Change, threading.Event]] = deque()
        self._taken: list[threading.Event] = []
        self.server = _Server((host, port), self)
        bound_host, bound_port = self.server.server_address[:2]
        self.host, self.port = str(bound_host), int(bound_port)
        shown = lan_address() if self.host in ("0.0.0.0", "::") else self.host
        shown = f"[{shown}]" if ":" in shown else shown
        self.url = f"http://{shown}:{self.port}/?token={self.token}"
        self._threads = [threading.Thread(target=self.server.serve_forever,
                                          kwargs={"poll_interval": 0.2},
                                          name="web-server", daemon=True),
                         threading.Thread(target=self._encoder, name="web-jpeg", daemon=True),
                         threading.Thread(target=self.server.reap, name="web-reaper",
                                          daemon=True)]
        for thread in self._threads:
            thread.start()

    # -- the loop's side (app_loop.Remote): never blocks ----------------------------------

    def changes(self) -> Sequence[Event]:
        if not self._changes:
            return ()
        events: list[Event] = []
        while self._changes:
            change, done = self._changes.popleft()
            events.append(change)
            self._taken.append(done)
        return events

    def wants_frame(self, now: float) -> bool:
        return (self.streams > 0 or self.snapshot_waiters > 0) and now >= self._due

    def publish_frame(self, rgb: Any, now: float) -> None:
        # On time: the next one an interval after this one was due (the rate holds on
        # average); late by more than an interval: an interval from now.
        late = now - self._due
        self._due = self._due + self.interval if 0 <= late < self.interval else now + self.interval
        copy = np.array(rgb, copy=True)
        with self.cond:
            self._raw = copy  # the newest wins: an older one not yet encoded is dropped
            self.cond.notify_all()

    def publish(self, index: int, image_size: tuple[int, int], faces: Sequence[Face],
                stage_ms: Mapping[str, float], state: UiState, fps: float) -> None:
        self.fps, self.frames = fps, index + 1
        if state is not self.state:
            self.state = state
            self.state_seq += 1
        results = _Results(self.results_seq + 1, index, faces, stage_ms)
        with self.cond:  # held for an append: the server's threads copy the deque under it
            self.results.append(results)
            self.results_seq = results.seq
            if self.feeds:
                self.cond.notify_all()
        if self._taken:
            for done in self._taken:
                done.set()
            self._taken = []

    def close(self) -> None:
        self.closing = True
        with self.cond:
            self.cond.notify_all()
        self.server.shutdown()
        self.server.close_all()
        self.server.server_close()

    # -- the server's side -----------------------------------------------------------------

    def _encoder(self) -> None:
        while not self.closing:
            with self.cond:
                while self._raw is None and not self.closing:
                    self.cond.wait(0.5)
                raw, self._raw = self._raw, None
            if raw is None:
                continue
            try:
                data = self.encode(raw)
            except Exception as err:  # a bad frame: said, and the next one is tried
                print(f"warning: web: cannot encode a frame: {err}", file=sys.stderr)
                continue
            with self.cond:
                self.jpeg, self.jpeg_seq = data, self.jpeg_seq + 1
                self.cond.notify_all()

    def next_jpeg(self, after: int, timeout: float) -> tuple[int, bytes | None]:
        """The newest JPEG newer than `after` (waiting up to `timeout`): (seq, bytes)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.jpeg_seq <= after and not self.closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    return after, None
                self.cond.wait(min(left, 0.5))
            return self.jpeg_seq, self.jpeg if self.jpeg_seq > after else None

    def next_results(self, after: int, timeout: float) -> list[_Results]:
        """The frames' results newer than seq `after` (waiting up to `timeout`)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.results_seq <= after and not self.closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                self.cond.wait(min(left, 0.5))
            return [r for r in self.results if r.seq > after]

    def latest(self) -> _Results | None:
        with self.cond:
            return self.results[-1] if self.results else None

    def queue_change(self, change: Change) -> threading.Event:
        done = threading.Event()
        self._changes.append((change, done))
        return done

    def state_body(self) -> dict[str, Any] | None:
        state = self.state
        return None if state is None else state_json(state, self.fps, self.frames)

    def token_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer with a bound on open connections (over it: a 503 from the
    accepting thread, at once) and a deadline for each request's head."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 16

    def __init__(self, address: tuple[str, int], view: WebView) -> None:
        self.view = view
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.lock = threading.Lock()
        self.open: dict[socket.socket, float] = {}  # connection -> head deadline (0: done)
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.lock:
            full = len(self.open) >= self.view.max_connections
            if not full:
                self.open[request] = time.monotonic() + HEAD_DEADLINE_S
        if full:
            try:
                request.settimeout(0.2)
                request.sendall(b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain"
                                b"\r\nContent-Length: 17\r\nConnection: close\r\n\r\n"
                                b"too many clients\n")
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A request that failed unexpectedly: one line, never a traceback."""
        error = sys.exc_info()[1]
        print(f"warning: web: a request failed: {type(error).__name__}: {error}",
              file=sys.stderr)

    def shutdown_request(self, request: Any) -> None:
        with self.lock:
            self.open.pop(request, None)
        super().shutdown_request(request)

    def head_done(self, request: Any) -> None:
        with self.lock:
            if request in self.open:
                self.open[request] = 0.0

    def reap(self) -> None:
        """Drop connections whose request head is late (slowloris), every 0.25 s."""
        while not self.view.closing:
            now = time.monotonic()
            with self.lock:
                late = [c for c, deadline in self.open.items() if 0.0 < deadline < now]
            for conn in late:
                _hang_up(conn)
            time.sleep(0.25)

    def close_all(self) -> None:
        with self.lock:
            conns = list(self.open)
        for conn in conns:
            _hang_up(conn)


def _hang_up(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: no idle keep-alives
    timeout = IO_TIMEOUT_S
    server_version = "FaceLandmarks"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a client's requests are not the app's messages

    # The standard library's, with every method dispatched here (its own answers a
    # method it has no do_X for with 501; here that is a 405 after the token check).
    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.requestline, self.request_version, self.command = "", "", ""
                self._plain(414, "request line too long")
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():
                return
            self.server.head_done(self.connection)
            self._route()
            self.wfile.flush()
        except (OSError, ValueError):  # a timeout, a reset, a client that went away
            self.close_connection = True

    def _route(self) -> None:
        view = self.server.view
        url = urlsplit(self.path)
        try:
            query = parse_qs(url.query, max_num_fields=8)
        except ValueError:  # more fields than any page asks with: no token read from it
            query = {}
        given = query.get("token", [None])[-1] or self.headers.get("X-Token")
        bearer = self.headers.get("Authorization", "")
        if given is None and bearer.startswith("Bearer "):
            given = bearer[7:].strip()
        if not view.token_ok(given):
            self._plain(401, "token required")
            return
        path = url.path
        if path not in PATHS:
            self._plain(404, "no such path")
            return
        method = self.command
        allowed = ("GET", "HEAD", "POST") if path == "/api/state" else ("GET", "HEAD")
        if method not in allowed:
            self._plain(405, f"method {method[:16]} not allowed", {"Allow": ", ".join(allowed)})
            return
        if self.headers.get("Transfer-Encoding"):
            self._plain(411, "a body needs a Content-Length")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._plain(400, "bad Content-Length")
            return
        if length < 0 or length > MAX_BODY:
            self._plain(413, f"body over {MAX_BODY} bytes")
            return
        if method == "POST":
            self._post_state(self.rfile.read(length) if length else b"")
        elif path == "/":
            self._send(200, page(), "text/html; charset=utf-8")
        elif path == "/api/state":
            body = view.state_body()
            if body is None:
                self._plain(503, "no frame yet")
            else:
                self._json(200, body)
        elif path == "/snapshot.json":
            latest = view.latest()
            if latest is None:
                self._plain(503, "no frame yet")
            else:
                self._send(200, latest.json().encode(), "application/json")
        elif path == "/snapshot.jpg":
            self._snapshot()
        elif path == "/stream.mjpg":
            self._stream()
        else:
            self._events(points=query.get("points", ["1"])[-1] != "0")

    # -- answers -------------------------------------------------------------------------

    def _send(self, code: int, body: bytes, ctype: str,
              headers: Mapping[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self._common_headers(headers)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _common_headers(self, headers: Mapping[str, str] | None = None) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")  # the token is in the URL
        self.send_header("Connection", "close")
        for key, value in (headers or {}).items():
            self.send_header(key, value)

    def _plain(self, code: int, text: str, headers: Mapping[str, str] | None = None) -> None:
        self.close_connection = True
        self._send(code, (text + "\n").encode(), "text/plain; charset=utf-8", headers)

    def _json(self, code: int, body: Any) -> None:
        self._send(code, json.dumps(body, separators=(",", ":")).encode(), "application/json")

    def _post_state(self, raw: bytes) -> None:
        view = self.server.view
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self._plain(400, "the body is not JSON")
            return
        try:
            change = remote_change(body)
        except ValueError as err:
            self._plain(400, str(err))
            return
        done = view.queue_change(change)
        if not done.wait(APPLY_WAIT_S):
            self._plain(503, "the app did not take the change in time (no frames?)")
            return
        body = view.state_body()
        self._json(200, body)

    def _snapshot(self) -> None:
        view = self.server.view
        with view.cond:
            view.snapshot_waiters += 1
            after = view.jpeg_seq
        try:
            _, data = view.next_jpeg(after, SNAPSHOT_WAIT_S)
        finally:
            with view.cond:
                view.snapshot_waiters -= 1
        if data is None:
            self._plain(503, "no frame in time")
            return
        self._send(200, data, "image/jpeg")

    def _open_feed(self, kind: str) -> bool:
        """Count a stream or event feed in; False (and a 503) over web.max_clients."""
        view = self.server.view
        with view.cond:
            count = view.streams if kind == "streams" else view.feeds
            if count >= view.max_clients:
                full = True
            else:
                full = False
                setattr(view, kind, count + 1)
        if full:
            self._plain(503, f"at most {view.max_clients} viewers at once")
        return not full

    def _close_feed(self, kind: str) -> None:
        view = self.server.view
        with view.cond:
            setattr(view, kind, getattr(view, kind) - 1)

    def _stream(self) -> None:
        view = self.server.view
        if not self._open_feed("streams"):
            return
        try:
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self._common_headers()
            self.end_headers()
            if self.command == "HEAD":
                return
            seq = 0
            while not view.closing:
                seq, data = view.next_jpeg(seq, 1.0)
                if data is None:
                    continue
                self.wfile.write(b"--" + BOUNDARY.encode() + b"\r\nContent-Type: image/jpeg"
                                 b"\r\nContent-Length: " + str(len(data)).encode() +
                                 b"\r\n\r\n" + data + b"\r\n")
        finally:
            self._close_feed("streams")

    def _events(self, points: bool) -> None:
        view = self.server.view
        if not self._open_feed("feeds"):
            return
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self._common_headers()
            self.end_headers()
            if self.command == "HEAD":
                return
            seq = view.results_seq
            state_seq = -1
            last_write = time.monotonic()
            while not view.closing:
                out = []
                if view.state_seq != state_seq and view.state is not None:
                    state_seq = view.state_seq
                    out.append("event: state\ndata: " + json.dumps(
                        view.state_body(), separators=(",", ":")) + "\n\n")
                for results in view.next_results(seq, 1.0):
                    seq = results.seq
                    out.append("data: " + results.json(points) + "\n\n")
                now = time.monotonic()
                if not out and now - last_write > 5.0:
                    out.append(": keep-alive\n\n")  # finds a client that went away
                if out:
                    self.wfile.write("".join(out).encode())
                    last_write = now
        finally:
            self._close_feed("feeds")


def start_web_view(settings: Settings, warn: Callable[[str], None],
                   encode: JpegEncoder | None = None) -> WebView | None:
    """The network view on web.host:web.port, or None (and a warning) if the address
    cannot be bound (in use, not this machine's)."""
    try:
        return WebView(settings, host=settings.web_host, port=settings.web_port, encode=encode)
    except OSError as err:
        warn(f"web: cannot serve at {settings.web_host}:{settings.web_port}: "
             f"{err.strerror or err}")
        return None
