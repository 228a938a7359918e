"""x86 instructions the network view adds per frame with one viewer, counted by
callgrind (every thread of the process: the loop's hand-over, the JPEG encoder, the
server's threads), at the device camera's 320x224.

    bash bench/web_count.sh        (valgrind; builds the marker library like device_cost.sh)

Real frames of tests/data/single_face.mp4 at 320x224 with their real faces (the PC
models, run before counting) and the overlay already drawn (the device draws it for its
screen anyway); then, per frame, what FaceApp does with WEB on: `wants_frame` /
`publish_frame` and `publish` (app/net/web), with a viewer in a separate, uncounted
process reading `/stream.mjpg`, `/events`, `/events?points=0`, the page's two feeds
(the stream and the light events), the stream and the full events, or nothing. Each frame is followed by a
pause (no instructions) in which the server's threads do that frame's work, as they do
while the device waits for its NPU. The JPEG is OpenCV's (software) here; on a MaixCAM
the app encodes with maix `to_jpeg`, on its hardware encoder (app/device/jpeg.py), so the
stream row's encoder share is not the device's: it is given apart.
"""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MARKER_LIB = ROOT / "bench" / ".build" / "cgmark.so"
VIDEO = ROOT / "tests" / "data" / "single_face.mp4"
SIZE = (320, 224)
VIEWER = """
import socket, sys, threading
host, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def read(path):
    s = socket.create_connection((host, port))
    sep = "&" if "?" in path else "?"
    s.sendall(f"GET {path}{sep}token={token} HTTP/1.0\\r\\n\\r\\n".encode())
    while s.recv(65536):
        pass
threads = [threading.Thread(target=read, args=(p,)) for p in sys.argv[4:]]
[t.start() for t in threads]
[t.join() for t in threads]
"""


def mark(label: str) -> None:
    if MARKER_LIB.exists():
        ctypes.CDLL(str(MARKER_LIB)).cg_dump(label.encode())


def frames_with_faces(count: int):
    import cv2

    from app import backends
    from app.core.render.renderer import Renderer
    from app.core.render.view import ViewState
    from app.core.settings import Settings
    from app.core.timing import StageClock

    settings = Settings(pc_threads=1)
    clock = StageClock()
    models = backends.pc_models(settings, still=False, tracking=True, clock=clock)
    tracker = backends.make_tracker(models, settings, tracking=True, clock=clock, remote=True)
    renderer, view = Renderer(), ViewState.from_settings(settings)
    capture = cv2.VideoCapture(str(VIDEO))
    out = []
    while len(out) < count:
        ok, bgr = capture.read()
        if not ok:
            break
        rgb = cv2.cvtColor(cv2.resize(bgr, SIZE, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
        clock.new_frame()
        with clock.stage("total"):
            faces = tracker.update(rgb, len(out) / 30)
        renderer.draw(rgb, faces, view)
        out.append((rgb, faces, clock.ms()))
    capture.release()
    return out


def run(mode: str, frames) -> None:
    from app.core.settings import Settings
    from app.core.ui import UiState
    from app.net.web import WebView

    settings = Settings(web_max_fps=60.0)
    view = WebView(settings, host="127.0.0.1", port=0)
    paths = {"none": [], "stream": ["/stream.mjpg"], "events": ["/events"],
             "light": ["/events?points=0"], "page": ["/stream.mjpg", "/events?points=0"],
             "both": ["/stream.mjpg", "/events"]}[mode]
    url = urlsplit(view.url)
    viewer = subprocess.Popen([sys.executable, "-c", VIEWER, str(url.hostname), str(url.port),
                               view.token, *paths])
    deadline = time.monotonic() + 30
    feeds = sum(p.startswith("/events") for p in paths)
    while (view.streams, view.feeds) != (paths.count("/stream.mjpg"), feeds):
        assert time.monotonic() < deadline, "the viewer did not connect"
        time.sleep(0.05)
    state = UiState(settings)
    pause = float(os.environ.get("WEB_COUNT_PAUSE", "0.3"))
    mark(f"{mode}|start")
    for index, (rgb, faces, ms) in enumerate(frames):
        now = time.monotonic()
        if view.wants_frame(now):
            view.publish_frame(rgb, now)
        view.publish(index, SIZE, faces, ms, state, 20.0)
        time.sleep(pause)  # the server's threads do this frame's work meanwhile
        view._due = 0.0  # every frame is due: the count is per streamed frame
    mark(f"{mode}|frames")
    sent = view.jpeg_seq
    view.close()
    viewer.wait(timeout=30)
    print(f"{mode}: {len(frames)} frames, {sent} JPEGs encoded", file=sys.stderr)


def main() -> int:
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    frames = frames_with_faces(count)
    assert all(len(f) == 1 for _, f, _ in frames), "one face per frame expected"
    run(sys.argv[1], frames)
    return 0


if __name__ == "__main__":
    sys.exit(main())
