"""The page in a real browser: Debian's chromium, headless, driven by selenium through
Debian's chromedriver. It loads the page from the real app serving a real video, sees
the image update and the signals change, and a click on a control changes the view: in
the JSON state and in the stream's pixels (the depth view fills the face with its
colour map: the face box's mean saturation about doubles)."""
from __future__ import annotations

import base64
import json
import os
import shutil
import time

import cv2
import numpy as np
import pytest

from _served import Served, serve

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")

if CHROMIUM is None or DRIVER is None:
    pytest.skip("chromium and chromium-driver are missing: apt-get install chromium "
                "chromium-driver (./build.sh test does as root)", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Served:
    app = serve(tmp_path_factory.mktemp("browser"), settings="web.max_fps = 10\n")
    yield app
    assert app.stop() == 130, "".join(app.stderr)


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--lang=en-US"):
        options.add_argument(arg)
    if os.getuid() == 0:
        options.add_argument("--no-zygote")
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(15)
    yield driver
    driver.quit()


# The live image as the browser shows it, read back through a canvas: PNG bytes.
GRAB = """
const img = document.getElementById('live');
if (!img.naturalWidth) return null;
const c = document.createElement('canvas');
c.width = img.naturalWidth; c.height = img.naturalHeight;
c.getContext('2d').drawImage(img, 0, 0);
return c.toDataURL('image/png').split(',')[1];
"""


def _grab(driver) -> np.ndarray | None:
    data = driver.execute_script(GRAB)
    if data is None:
        return None
    return cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), cv2.IMREAD_COLOR)


def _face_saturation(image: np.ndarray, box: list[float]) -> float:
    x, y, w, h = (int(v) for v in box)
    roi = image[max(y, 0):y + h, max(x, 0):x + w]
    return float(cv2.cvtColor(roi, cv2.COLOR_BGR2HSV)[..., 1].mean())


def _wait(driver, what, timeout: float = 20.0):
    """`what()` once it is not None or False (an array counts as found)."""
    found: list = []

    def check(_) -> bool:
        value = what()
        if value is None or value is False:
            return False
        found.append(value)
        return True

    WebDriverWait(driver, timeout, poll_frequency=0.1).until(check)
    return found[-1]


def test_the_page_shows_the_live_image_and_signals_and_its_controls_work(served, browser):
    served.request("POST", "/api/state", b'{"view": "mesh"}')
    browser.get(f"http://{served.host}:{served.port}/?token={served.token}")
    assert browser.title == "Face Landmarks+"
    # The image updates.
    first = _wait(browser, lambda: _grab(browser))
    _wait(browser, lambda: (lambda g: g is not None and g.shape == first.shape
                            and np.abs(g.astype(int) - first).mean() > 0.5)(_grab(browser)))
    # The signals arrive and change.
    pose = _wait(browser, lambda: browser.execute_script(
        "const e = document.querySelector('#faces .pose'); return e && e.textContent"))
    assert len(pose.split(",")) == 3
    _wait(browser, lambda: browser.execute_script(
        "const e = document.querySelector('#faces .pose'); return e && e.textContent") != pose)
    frame = int(_wait(browser, lambda: browser.execute_script("return document.body.dataset.frame")))
    _wait(browser, lambda: int(browser.execute_script("return document.body.dataset.frame")) > frame)
    assert browser.find_element("id", "c-view").get_attribute("value") == "mesh"
    box = json.loads(served.request("GET", "/snapshot.json")[2])["faces"][0]["box"]
    before = _face_saturation(_grab(browser), box)
    # A click on a control: the view changes in the state and in the stream's pixels.
    Select(browser.find_element("id", "c-view")).select_by_value("depth")
    _wait(browser, lambda: served.state()["view"] == "depth")
    _wait(browser, lambda: browser.execute_script("return document.body.dataset.view") == "depth")
    time.sleep(0.5)  # frames drawn before the change may still be on their way
    box = json.loads(served.request("GET", "/snapshot.json")[2])["faces"][0]["box"]
    after = _wait(browser, lambda: (lambda s: s if s > 1.5 * before else None)(
        _face_saturation(_grab(browser), box)))
    assert after > 1.5 * before, (before, after)
    # A toggle: HUD off, in the state.
    hud = browser.find_element("id", "c-show_hud")
    assert hud.is_selected()
    hud.click()
    _wait(browser, lambda: served.state()["show_hud"] is False)
    hud.click()
    _wait(browser, lambda: served.state()["show_hud"] is True)
    Select(browser.find_element("id", "c-view")).select_by_value("mesh")
    _wait(browser, lambda: served.state()["view"] == "mesh")
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
