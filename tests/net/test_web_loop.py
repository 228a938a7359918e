"""WEB in the frame loop (real frames of single_face.mp4, replayed model outputs): the
panel's toggle starts the server and stops it, is saved; a browser's change goes through
the reducer as a tap does and is saved; the screen shows the URL as a QR code that
reads back; with WEB off the app never imports app/net."""
from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
from urllib.parse import urlsplit

import cv2
import pytest

from app.backends import web_remote
from app.core.persist import IniStore
from app.core.platform import Touch
from app.core.settings import Settings
from app.core.ui import Action, UiState
from tests.core.test_app_loop import ScriptedPlatform, centre_of, frames, replay_app  # noqa: F401
from conftest import DATA, ROOT


def _get(url: str, path: str, method: str = "GET", body: bytes | None = None):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request(method, f"{path}?{parts.query}", body=body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


class WebScript(ScriptedPlatform):
    """Taps from a script, and at given frames a callback (a browser's requests)."""

    def __init__(self, *args, calls=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = calls or {}
        self.app = None

    def read(self):
        frame = super().read()
        if frame is not None and self.index in self.calls:
            self.calls[self.index](self)
        return frame


def test_the_web_toggle_serves_takes_changes_and_shows_its_address(frames, tmp_path):
    image, display = (frames[0].shape[1], frames[0].shape[0]), (552, 368)
    settings = Settings(web_host="127.0.0.1", web_port=0)  # port 0: any free one
    state = UiState(settings, panel_open=True)
    web = centre_of(Action.WEB, state, image, display)
    seen: dict = {}
    posted: list = []

    def check_serving(platform):
        remote = platform.app.remote
        assert remote is not None
        seen["url"] = remote.url
        status, body = _get(remote.url, "/api/state")
        assert status == 200 and json.loads(body)["view"] == "mesh"
        assert _get(remote.url.split("?")[0], "/api/state")[0] == 401  # no token
        thread = threading.Thread(target=lambda: posted.append(
            _get(remote.url, "/api/state", "POST", b'{"view": "depth", "max_faces": 3}')))
        thread.start()
        seen["thread"] = thread

    def check_applied(platform):
        seen["thread"].join(timeout=5)
        assert posted and posted[0][0] == 200, posted
        assert json.loads(posted[0][1])["view"] == "depth"
        assert platform.app.state.settings.view == "depth"
        assert platform.app.tracker.max_faces == 3

    def check_stopped(platform):
        assert platform.app.remote is None
        with pytest.raises(OSError):
            _get(seen["url"], "/api/state")

    announced: list[str] = []
    store = IniStore(tmp_path / "config.ini")
    platform = WebScript(frames, display, {
        2: [Touch(*web, True)], 3: [Touch(*web, False)],   # WEB on
        16: [Touch(*web, True)], 17: [Touch(*web, False)],  # WEB off
    }, calls={5: check_serving, 10: check_applied, 20: check_stopped})
    app = replay_app(platform, settings, store, remote=web_remote(pytest.fail, announced.append))
    app.state = state
    platform.app = app
    app.run()
    assert app.frames == len(frames) and "thread" in seen
    assert announced == [f"serving at {seen['url']}"]
    assert urlsplit(seen["url"]).hostname == "127.0.0.1"
    saved = store.load()
    assert saved["view"] == "depth" and saved["max_faces"] == "3"
    assert saved["web.enabled"] == "false"  # on, then off again: the last tap is kept
    # While WEB was on with the panel open, the screen showed its URL as a QR code.
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.cvtColor(platform.shown[8], cv2.COLOR_RGB2BGR))
    assert text == seen["url"]
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.cvtColor(platform.shown[19], cv2.COLOR_RGB2BGR))
    assert text == ""


def test_a_port_in_use_is_a_warning_and_the_app_runs_on(frames, tmp_path):
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        port = taken.getsockname()[1]
        warnings: list[str] = []
        settings = Settings(web_enabled=True, web_host="127.0.0.1", web_port=port)
        app = replay_app(ScriptedPlatform(frames, (552, 368), {}), settings,
                         IniStore(tmp_path / "c.ini"), remote=web_remote(warnings.append, print))
        app.warn = warnings.append
        app.run()
    finally:
        taken.close()
    assert app.frames == len(frames)
    assert len(warnings) == 1 and warnings[0].startswith(f"web: cannot serve at 127.0.0.1:{port}")


def test_with_web_off_app_net_is_never_imported(tmp_path):
    """A whole PC run (models, tracker, loop, JSON lines) with WEB off in the settings."""
    code = ("import sys\nfrom app import launch\n"
            f"code = launch.run(['--source', {str(DATA / 'single_face.jpg')!r}, '--json', "
            f"{str(tmp_path / 'o.jsonl')!r}, '--settings', {str(tmp_path / 'c.ini')!r}])\n"
            "assert code == 0, code\n"
            "net = sorted(m for m in sys.modules if m.startswith('app.net') or m == 'http.server')\n"
            "print(net)\n")
    (tmp_path / "c.ini").write_text("[settings]\nweb.enabled = false\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
