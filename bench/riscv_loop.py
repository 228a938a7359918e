"""What bench/riscv_cost.py counts on RISC-V: our frame loop on a tape of real frames, and
the blendshape network per evaluation. Runs as a child process:

    python3 -m bench.riscv_loop record FACES FRAMES TAPE    (natively: writes the tape)
    python3 -m bench.riscv_loop count CONFIG TAPE LABELS    (riscv64 python, under QEMU)
    python3 -m bench.riscv_loop blendshapes EVALS LABELS    (likewise)
    python3 -m bench.riscv_loop calibrate LABELS            (likewise)

maix has no riscv64 build for a PC, so the loop is the app's own core loop
(app.backends.make_app -> app.core.app_loop.FaceApp) on the device's settings and
geometry, with only what maix does stood in for:

- camera: the tape's frames, 320x224 RGB (the detector's input, as the device opens the
  camera), cut from a real video (tests/data/single_face.mp4) or a group photo
  (multi_face.jpg) by bench/device_replay.load_scene, a fresh array per read;
- the two NPU models: the tape's real recorded detections and landmarks
  (tests/fixtures/replay.npz, at the camera's scale), answered by tests/replay.py's
  ReplayDetector / ReplayLandmarker with the device landmarker's crop (scale
  device.crop_scale, integer crops, 256 px);
- display and touch: nothing shown, no touch; the UART: face reports are built by the
  app's FaceReporter each frame (reports on, as on a wired device); their framing is
  MaixCDK's C encoder, not on this tape (bench/device_cost.sh counts it on x86).

The stand-ins' own work is marked ("camera", "replay", "display") so the harness
leaves it out. Stage markers are the guest's fsync(MARK_FD, frame, stage) through libc's
syscall(): the counting plugin (bench/riscv_count.c) logs its count at each one; stage
names are numbered in order of first use and the table is written to LABELS at the end,
after the last marker. Natively (tests) the markers do nothing: the same loop runs.
CONFIG is "ours-<faces>-<view>-signals_<on|off>" as bench/device_loops.py's.
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import sys

from bench.stages import StageStack

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENES = {"1": "single_face.mp4", "4": "multi_face.jpg"}
MARK_FD = 0x6D61726B  # "mark": bench/riscv_count.c watches fsync on it
RISCV_NR_FSYNC = 82
CALIBRATION_SEGMENTS = 200
DEVICE_FPS = 20.0  # the loop's clock: a MaixCAM's pace with one tracked face
DEVICE_DISPLAY = (552, 368)  # MaixCAM's screen
PEER = os.path.join(ROOT, "tests", "fixtures", "face_landmarker_peer.json")
WEIGHTS = os.path.join(ROOT, "app", "core", "expressions", "face_blendshapes.npz")


class Markers(StageStack):
    """Stage markers: each boundary logs the count at the end of the segment just ended,
    labelled (frame, stage) with the innermost stage it ran in (bench/device_loops.py's
    stages, counted by the QEMU plugin instead of callgrind). `names` numbers the stages."""

    def __init__(self, enabled: bool | None = None) -> None:
        super().__init__()
        if enabled is None:
            enabled = os.uname().machine == "riscv64"
        self._syscall = ctypes.CDLL(None).syscall if enabled else None
        self.names: dict[str, int] = {}
        self.boundaries = 0

    def _mark(self, label: str) -> None:
        self.boundaries += 1
        stage = self.names.setdefault(label, len(self.names))
        if self._syscall is not None:
            self._syscall(RISCV_NR_FSYNC, MARK_FD, self.frame, stage)

    def save(self, path: str) -> None:
        with open(path, "w") as f:
            json.dump({str(v): k for k, v in self.names.items()}, f)


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


# -- the tape --------------------------------------------------------------------------


def record(faces: str, frames: int, tape_path: str) -> None:
    """The scene's frames and recorded model outputs at the camera's size, as arrays in
    the layout of tests/replay.Clip (natively: OpenCV decodes the video)."""
    import numpy as np

    from bench import device_replay

    scene = device_replay.load_scene(SCENES[faces], frames)
    det_frame, det_box, det_score, det_kps = [], [], [], []
    for i, dets in enumerate(scene.detections):
        for x, y, w, h, score, points in dets:
            det_frame.append(i)
            det_box.append((x, y, w, h))
            det_score.append(score)
            det_kps.append(np.asarray(points, np.float32).reshape(-1, 2))
    face_frame, face_xyz, face_score = [], [], []
    for i, (xyz, scores) in enumerate(scene.faces):
        for k in range(len(xyz)):
            face_frame.append(i)
            face_xyz.append(xyz[k])
            face_score.append(scores[k])
    np.savez(tape_path, frames=np.stack(scene.frames),
             det_frame=np.array(det_frame, np.int32),
             det_box=np.array(det_box, np.float32).reshape(-1, 4),
             det_score=np.array(det_score, np.float32),
             det_kps=np.array(det_kps, np.float32).reshape(len(det_frame), -1, 2),
             face_frame=np.array(face_frame, np.int32),
             face_xyz=np.array(face_xyz, np.float32).reshape(-1, 478, 3),
             face_score=np.array(face_score, np.float32))


def load_tape(tape_path: str):
    """(frames, Clip) of a recorded tape."""
    import numpy as np

    from tests.replay import Clip

    with np.load(tape_path) as t:
        frames = t["frames"]
        clip = Clip("tape", len(frames), (frames.shape[2], frames.shape[1]), t["det_frame"],
                    t["det_box"], t["det_score"], t["det_kps"], t["face_frame"],
                    t["face_xyz"], t["face_score"])
    return frames, clip


# -- the loop --------------------------------------------------------------------------


def parse(config: str) -> tuple[int, str, bool]:
    """(faces, view, signals) of a config name."""
    _, faces, view, signals = config.split("-")
    return int(faces), view, signals == "signals_on"


class TapePlatform:
    """The device's platform with the camera, the screen and the touch stood in for:
    interactive (HUD and buttons drawn), frames shown (nothing done with them)."""

    interactive = True
    shows_frames = True
    display_size = DEVICE_DISPLAY

    def __init__(self, frames, clip) -> None:
        self.frames, self.clip = frames, clip
        self.index = -1
        self._exit = False
        self.shown = 0

    def read(self):
        from app.core.platform import Frame
        from tests.replay import ReplayFrame

        self.index += 1
        if self.index >= len(self.frames):
            return None
        return Frame(ReplayFrame(self.clip, self.index), self.frames[self.index].copy(), None)

    def show(self, frame) -> None:
        self.shown += 1

    def touches(self):
        return ()

    def keys(self):
        return ()

    def exit_requested(self) -> bool:
        return self._exit

    def request_exit(self) -> None:
        self._exit = True

    def close(self) -> None:
        pass


class ReportPort:
    """The device's report port (app/device/comm.py's MaixCommReporter) with the UART
    cut: the FaceReporter builds each frame's report bodies; no request ever waits."""

    def __init__(self, reporter) -> None:
        self.reporter = reporter
        self.sent_bytes = 0

    def send_frame(self, faces, image_size, landmarks=None, blendshapes=None) -> None:
        for _cmd, body in self.reporter.frame(faces, image_size, landmarks, blendshapes):
            self.sent_bytes += len(body)

    def close(self) -> None:
        pass


