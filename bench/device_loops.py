"""The two loops the device-cost count compares, instrumented, run as a child process.

    python3 -m bench.device_loops record CONFIG FRAMES TAPE   (natively: writes the tape)
    python3 -m bench.device_loops count CONFIG TAPE           (under callgrind)
    python3 -m bench.device_loops calibrate                   (under callgrind)

bench/device_cost.py runs these; see its docstring. This module imports only what the
interpreter already has (sys, os) and ctypes for the markers, so a counted run pays for
exactly the imports of the loop it runs (the app's or the official app's). CONFIG is
"official-<faces>" or "ours-<faces>-<view>-signals_<on|off>[-vmc]" (-vmc: VMC face capture
sent to 127.0.0.1:39539, its sink counted with the face reports).
"""
from __future__ import annotations

import ctypes
import os
import sys

from bench.stages import StageStack

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER_LIB = os.path.join(ROOT, "bench", ".build", "cgmark.so")
SCENES = {"1": "single_face.mp4", "4": "multi_face.jpg"}
CALIBRATION_SEGMENTS = 200


# -- markers -------------------------------------------------------------------------


class Markers(StageStack):
    """Stage markers: each boundary dumps callgrind's count of the segment just ended
    (bench/cgmark.c), labelled `<frame>|<stage>` with the innermost stage it ran in."""

    def __init__(self) -> None:
        super().__init__()
        self._lib = ctypes.CDLL(MARKER_LIB) if os.path.exists(MARKER_LIB) else None

    def _mark(self, label: str) -> None:
        if self._lib is not None:
            self._lib.cg_dump(f"{self.frame}|{label}".encode())


MARKS = Markers()


def staged(name: str, fn):
    """`fn` wrapped so its instructions count under stage `name`."""
    def wrapper(*args, **kwargs):
        MARKS.enter(name)
        try:
            return fn(*args, **kwargs)
        finally:
            MARKS.leave()
    return wrapper


# -- the two loops ---------------------------------------------------------------------


DEVICE_FPS = 20.0  # a MaixCAM's pace with one tracked face (the camera gives up to 30)


def device_clock() -> float:
    """Seconds at DEVICE_FPS frames a second, from the frame being processed."""
    return MARKS.frame / DEVICE_FPS


def run_ours(view: str, signals: bool, faces: int, vmc: bool = False) -> None:
    """The real app (app.launch.run with --backend device), instrumented at its stages."""
    import contextlib

    from app.core import app_loop, timing
    from app.core.render import painters, renderer, ui_paint

    original_stage = timing.StageClock.stage

    @contextlib.contextmanager
    def stage(self, name):
        MARKS.enter(name)
        try:
            with original_stage(self, name):
                yield
        finally:
            MARKS.leave()

    timing.StageClock.stage = stage  # type: ignore[method-assign]
    step = app_loop.FaceApp.step

    def counted_step(self):
        MARKS.next_frame()
        if not hasattr(self, "_instrumented"):
            self._instrumented = True
            # The loop's clock (fps, the HUD's refresh, smoothing and blink times) at the
            # device's pace: under callgrind, wall time runs ~50x slower than a MaixCAM.
            self.now = self.fps._now = device_clock
            platform = self.platform
            platform.read = staged("camera", platform.read)
            platform.show = staged("display", platform.show)
            platform.touches = staged("touch", platform.touches)
            self.sinks = tuple(_staged_sink(s) for s in self.sinks)
        return step(self)

    app_loop.FaceApp.step = counted_step  # type: ignore[method-assign]
    app_loop.FaceApp._handle_input = staged("ui input", app_loop.FaceApp._handle_input)
    app_loop.draw_ui = staged("buttons", ui_paint.draw_ui)
    renderer.painters.hud = staged("hud", painters.hud)
    from app import launch
    from app.device import comm

    comm.open_comm = _uart_stand_in  # the app reports every frame, as on a wired device

    from app.core.settings import SPECS

    settings = {"view": view, "max_faces": str(max(faces, 2))}  # 2: the default limit
    if "show_signals" in SPECS:
        settings["show_signals"] = "true" if signals else "false"
    if vmc:
        settings["vmc.enabled"] = "true"
    _write_settings(settings)
    launch.run(["--backend", "device"])


class _UartStandIn:
    """maix.comm.CommProtocol with the UART cut off (MaixPy's PC build has no UART for
    it): each report is framed by MaixCDK's own protocol encoder (header, length, flags,
    CRC, in C), as CommProtocol.report does before it writes; nothing is ever waiting in
    the receive buffer. The UART write itself (a syscall) is not counted."""

    def __init__(self) -> None:
        from maix import err, protocol

        self._encoder = protocol.Protocol(buff_size=1024)
        self._ok = err.Err.ERR_NONE
        self.sent_bytes = 0

    def report(self, cmd, body):
        self.sent_bytes += len(self._encoder.encode_report(cmd, body))
        return self._ok

    def get_msg(self, timeout=0):
        return None

    def resp_ok(self, cmd, body):
        return self._ok

    def resp_err(self, cmd, code, msg):
        return self._ok


