"""What the network view costs the app per frame on a PC: the process's CPU time (every
thread: loop, encoder, server) per frame, WEB off against WEB on with one viewer (a
separate process reading the stream and the events, as a browser does).

    python bench/web_cost.py [--frames 150] [--warmup 20]

The real PC models on tests/data/single_face.mp4 (decoded once, before timing), the app
loop as `--serve --headless` runs it (frames drawn only for the stream), as fast as it
goes. Rows: WEB off; on with nobody watching; one viewer at web.max_fps 10; one viewer
with every frame streamed. The device's count is bench/device_cost.sh's `-web` config.
"""
from __future__ import annotations

import argparse
import platform as host
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import backends  # noqa: E402
from app.core.persist import MemoryStore  # noqa: E402
from app.core.platform import Frame  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.core.timing import StageClock  # noqa: E402

VIDEO = ROOT / "tests" / "data" / "single_face.mp4"
VIEWER = """
import socket, sys, threading
host, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def read(path):
    s = socket.create_connection((host, port))
    s.sendall(f"GET {path}?token={token} HTTP/1.0\\r\\n\\r\\n".encode())
    while s.recv(65536):
        pass
threads = [threading.Thread(target=read, args=(p,)) for p in ("/stream.mjpg", "/events")]
[t.start() for t in threads]
[t.join() for t in threads]
"""


class Frames:
    """The headless platform of a served run, over frames decoded beforehand."""

    interactive = False
    shows_frames = False

    def __init__(self, frames, limit: int) -> None:
        self.frames, self.limit, self.index = frames, limit, 0
        self.display_size = (frames[0].shape[1], frames[0].shape[0])
        self.on_frame = None

    def read(self):
        if self.index >= self.limit:
            return None
        rgb = self.frames[self.index % len(self.frames)].copy()
        self.index += 1
        if self.on_frame is not None:
            self.on_frame(self.index)
        return Frame(rgb, rgb, self.index / 30.0)

    def show(self, frame): ...
    def touches(self): return []
    def keys(self): return []
    def exit_requested(self): return False
    def request_exit(self): ...
    def close(self): ...


def run(frames, settings: Settings, count: int, warmup: int, viewer: bool) -> tuple[float, float]:
    """(CPU ms per frame, wall ms per frame) over the frames after `warmup`."""
    clock = StageClock()
    models = backends.pc_models(settings, still=False, tracking=True, clock=clock)
    platform = Frames(frames, warmup + count)
    procs: list[subprocess.Popen] = []

    def announce(line: str) -> None:
        if viewer:
            url = urlsplit(line.split()[-1])
            token = url.query.split("=", 1)[1]
            procs.append(subprocess.Popen([sys.executable, "-c", VIEWER, str(url.hostname),
                                           str(url.port), token]))
            time.sleep(1.0)  # connected before the frames are counted

    marks: dict[str, float] = {}

    def on_frame(index: int) -> None:
        if index == warmup + 1:
            marks["cpu"], marks["wall"] = time.process_time(), time.perf_counter()

    platform.on_frame = on_frame
    app = backends.make_app(platform, models, settings, MemoryStore(), print, tracking=True,
                            clock=clock, remote=backends.web_remote(print, announce))
    app.run()
    cpu, wall = time.process_time() - marks["cpu"], time.perf_counter() - marks["wall"]
    for proc in procs:
        proc.wait(timeout=10)
    return 1000 * cpu / count, 1000 * wall / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    capture = cv2.VideoCapture(str(VIDEO))
    frames = []
    while len(frames) < 120:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    base = Settings(pc_threads=1, web_host="127.0.0.1", web_port=0)
    rows = [("WEB off", base, False),
            ("WEB on, nobody watching", base.replace(web_enabled=True), False),
            ("WEB on, 1 viewer, max_fps 10", base.replace(web_enabled=True, web_max_fps=10.0), True),
            ("WEB on, 1 viewer, every frame", base.replace(web_enabled=True, web_max_fps=1000.0), True)]
    print(f"# web cost per frame, {frames[0].shape[1]}x{frames[0].shape[0]}, {args.frames} frames "
          f"after {args.warmup}; {host.machine()}, Python {host.python_version()}, "
          f"OpenCV {cv2.__version__}, LiteRT 1 thread")
    print("| run | CPU ms/frame (all threads) | wall ms/frame |")
    print("|---|---|---|")
    for name, settings, viewer in rows:
        cpu, wall = run(frames, settings, args.frames, args.warmup, viewer)
        print(f"| {name} | {cpu:.2f} | {wall:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
