"""App lifecycle on the real MaixPy: the error screen, the launcher's exit message,
run_guarded, and settings kept with app.get/set_app_config_kv."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.device._frames import NEEDS_MAIX

pytest.importorskip("maix.image", reason=NEEDS_MAIX)

from maix import app, display, err, image  # noqa: E402

from app.core.settings import SPECS, Settings, apply  # noqa: E402
from app.backends import device_models  # noqa: E402
from app.device import DeviceError, run_guarded  # noqa: E402
from app.device.platform import (CameraSource, error_image, fit_lines,  # noqa: E402
                                 report_failure)
from app.device.settings_store import MaixSettingsStore  # noqa: E402

EXIT_MSG = Path("/maixapp/tmp/app_exit_msg.txt")  # where maix app.set_exit_msg writes


@pytest.fixture(autouse=True)
def clear_exit_flag():
    yield
    app.set_exit_flag(False)


def lit_rows(img: image.Image) -> np.ndarray:
    rgb = image.image2cv(img, ensure_bgr=False, copy=True)
    return np.nonzero(rgb.max(axis=(1, 2)) > 0)[0]


@pytest.mark.parametrize("size", [(552, 368), (640, 480)])
def test_error_image_writes_title_message_and_hint(size):
    img = error_image(*size, "Detector model not found",
                      "/root/models/yolov8n_face.mud does not exist. " * 6)
    assert (img.width(), img.height()) == size
    rows = lit_rows(img)
    assert rows.min() < size[1] // 8 and rows.max() > size[1] * 3 // 4  # title ... hint
    assert len(rows) > size[1] // 4


def test_fit_lines_keeps_the_end_of_a_traceback():
    text = "\n".join(f"line {i}" for i in range(40))
    assert fit_lines(text, 80, 5, tail=True) == ["...", "line 36", "line 37", "line 38", "line 39"]
    assert fit_lines(text, 80, 3, tail=False) == ["line 0", "line 1", "..."]
    assert fit_lines("a" * 25, 10, 5, tail=False) == ["a" * 10, "a" * 10, "a" * 5]


def test_report_failure_shows_the_error_and_tells_the_launcher():
    disp = display.Display()
    error = DeviceError("Camera not available", "cannot open the camera at 320x224",
                        "ERR_NOT_OPEN")
    assert report_failure(error, disp, timeout_s=0.2) == 1
    assert app.need_exit()
    _, code, message = EXIT_MSG.read_text().splitlines()[:3]
    assert int(code) == int(err.Err.ERR_NOT_OPEN)
    assert message == "Camera not available: cannot open the camera at 320x224"


def test_run_guarded_shows_a_crash_and_returns_1():
    def body(disp):
        assert isinstance(disp, display.Display)
        raise ZeroDivisionError("in the loop")

    assert run_guarded(body, timeout_s=0.2) == 1
    assert app.need_exit()
    assert EXIT_MSG.read_text().splitlines()[2] == "ZeroDivisionError: in the loop"
    app.set_exit_flag(False)
    assert run_guarded(lambda disp: None) == 0


def test_build_on_a_pc_fails_with_a_clear_message():
    """No /root/models here: the first thing missing is the detector's .mud."""
    with pytest.raises(DeviceError) as caught:
        device_models(Settings())
    assert "/root/models/yolov8n_face.mud" in caught.value.message


def test_camera_that_cannot_open_is_a_device_error():
    if Path("/dev/video0").exists():
        pytest.skip("a camera is present")
    with pytest.raises(DeviceError) as caught:
        CameraSource(320, 224)
    assert "320x224" in caught.value.message and caught.value.code == "ERR_NOT_OPEN"


def test_settings_round_trip_through_the_app_config(tmp_path, monkeypatch):
    """maix loads ./data/config.ini once per process and caches it: this test writes a
    fresh folder and checks the file and what load() returns."""
    monkeypatch.chdir(tmp_path)  # maix keeps ./data/config.ini relative to the app folder
    store = MaixSettingsStore()
    assert os.path.isdir(tmp_path / "data")
    changed = Settings().replace(view="points", max_faces=4, show_box=True,
                                 detector_conf_threshold=0.6)
    changes = {key: str(value) for key, value in changed.to_flat().items()
               if key in ("view", "max_faces", "show_box", "detector.conf_threshold")}
    store.save(changes)
    text = (tmp_path / "data" / "config.ini").read_text()
    assert "[settings]" in text
    for key, value in changes.items():
        assert f"{key}={value}" in text
    saved = store.load()
    assert {key: saved[key] for key in changes} == {
        "view": "points", "max_faces": "4", "show_box": "True", "detector.conf_threshold": "0.6"}
    warnings: list[str] = []
    assert apply(Settings(), saved, "config.ini", warnings.append) == changed
    assert not warnings
    assert set(store.keys) == set(SPECS)