def _uart_stand_in(log=None):
    return _UartStandIn()


def _staged_sink(sink):
    sink.write = staged("report", sink.write)
    return sink


def _write_settings(values: dict[str, str]) -> None:
    """The app's saved settings (./data/config.ini, as the device keeps them)."""
    os.makedirs("data", exist_ok=True)
    with open("data/config.ini", "w") as f:
        f.write("[settings]\n" + "".join(f"{k}={v}\n" for k, v in values.items()))


def run_official(faces: int) -> None:
    """MaixPy's projects/app_face_landmarks/main.py, its loop as written there, with the
    stages marked (478 points shown, its default; `max_face_num` 4)."""
    from maix import app, camera, display, image, nn, touchscreen

    disp = display.Display()
    detector = nn.YOLOv8(model="/root/models/yolov8n_face.mud", dual_buff=False)
    landmarks_detector = nn.FaceLandmarks(model="/root/models/face_landmarks.mud")
    cam = camera.Camera(detector.input_width(), detector.input_height(),
                        detector.input_format())
    ts = touchscreen.TouchScreen()
    img_back = image.load("/maixapp/share/icon/ret.png")
    mode_rect = [0, cam.height() - 26, 100, 30]
    curr_sub = "478"
    max_face_num = 4
    while not app.need_exit():
        MARKS.next_frame()
        img = staged("camera", cam.read)()
        results = []
        objs = staged("detect", detector.detect)(img, conf_th=0.5, iou_th=0.45, sort=1)
        count = 0
        for obj in objs:
            img_std = staged("crop", landmarks_detector.crop_image)(
                img, obj.x, obj.y, obj.w, obj.h, obj.points)
            if img_std:
                res = staged("landmark", landmarks_detector.detect)(img_std, 0.5, True, False)
                if res and res.valid:
                    results.append(res)
            count += 1
            if count >= max_face_num:
                break
        MARKS.enter("overlay")
        for res in results:
            points, points_z = res.points, res.points_z  # all 478: no subset copy
            landmarks_detector.draw_face(img, points, len(points_z), points_z)
        MARKS.leave()
        MARKS.enter("buttons")
        img.draw_image(0, 0, img_back)
        img.draw_rect(mode_rect[0], mode_rect[1], mode_rect[2], mode_rect[3],
                      image.COLOR_WHITE)
        img.draw_string(4, img.height() - 20, f"points: {curr_sub}")
        MARKS.leave()
        staged("display", disp.show)(img)
        x, y, pressed = staged("touch", ts.read)()


# -- one run ---------------------------------------------------------------------------


def parse(config: str) -> tuple[str, int, str, bool, bool]:
    """(loop, faces, view, signals, vmc) of a config name."""
    parts = config.split("-")
    if parts[0] == "official":
        return "official", int(parts[1]), "points", False, False
    return "ours", int(parts[1]), parts[2], parts[3] == "signals_on", parts[-1] == "vmc"


def run_loop(config: str) -> None:
    loop, faces, view, signals, vmc = parse(config)
    if loop == "official":
        run_official(faces)
    else:
        run_ours(view, signals, faces, vmc)


def record(config: str, frames: int, tape_path: str) -> None:
    """Run the loop natively with the oracle answering the landmark forwards; write the
    tape the counted run plays."""
    from bench import device_replay, device_tape

    scene = device_replay.load_scene(SCENES[config.split("-")[1]], frames)
    tape = device_tape.Tape(device_replay.CAMERA, device_replay.frame_bytes(scene),
                            scene.detections)
    device_tape.install(tape, device_replay.Oracle(scene).answer)
    run_loop(config)
    tape.save(tape_path)


def count(config: str, tape_path: str) -> None:
    """The counted run: the tape played back, nothing imported before the app does."""
    from bench import device_tape

    MARKS.phase("harness")
    device_tape.install(device_tape.Tape.load(tape_path))
    MARKS.phase("startup")
    run_loop(config)
    MARKS.next_frame()
    assert device_tape.Player.served == len(device_tape.Player.tape.answers), (
        "the counted run asked for fewer landmark forwards than were recorded")


def calibrate() -> None:
    """Markers back to back: what one boundary costs, to subtract per segment."""
    MARKS.phase("calibrate")
    for _ in range(CALIBRATION_SEGMENTS):
        MARKS.enter("empty")
        MARKS.leave()
    MARKS.phase("end")


def main(argv: list[str]) -> int:
    mode = argv[0]
    if mode == "record":
        record(argv[1], int(argv[2]), argv[3])
    elif mode == "count":
        count(argv[1], argv[2])
    elif mode == "calibrate":
        calibrate()
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
