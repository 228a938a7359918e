"""MaixCAM adapter: maix.nn inference, maix camera / display / touch, app config.

The only package that imports `maix`, and only inside its submodules and functions:
importing `app.device` itself is safe anywhere (a PC without MaixPy included). It never
imports the PC adapter: app/backends.py puts the two together for MaixPy on a PC.
"""
from __future__ import annotations

import platform as _platform
from typing import Any, Callable

from .errors import DeviceError

__all__ = ["DeviceError", "maix_available", "maix_nn_available", "run_guarded"]

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
