"""MaixCAM adapter: maix.nn inference, maix camera / display / touch, app config.

The only package that imports `maix`, and only inside its submodules and functions:
importing `app.device` itself is safe anywhere (a PC without MaixPy included).

Two ways to put it together (both return `(platform, detector, landmarker, store)`; the
detector and landmarker take `frame.native`, a maix image, in both):
    build(settings, clock)                   the device: maix.nn on the NPU, camera
    build_maix_pc(settings, clock, source)   maix IO (camera or video file, SDL display,
                                             mouse as touch) + the PC's LiteRT models
"""
from __future__ import annotations

import platform as _platform
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .errors import DeviceError

if TYPE_CHECKING:
    from ..core.settings import Settings
    from ..core.timing import StageClock
    from .inference import MaixFaceDetector, MaixLandmarker, RgbDetector, RgbLandmarker
    from .platform import MaixPlatform
    from .settings_store import MaixSettingsStore

__all__ = ["DeviceError", "build", "build_maix_pc", "maix_available", "maix_nn_available",
           "run_guarded"]

# The NPU runtime is compiled only into MaixPy's device builds: MaixCAM / MaixCAM-Pro
# (SG2002, riscv64) and MaixCAM2 (AX630C, aarch64). MaixPy's PC build (the x86_64
# wheel) has `maix.nn` too, but every model constructor throws "NN not support this
# platform yet" (and `sys.device_name()` finds no /proc/device-tree/model: "unknown").
# So the machine decides, without loading a model; on x86_64 maix is not even imported
# (importing it replaces the SIGINT handler with one that exits 0).
_NN_MACHINES = ("riscv64", "aarch64")


def maix_available() -> bool:
    """MaixPy imports (the device, or a PC with the maixpy wheel and its libraries)."""
    try:
        from maix import image  # noqa: F401
    except Exception:  # ImportError, or OSError from _maix.so's missing libraries
        return False
    return True


def maix_nn_available() -> bool:
    """MaixPy imports and `maix.nn` can run models here: a MaixCAM / -Pro (riscv64,
    any board MaixPy runs on) or a MaixCAM2 (aarch64, `sys.device_name()` "MaixCAM2")."""
    machine = _platform.machine().lower()
    if machine not in _NN_MACHINES or not maix_available():
        return False
    if machine == "riscv64":
        return True
    from maix import sys as maix_sys

    return "maixcam" in maix_sys.device_name().lower()


def build(settings: "Settings", clock: "StageClock", disp: Any = None) -> tuple[
        "MaixPlatform", "MaixFaceDetector", "MaixLandmarker", "MaixSettingsStore"]:
    """The device backend on `disp` (a maix display.Display; opened if None). Raises
    DeviceError (missing model, old MaixPy, no camera): call it inside `run_guarded`."""
    from .inference import MaixFaceDetector, MaixLandmarker, require_face_landmarks
    from .platform import MaixPlatform, open_display
    from .settings_store import MaixSettingsStore

    disp = disp if disp is not None else open_display()
    require_face_landmarks()
    detector = MaixFaceDetector.load(settings.device_detector_model,
                                     settings.detector_conf_threshold,
                                     settings.detector_iou_threshold)
    landmarker = MaixLandmarker.load(settings.device_landmarks_model,
                                     settings.device_crop_scale, clock)
    width, height = detector.input_size
    platform = MaixPlatform.with_camera(width, height, detector.input_format, disp)
    return platform, detector, landmarker, MaixSettingsStore()


DEFAULT_MAIX_PC_CAMERA = (640, 480)


def build_maix_pc(settings: "Settings", clock: "StageClock", source: str | None = None,
                  app_dir: Path | None = None, size: tuple[int, int] | None = None,
                  loop: bool = False, disp: Any = None) -> tuple[
        "MaixPlatform", "RgbDetector", "RgbLandmarker", "MaixSettingsStore"]:
    """maix IO + PC inference. `source`: None or a camera index -> the maix camera (V4L2
    on a PC) at `size` or 640x480; a path -> that video file, decoded with OpenCV into
    maix images (resized to `size` if given; `loop` rewinds at the end). The PC models
    come from `settings.pc_models_dir` (relative to `app_dir`). Raises DeviceError or the
    PC backend's ModelError."""
    from ..pc.detector import BlazeFaceDetector
    from ..pc.landmarker import AttentionLandmarker
    from .inference import RgbDetector, RgbLandmarker
    from .platform import MaixPlatform
    from .settings_store import MaixSettingsStore

    models_dir = Path(settings.pc_models_dir)
    if not models_dir.is_absolute() and app_dir is not None:
        models_dir = app_dir / models_dir
    detector = BlazeFaceDetector(models_dir, settings.pc_detector, settings.pc_threads,
                                 settings.detector_conf_threshold,
                                 settings.detector_iou_threshold)
    landmarker = AttentionLandmarker(models_dir, settings.pc_crop_scale, settings.pc_threads,
                                     clock=clock)
    if source is None or source.isdigit():
        width, height = size or DEFAULT_MAIX_PC_CAMERA
        platform = MaixPlatform.with_camera(width, height, disp=disp)
    else:
        platform = MaixPlatform.with_video(source, size, loop, disp)
    return platform, RgbDetector(detector), RgbLandmarker(landmarker), MaixSettingsStore()


def run_guarded(body: Callable[[Any], Any], timeout_s: float | None = None) -> int:
    """Open the display and run `body(disp)` (build + loop) on it. On any exception, show
    it on that display (a DeviceError: its message; anything else: the traceback, as the
    official apps do), tell the launcher (`app.set_exit_msg`), wait until the user exits
    (touch or the user key; `timeout_s` for tests) and set the exit flag.
    Returns body's int result (0 for None), 1 after a failure, 130 on Ctrl-C."""
    from .platform import open_display, report_failure

    disp = None
    try:
        disp = open_display()
        result = body(disp)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        return report_failure(error, disp, timeout_s=timeout_s)
    return int(result) if isinstance(result, int) else 0
