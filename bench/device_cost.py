"""Count the CPU work the MaixCAM does per frame: our app loop against the official app's.

    bash bench/device_cost.sh            # everything (as root): build, record, count, table
    python3 bench/device_cost.py ...     # inside the MaixPy root (what the script runs)

Both loops run in the MaixPy root (the real x86_64 MaixPy: maix images, crop_image,
draw_face, display, touch) on the same real frames at the camera's 320x224, with only
the two NPU forwards replayed (bench/device_replay.py). valgrind's callgrind counts
x86 instructions; a marker library (bench/cgmark.c) dumps the count at every stage
boundary, so one run gives each stage's instructions per frame and the start-up.

- ours:     the real app: `main.py --backend device` (app.launch.run), nothing changed
            but maix.camera.Camera, nn.YOLOv8 and nn.FaceLandmarks; stages from the
            app's own StageClock plus the loop's read / input / show / sinks.
- official: MaixPy's projects/app_face_landmarks/main.py loop written out here (detect
            every frame -> crop_image -> detect -> draw_face of 478 points -> back icon,
            mode button and caption -> show -> touch), with the same stand-ins.

Per-frame figures are means over the frames after `--warmup` (first frames build
caches: mesh paths, styles); start-up is everything from the interpreter's start to the
end of the first frame's `show`, imports included. The detector's own CPU
post-processing (YOLO decoding + NMS in MaixCDK) is not in the replay: it is counted
as zero in both loops, which favours the official loop (it runs the detector on every
frame, ours every `detector.interval` frames at most), so our ratios are upper bounds.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import time as _time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "bench" / ".build"
MARKER_LIB = BUILD / "cgmark.so"
SCENES = {"1": ("single_face.mp4", 1), "4": ("multi_face.jpg", 4)}
CALIBRATION_SEGMENTS = 200

# -- markers -------------------------------------------------------------------------


class Markers:
    """Stage markers: each boundary dumps callgrind's count of the segment just ended
    (bench/cgmark.c), labelled `<frame>|<stage>` with the innermost stage it ran in."""

    def __init__(self) -> None:
        self._lib = ctypes.CDLL(str(MARKER_LIB)) if MARKER_LIB.exists() else None
        self.stack: list[str] = ["interpreter"]
        self.frame = -1

    def _dump(self, label: str) -> None:
        if self._lib is not None:
            self._lib.cg_dump(f"{self.frame}|{label}".encode())

    def enter(self, name: str) -> None:
        self._dump(self.stack[-1])
        self.stack.append(name)

    def leave(self) -> None:
        self._dump(self.stack.pop())

    def phase(self, name: str) -> None:
        """End the top-level segment; what follows counts under `name`."""
        self._dump(self.stack[0])
        self.stack[0] = name

    def next_frame(self) -> None:
        self._dump(self.stack[0])
        self.frame += 1
        self.stack[0] = "loop"


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


def run_ours(view: str, signals: bool, faces: int) -> None:
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

    from app.core.settings import SPECS

    settings = {"view": view, "max_faces": str(max(faces, 2))}  # 2: the default limit
    if "show_signals" in SPECS:
        settings["show_signals"] = "true" if signals else "false"
    _write_settings(settings)
    launch.run(["--backend", "device"])


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


# -- one run (a child process) --------------------------------------------------------


@dataclass(frozen=True)
class Config:
    loop: str  # "ours" | "official"
    faces: str  # "1" | "4"
    view: str = "mesh"
    signals: str = "on"  # ours only

    @property
    def name(self) -> str:
        if self.loop == "official":
            return f"official-{self.faces}"
        return f"ours-{self.faces}-{self.view}-signals_{self.signals}"

    @classmethod
    def parse(cls, name: str) -> "Config":
        parts = name.split("-")
        if parts[0] == "official":
            return cls("official", parts[1])
        return cls("ours", parts[1], parts[2], parts[3].split("_")[1])


def run_loop(config: Config) -> None:
    if config.loop == "official":
        run_official(int(config.faces))
    else:
        run_ours(config.view, config.signals == "on", int(config.faces))


def record(config: Config, frames: int, tape_path: Path) -> None:
    """Run the loop natively with the oracle answering the landmark forwards; write the
    tape the counted run plays."""
    from bench import device_replay, device_tape

    clip, _ = SCENES[config.faces]
    scene = device_replay.load_scene(clip, frames)
    tape = device_tape.Tape(device_replay.CAMERA, device_replay.frame_bytes(scene),
                            scene.detections)
    device_tape.install(tape, device_replay.Oracle(scene).answer)
    run_loop(config)
    tape.save(tape_path)


def count(config: Config, tape_path: Path) -> None:
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


# -- the driver: record, count under callgrind, tabulate -------------------------------

STAGE_ROWS = (  # (row, stages of ours, stages of the official loop)
    ("camera read", ("camera",), ("camera",)),
    ("detector (replayed NPU, Objects)", ("detect",), ("detect",)),
    ("crop_image", ("crop",), ("crop",)),
    ("landmarks (replayed NPU, object)", ("landmark",), ("landmark",)),
    ("landmarks -> arrays, Face", ("landmarks",), ()),
    ("tracking", ("total",), ()),
    ("smoothing", ("smooth",), ()),
    ("signals", ("signals",), ()),
    ("overlay (view)", ("render",), ("overlay",)),
    ("HUD", ("hud",), ()),
    ("buttons, caption", ("buttons",), ("buttons",)),
    ("touch, UI", ("touch", "ui input"), ("touch",)),
    ("display", ("display",), ("display",)),
    ("report", ("report",), ()),
    ("loop, rest", ("loop",), ("loop",)),
)


@dataclass
class Counts:
    """One counted run: instructions per (frame, stage) segment, and the start-up."""

    segments: dict[tuple[int, str], int]
    overhead: float  # instructions one marker boundary adds to a segment

    def per_frame(self, first: int) -> dict[str, float]:
        """Mean instructions per frame of each stage over frames >= first."""
        frames = sorted({f for f, _ in self.segments if f >= first})
        totals: dict[str, float] = {}
        for (frame, stage), ir in self.segments.items():
            if frame >= first and frame in frames:
                totals[stage] = totals.get(stage, 0.0) + max(ir - self.overhead, 0.0)
        return {stage: ir / max(len(frames) - 1, 1) for stage, ir in totals.items()}

    def startup(self) -> float:
        """Interpreter start to the end of the first frame (the harness's own set-up out)."""
        return sum(ir - self.overhead for (frame, stage), ir in self.segments.items()
                   if (frame == -1 and stage != "harness") or frame == 0)


def parse_dumps(folder: Path) -> dict[tuple[int, str], int]:
    """Sum callgrind's dumps by their `<frame>|<stage>` trigger label."""
    segments: dict[tuple[int, str], int] = {}
    trigger = "desc: Trigger: Client Request: "
    for path in folder.glob("cg.out.*"):
        label, total = None, None
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith(trigger):
                    label = line[len(trigger):].strip()
                elif line.startswith(("summary:", "totals:")):
                    total = int(line.split()[1])
                    break
        if label and total is not None and "|" in label:
            frame, stage = label.split("|", 1)
            key = (int(frame), stage)
            segments[key] = segments.get(key, 0) + total
    return segments


def callgrind(args: list[str], out: Path, cwd: Path) -> None:
    """Run `python3 bench/device_cost.py ARGS` under callgrind, dumps into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("cg.out*"):
        old.unlink()
    cmd = ["valgrind", "--tool=callgrind", "--dump-instr=no", "--dump-line=no",
           f"--callgrind-out-file={out}/cg.out", sys.executable, str(Path(__file__)), *args]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"counted run failed: {' '.join(args)}\n{result.stderr[-3000:]}")


def measure(config: Config, frames: int, overhead: float) -> Counts:
    work = BUILD / "work" / config.name
    work.mkdir(parents=True, exist_ok=True)
    tape = work / "tape.pickle"
    recorded = subprocess.run([sys.executable, str(Path(__file__)), "--child", "record",
                               "--config", config.name, "--frames", str(frames),
                               "--tape", str(tape)], cwd=work, capture_output=True, text=True)
    if recorded.returncode != 0:
        raise SystemExit(f"recording {config.name} failed:\n{recorded.stderr[-3000:]}")
    callgrind(["--child", "count", "--config", config.name, "--tape", str(tape)],
              work / "dumps", work)
    return Counts(parse_dumps(work / "dumps"), overhead)


def marker_overhead() -> float:
    """Instructions one empty segment counts (the marker's own call around it)."""
    work = BUILD / "work" / "calibrate"
    callgrind(["--child", "calibrate"], work / "dumps", BUILD)
    return parse_dumps(work / "dumps").get((-1, "empty"), 0) / CALIBRATION_SEGMENTS


def default_configs(signals: bool) -> list[Config]:
    configs = [Config("official", "1"), Config("official", "4")]
    for faces in ("1", "4"):
        for view in ("mesh", "points", "depth"):
            for sig in (("on", "off") if signals else ("off",)):
                configs.append(Config("ours", faces, view, sig))
    return configs


def row_value(stages: dict[str, float], names: tuple[str, ...]) -> float:
    return sum(stages.get(name, 0.0) for name in names)


def report(results: dict[str, Counts], warmup: int) -> str:
    lines = []
    per_frame = {name: counts.per_frame(warmup) for name, counts in results.items()}
    for name in sorted(per_frame):
        if not name.startswith("ours"):
            continue
        config = Config.parse(name)
        official = per_frame.get(f"official-{config.faces}", {})
        lines.append(f"\n{name} (instructions per frame, millions; frames {warmup}+)")
        lines.append(f"| {'stage':34} | {'ours':>7} | {'official':>8} |")
        lines.append(f"|{'-' * 36}|{'-' * 9}|{'-' * 10}|")
        for row, ours_stages, official_stages in STAGE_ROWS:
            a = row_value(per_frame[name], ours_stages) / 1e6
            b = row_value(official, official_stages) / 1e6
            if a or b:
                lines.append(f"| {row:34} | {a:7.3f} | {b:8.3f} |")
        total_a = sum(per_frame[name].values()) / 1e6
        total_b = sum(official.values()) / 1e6
        ratio = total_a / total_b if total_b else float("nan")
        lines.append(f"| {'total':34} | {total_a:7.3f} | {total_b:8.3f} |  ratio {ratio:.2f}")
        start_a = results[name].startup() / 1e6
        start_b = results[f"official-{config.faces}"].startup() / 1e6
        lines.append(f"start-up to the first frame shown: ours {start_a:.0f}M, official "
                     f"{start_b:.0f}M, ratio {start_a / start_b:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=30, help="frames per run")
    parser.add_argument("--warmup", type=int, default=5, help="first frames not averaged")
    parser.add_argument("--configs", default="",
                        help="comma-separated config names (default: all; e.g. "
                             "official-1,ours-1-mesh-signals_on)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--child", choices=("record", "count", "calibrate"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--tape", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.child == "calibrate":
        calibrate()
        return 0
    if args.child:
        config = Config.parse(args.config)
        if args.child == "record":
            record(config, args.frames, args.tape)
        else:
            count(config, args.tape)
        return 0

    from app.core.settings import SPECS
    signals = "show_signals" in SPECS
    configs = ([Config.parse(name) for name in args.configs.split(",")] if args.configs
               else default_configs(signals))
    started = _time.monotonic()
    overhead = marker_overhead()
    print(f"# marker overhead {overhead:.0f} instructions per segment (subtracted)",
          flush=True)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {c.name: pool.submit(measure, c, args.frames, overhead) for c in configs}
        results = {name: future.result() for name, future in futures.items()}
    print(report(results, args.warmup))
    if args.json:
        args.json.write_text(json.dumps({
            name: {"per_frame": counts.per_frame(args.warmup), "startup": counts.startup()}
            for name, counts in results.items()}, indent=1))
    default = "ours-1-mesh-signals_on" if signals else "ours-1-mesh-signals_off"
    if default in results and "official-1" in results:
        ours = sum(results[default].per_frame(args.warmup).values()) / 1e6
        official = sum(results["official-1"].per_frame(args.warmup).values()) / 1e6
        print(f"# {len(configs)} runs in {_time.monotonic() - started:.0f} s")
        print(f"per-frame instructions, 1 face, default: ours={ours:.2f}M "
              f"official={official:.2f}M ratio={ours / official:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