def make_loop(config: str, frames, clip):
    """The app's frame loop on the tape, the device's settings with CONFIG's view, face
    limit (2, the default, or 4) and signals; stages marked on MARKS."""
    from app.backends import Models, make_app, reporting_sink
    from app.core.report import FaceReporter
    from app.core import timing
    from app.core.persist import MemoryStore
    from app.core.settings import Settings
    from tests.replay import ReplayDetector, ReplayLandmarker

    faces, view, signals = parse(config)
    settings = Settings().replace(view=view, max_faces=max(faces, 2), show_signals=signals)

    class MarkedClock(timing.StageClock):
        """Marks each stage; the milliseconds it records (shown on the HUD) are made up
        from the frame and the stage, not measured: under QEMU wall time is noise, and
        a HUD text that changed with it would change what the run counts."""

        def stage(self, name):
            clock = self

            class Marked:
                def __enter__(self):
                    MARKS.enter(name)

                def __exit__(self, *exc):
                    clock.add(name, stage_ms(name))
                    MARKS.leave()
            return Marked()

    class DeviceLandmarker(ReplayLandmarker):
        """The replayed landmarks with the device landmarker's crop geometry."""

        crop_scale = settings.device_crop_scale
        integer_crops = True

    landmarker = DeviceLandmarker()
    landmarker.infer = staged("replay", landmarker.infer)  # type: ignore[method-assign]
    detector = ReplayDetector()
    detector.detect = staged("replay", detector.detect)  # type: ignore[method-assign]
    platform = TapePlatform(frames, clip)
    platform.read = staged("camera", platform.read)  # type: ignore[method-assign]
    platform.show = staged("display", platform.show)  # type: ignore[method-assign]
    platform.touches = staged("touch", platform.touches)  # type: ignore[method-assign]
    port = ReportPort(FaceReporter(landmark_period_s=settings.report_landmark_period_s,
                                   clock=device_clock))
    sink = reporting_sink(port, settings)
    sink.write = staged("report", sink.write)  # type: ignore[method-assign]
    clock = MarkedClock()
    app = make_app(platform, Models(detector, landmarker), settings, MemoryStore(),
                   _warn, tracking=True, clock=clock, sinks=[sink])

    app.now = app.fps._now = device_clock
    app._handle_input = staged("ui input", app._handle_input)  # type: ignore[method-assign]
    return app, platform, port


