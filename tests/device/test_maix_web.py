"""The network view on the real MaixPy: the stream's JPEGs from maix's encoder (the
MaixCAM's hardware encoder on the device; OpenCV inside MaixPy's PC build here), and
`--backend maix-pc --serve` end to end: maix frames streamed, events with the faces, a
POST that changes the view."""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import urllib.request

import cv2
import numpy as np
import pytest

from tests.device._frames import DATA, NEEDS_MAIX, ROOT, load_frame

pytest.importorskip("maix.image", reason=NEEDS_MAIX)

from app.device.jpeg import maix_jpeg  # noqa: E402


@pytest.mark.parametrize("name", ["single_face.jpg", "single_face.mp4#35"])
def test_maix_jpeg_encodes_the_frame(name):
    rgb = load_frame(name)
    data = maix_jpeg()(rgb)
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    decoded = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR),
                           cv2.COLOR_BGR2RGB)
    assert decoded.shape == rgb.shape
    assert cv2.PSNR(decoded, rgb) > 28  # the picture, not noise (and not BGR for RGB)


def test_maix_pc_serves_stream_events_and_takes_changes(tmp_path):
    settings = tmp_path / "config.ini"
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--backend", "maix-pc",
                             "--source", str(DATA / "single_face.mp4"), "--serve", "127.0.0.1:0",
                             "--settings", str(settings)], cwd=ROOT, stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("serving at "):
                found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert found.wait(90), "".join(lines)
        url = next(line for line in lines if line.startswith("serving at ")).split()[-1]
        base, token = re.fullmatch(r"(http://127\.0\.0\.1:\d+)/\?token=([\w-]+)", url).groups()
        with urllib.request.urlopen(f"{base}/stream.mjpg?token={token}", timeout=20) as stream:
            head = stream.read(4096)
            while head.count(b"\xff\xd9") < 2:
                head += stream.read(4096)
        part = head.split(b"\r\n\r\n", 1)[1]
        jpeg = part[:part.index(b"\xff\xd9") + 2]
        assert cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR) is not None
        with urllib.request.urlopen(f"{base}/events?token={token}", timeout=20) as events:
            event = None
            while event is None:
                line = events.readline().decode()
                if line.startswith("data: ") and '"frame"' in line:
                    event = json.loads(line[6:])
        assert list(event) == ["frame", "faces", "ms"] and len(event["faces"]) == 1
        request = urllib.request.Request(f"{base}/api/state", data=b'{"view": "depth"}',
                                         headers={"X-Token": token}, method="POST")
        with urllib.request.urlopen(request, timeout=20) as answer:
            assert json.loads(answer.read())["view"] == "depth"
        assert "view = depth" in settings.read_text()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert not any("Traceback" in line for line in lines), "".join(lines)
