"""The real window in a real X server (Xvfb), clicked by xdotool as fast as X allows:
a press and its release land between two frames, and the tap still works.

Before the window queued pygame's mouse events it sampled the mouse once a frame, and a
quick `xdotool click` on the view button did nothing. Here the app runs as the user
starts it (python main.py, a still, a window), two quick clicks on the view button go
mesh -> points -> depth (saved to the --settings file), and a click on the back button
ends the run with exit code 0. Xvfb and xdotool come with ./build.sh's set-up (CI).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from app.core.settings import Settings
from app.core.ui import Action, UiState, image_rect_to_display, layout
from conftest import DATA, ROOT

pytestmark = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("xdotool")),
    reason="needs Xvfb and xdotool: ./build.sh setup installs them as root "
           "(apt-get install xvfb xdotool)")

STILL = DATA / "astronaut.png"  # 512 x 512: the window opens at the image's size


@pytest.fixture
def x_display():
    """A fresh Xvfb on a display number it picks itself (-displayfd: no clash with
    another X server or a parallel test run)."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
                               "1024x768x24", "-nolisten", "tcp"],
                              pass_fds=(write_fd,), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def xdotool(display: str, *args: str) -> str:
    env = {**os.environ, "DISPLAY": display}
    result = subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


def button_centre(action: Action, state: UiState, window: tuple[int, int]) -> tuple[int, int]:
    """Where `action`'s button is in the window, as the app lays it out."""
    (button,) = [b for b in layout(512, 512, *window, state) if b.action == action]
    rect = image_rect_to_display(button.rect, 512, 512, *window)
    return rect.x + rect.w // 2, rect.y + rect.h // 2


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_quick_clicks_on_the_view_button_change_the_view(x_display, tmp_path):
    settings = tmp_path / "settings.ini"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SDL_")}
    env["DISPLAY"] = x_display
    app = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--source", str(STILL),
                            "--settings", str(settings), "--view", "mesh"],
                           cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        window = xdotool(x_display, "search", "--sync", "--onlyvisible", "--pid",
                         str(app.pid)).split()[0]
        geometry = dict(line.split("=") for line in
                        xdotool(x_display, "getwindowgeometry", "--shell", window).split())
        size = int(geometry["WIDTH"]), int(geometry["HEIGHT"])
        time.sleep(1.0)  # the first frames: models loaded, the loop running

        x, y = button_centre(Action.VIEW, UiState(Settings()), size)
        xdotool(x_display, "mousemove", "--window", window, str(x), str(y))
        # Two clicks, each a press and a release sent back to back (no hold time).
        xdotool(x_display, "click", "--repeat", "2", "--delay", "10", "1")
        wait_for(lambda: settings.exists() and "view = depth" in settings.read_text(), 20,
                 "the two taps to be saved")

        x, y = button_centre(Action.EXIT, UiState(Settings(view="depth")), size)
        xdotool(x_display, "mousemove", "--window", window, str(x), str(y), "click", "1")
        _, stderr = app.communicate(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
            app.communicate()
    assert app.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert settings.read_text() == "[settings]\nview = depth\n"