@contextlib.contextmanager
def marked_painters():
    """The buttons and the HUD marked as stages (module-level names the loop looks up at
    each call), restored after."""
    from app.core import app_loop
    from app.core.render import painters

    draw_ui, hud = app_loop.draw_ui, painters.hud
    app_loop.draw_ui = staged("buttons", draw_ui)
    painters.hud = staged("hud", hud)
    try:
        yield
    finally:
        app_loop.draw_ui, painters.hud = draw_ui, hud


def device_clock() -> float:
    """Seconds at DEVICE_FPS frames a second, from the frame being processed."""
    return max(MARKS.frame, 0) / DEVICE_FPS


def stage_ms(name: str) -> float:
    """A stage's made-up milliseconds: 1 to 10, changing from frame to frame."""
    return 1.0 + (MARKS.frame * 7919 + len(name) * 104729) % 900 / 100.0


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def run_loop(config: str, frames, clip) -> tuple[int, int]:
    """The loop to the tape's end: (frames shown, report bytes)."""
    app, platform, port = make_loop(config, frames, clip)
    with marked_painters(), marked_collections():
        while True:
            MARKS.next_frame()
            if not app.step():
                break
    return platform.shown, port.sent_bytes


@contextlib.contextmanager
def marked_collections():
    """Python's garbage collections counted as their own stage ("gc"), not in whichever
    stage happened to allocate when one was due."""
    import gc

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            MARKS.enter("gc")
        else:
            MARKS.leave()

    gc.callbacks.append(callback)
    try:
        yield
    finally:
        gc.callbacks.remove(callback)


def count(config: str, tape_path: str, labels: str) -> None:
    """The counted run. Start-up counts the interpreter and every import (numpy, the
    app) but not the tape's loading (the harness)."""
    MARKS.phase("startup")
    import cv2  # the app's imports

    import tests.replay  # noqa: F401  (the stand-ins' module; its imports are the app's)

    MARKS.enter("harness")
    frames, clip = load_tape(tape_path)
    # OpenCV on one thread, as on the MaixCAM's one Linux core (and one guest thread:
    # the plugin's one counter)
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    MARKS.leave()
    try:
        run_loop(config, frames, clip)
    finally:
        cv2.setNumThreads(threads)
    MARKS.phase("end")
    MARKS.save(labels)


# -- the blendshape network, per evaluation -------------------------------------------


def peer_inputs() -> list:
    """The network's input from every real face of the MediaPipe peer fixture: the 146
    subset points of its 478 landmarks (image pixels)."""
    import numpy as np

    from app.core.expressions.tracking import blendshape_input

    with open(PEER) as f:
        images = json.load(f)["images"]
    return [blendshape_input(np.asarray(face["xy"], np.float32))
            for image in images.values() for face in image["faces"]]


def blendshapes(evaluations: int, labels: str, weights: str = WEIGHTS) -> list:
    """`evaluations` calls of the network (its public callable) on real faces in turn,
    each its own segment; returns the outputs."""
    MARKS.phase("harness")
    from app.core.expressions.network import BlendshapeNetwork

    inputs = peer_inputs()
    MARKS.phase("load")
    network = BlendshapeNetwork(weights)
    MARKS.phase("harness")
    outputs = []
    for i in range(evaluations):
        points = inputs[i % len(inputs)]
        MARKS.enter("blendshape")
        out = network(points)
        MARKS.leave()
        outputs.append(out)
    MARKS.phase("end")
    MARKS.save(labels)
    return outputs


def calibrate(labels: str) -> None:
    """Markers back to back: what one boundary costs, to subtract per segment."""
    MARKS.phase("calibrate")
    for _ in range(CALIBRATION_SEGMENTS):
        MARKS.enter("empty")
        MARKS.leave()
    MARKS.phase("end")
    MARKS.save(labels)


def main(argv: list[str]) -> int:
    sys.path.insert(0, ROOT)
    mode = argv[0] if argv else ""
    if mode == "record":
        record(argv[1], int(argv[2]), argv[3])
    elif mode == "count":
        count(argv[1], argv[2], argv[3])
    elif mode == "blendshapes":
        blendshapes(int(argv[1]), argv[2])
    elif mode == "calibrate":
        calibrate(argv[1])
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
