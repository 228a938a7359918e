"""Failures a user can hit on the device, each with a message worth showing on screen.

Pure Python (no maix): `app.device.__init__` and the PC side can import it.
"""
from __future__ import annotations


class DeviceError(RuntimeError):
    """A failure the user can act on: a missing model, an old MaixPy, no camera.

    title:   one short line for the top of the error screen.
    message: what happened and what to do, shown below it and given to the launcher.
    code:    the name of the `maix.err.Err` member reported to the launcher
             (`app.set_exit_msg`), e.g. "ERR_NOT_FOUND".
    """

    def __init__(self, title: str, message: str, code: str = "ERR_RUNTIME") -> None:
        super().__init__(f"{title}: {message}")
        self.title = title
        self.message = message
        self.code = code
