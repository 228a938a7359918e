"""Per-frame cost of our PC pipeline against MediaPipe's own C++ graphs: FaceMesh and
Tasks' FaceLandmarker.

    bash bench/setup.sh      # .venv-bench: MediaPipe 0.10.21 + this app's PC deps
    .venv-bench/bin/python bench/pipeline_vs_mediapipe.py [--frames 300] [--group-frames 100]
                                   [--threads 2] [--detector auto|both|short_range|full_range]
                                   [--gap-ms 0] [--block 30] [--blendshapes-hz 10]
                                   [--no-tasks] [--also-threads N] [--before OTHER_CHECKOUT]
                                   [--only 'LABEL;...'] [--json OUT.json]

Frames are decoded once: tests/data/single_face.mp4 looped (one face), and
tests/data/multi_face.jpg repeated as a video (five faces). The contenders then run
interleaved in this one process, taking turns of `--block` frames in an order that
rotates every turn (so none always runs right after another):

  ours, tracking         FaceTracker as the app builds it (app.yaml settings, smoothing on)
  ours, every frame      the same with tracking=False: detector + landmarks on every frame
  ours, tracking, blendshapes
                         "ours, tracking" plus MediaPipe's blendshape network on LiteRT
                         (models/pc/face_blendshapes.tflite) per track at --blendshapes-hz
                         (expressions.rate_hz's default, 10), on the 146 subset points, as
                         the app's expressions run it (stage "blend"). Once the tracker
                         makes blendshapes itself (a Face with `expression` set) the bench
                         adds nothing and measures the tracker's own cost.
  MediaPipe, tracking    mp.solutions.face_mesh.FaceMesh(static_image_mode=False)
  MediaPipe, every frame FaceMesh(static_image_mode=True)
  Tasks, VIDEO, blendshapes
                         Tasks' FaceLandmarker from models/pc/face_landmarker.task (the same
                         FaceMesh V2 and blendshape models as ours), VIDEO mode (its own
                         tracking), output_face_blendshapes=True (--no-tasks: left out)
  ours, tracking, N thread(s)
                         with --also-threads N: "ours, tracking" on N LiteRT threads
  before, tracking / before, every frame
                         with --before CHECKOUT: ours from another checkout (its app/,
                         app.yaml and models/pc), each in a worker process of its own that
                         decodes the same frames and times its own calls

The ratios printed include the issue's bars: "blendshapes / Tasks" (ours with blendshapes
against Tasks' FaceLandmarker with blendshapes) and "blendshapes / FaceMesh" (the same
against FaceMesh(refine_landmarks=True), tracking). After the scenarios, the blendshape
model alone is timed per evaluation on real landmarks.

both MediaPipe objects with refine_landmarks=True (478 points) and max_num_faces as ours,
fed the same RGB frames. The first `--warmup` frames are run but not counted. Times are
wall-clock per frame (median, p95, mean); "cpu" is process CPU time per frame (all threads),
which shows how much of the 2 cores each one keeps busy. After each of our frames the
overlay is drawn as the app draws it (app.yaml's view, on a copy of the frame): its time
is the "render" stage, outside the compared times, as MediaPipe's process() draws
nothing. LiteRT runs `--threads` threads; MediaPipe picks its own (its desktop build runs
XNNPACK on 1 thread). The header of each table says how busy other processes kept the
CPUs meanwhile: numbers taken on a loaded machine are not comparable.

By default each turn is 30 frames (a second of video), back to back: every contender runs
in the steady state an app running alone is in, and machine drift still hits all four
alike. Two harsher protocols are there to see what the steady state hides:
`--block 1` takes turns frame by frame, so each frame starts with the caches full of the
others' models and, for a multi-threaded runtime, with a second core that idled while a
1-thread contender ran; `--gap-ms 30` idles that long before every call, as a 30 fps
camera app does between frames. On a VM, a vCPU left idle for a few milliseconds takes
~1.2 ms to wake (measured here), which a 2-thread runtime pays at its first operation
and a 1-thread one never does.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# A worker for `--before` (see serve()) imports ANOTHER checkout's app; frames and the
# peer's models still come from this one.
APP_ROOT = (Path(sys.argv[sys.argv.index("--serve") + 1]).resolve()
            if __name__ == "__main__" and "--serve" in sys.argv else ROOT)
sys.path.insert(0, str(APP_ROOT))

from app import backends  # noqa: E402
from app.core.manifest import read_defaults  # noqa: E402
from app.core.render.renderer import Renderer  # noqa: E402
from app.core.render.view import ViewState  # noqa: E402
from app.core.timing import StageClock  # noqa: E402

DATA = ROOT / "tests" / "data"
MANIFEST = APP_ROOT / "app.yaml"
TASK = ROOT / "models" / "pc" / "face_landmarker.task"
BLENDSHAPE_MODEL = ROOT / "models" / "pc" / "face_blendshapes.tflite"
# Per-frame stages of ours, in pipeline order; "other" is total minus the named stages
# (tracker bookkeeping, crop requests, Face values), "post" is landmarks minus its parts.
# "render" (the overlay in the app.yaml view, as the app draws it) comes after "total" and
# is not part of it: MediaPipe's process() draws nothing, so the compared times exclude it.
STAGES = ("detect", "crop", "landmark", "iris", "post", "smooth", "blend", "other", "total",
          "render")


# -- frames ----------------------------------------------------------------------------

def decode_video(path: Path) -> tuple[list[np.ndarray], float]:
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise SystemExit(f"cannot open {path}: run python3 tools/fetch_assets.py")
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
    capture.release()
    return frames, fps


def decode_image(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {path}: run python3 tools/fetch_assets.py")
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


@dataclass
class Scenario:
    name: str
    frames: list[np.ndarray]  # warm-up frames first
    fps: float
    max_faces: int


def scenarios(frames: int, group_frames: int, warmup: int) -> list[Scenario]:
    clip, fps = decode_video(DATA / "single_face.mp4")
    looped = [clip[i % len(clip)] for i in range(warmup + frames)]
    group = decode_image(DATA / "multi_face.jpg")
    return [Scenario("single_face.mp4 looped", looped, fps, 1),
            Scenario("multi_face.jpg as video", [group] * (warmup + group_frames), 30.0, 5)]


# -- contenders ------------------------------------------------------------------------

@dataclass
class Record:
    """Per-frame measurements of one contender (measured frames only)."""

    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    faces: list[int] = field(default_factory=list)
    stages: dict[str, list[float]] = field(default_factory=dict)
    detector_runs: list[int] = field(default_factory=list)
    landmark_runs: list[int] = field(default_factory=list)


class Blendshapes:
    """MediaPipe's blendshape network on LiteRT (models/pc/face_blendshapes.tflite), run
    per track at `rate_hz` as the app's expressions will run it: on a track's frame when
    its period is due, on the 146 subset points in image pixels. Stands in for the
    tracker's own evaluation until the tracker makes it (a face with `expression` set):
    then it does nothing, and the tracker's own cost is what is measured."""

    def __init__(self, threads: int, rate_hz: float) -> None:
        from app.pc.litert import Model
        from app.core.expressions.tables import BLENDSHAPE_INPUT_POINTS

        self.model = Model(BLENDSHAPE_MODEL, threads)
        self.subset = np.asarray(BLENDSHAPE_INPUT_POINTS, np.intp)
        self.period = 1.0 / rate_hz
        self.last: dict[int, float] = {}
        self.evaluations = 0

    def __call__(self, faces: list, t: float) -> None:
        for face in faces:
            if face.expression is not None:  # the tracker evaluates them itself
                continue
            last = self.last.get(face.track_id)
            if last is not None and t - last < self.period - 1e-6:
                continue
            self.last[face.track_id] = t
            self.model.input()[0] = face.xy[self.subset]
            self.model.invoke()
            self.evaluations += 1


class Ours:
    def __init__(self, label: str, settings, max_faces: int, tracking: bool,
                 blendshapes_hz: float = 0.0) -> None:
        self.label = label
        self.clock = StageClock()
        settings = settings.replace(max_faces=max_faces)
        if blendshapes_hz > 0 and hasattr(settings, "expressions_rate_hz"):
            # The tracker's own expressions, once it has them, at the same rate.
            settings = settings.replace(expressions_rate_hz=blendshapes_hz)
        # A video, as the app assembles it for one.
        models = backends.pc_models(settings, still=False, tracking=tracking, clock=self.clock)
        self.tracker = backends.make_tracker(models, settings, tracking=tracking,
                                             clock=self.clock)
        self.blendshapes = (Blendshapes(settings.pc_threads, blendshapes_hz)
                            if blendshapes_hz > 0 else None)
        self.renderer = Renderer()
        self.view = ViewState.from_settings(settings)
        self._faces: list = []
        self._canvas: np.ndarray | None = None
        self.record = Record()

    def step(self, frame: np.ndarray, t: float) -> int:
        self.clock.new_frame()
        with self.clock.stage("total"):
            self._faces = self.tracker.update(frame, t)
            if self.blendshapes is not None:
                with self.clock.stage("blend"):
                    self.blendshapes(self._faces, t)
        return len(self._faces)

    def render(self, frame: np.ndarray) -> None:
        """Draw the last step's faces as the app does, on a copy (the frames are shared)."""
        if self._canvas is None or self._canvas.shape != frame.shape:
            self._canvas = np.empty_like(frame)
        self._canvas[...] = frame
        with self.clock.stage("render"):
            self.renderer.draw(self._canvas, self._faces, self.view)

    def extra(self, record: Record) -> None:
        ms = self.clock.ms()
        named = {name: ms.get(name, 0.0) for name in ("detect", "crop", "landmark", "iris",
                                                      "smooth", "blend", "total", "render")}
        named["post"] = ms.get("landmarks", 0.0) - named["crop"] - named["landmark"] - named["iris"]
        named["other"] = (named["total"] - named["detect"] - ms.get("landmarks", 0.0)
                          - named["smooth"] - named["blend"])
        for name in STAGES:
            record.stages.setdefault(name, []).append(named[name])
        record.detector_runs.append(self.tracker.stats.detector_runs)
        record.landmark_runs.append(self.tracker.stats.landmark_runs)

    def close(self) -> None:
        pass


class MediaPipeFaceMesh:
    def __init__(self, label: str, max_faces: int, static: bool) -> None:
        import mediapipe as mp

        self.label = label
        self.mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=static,
                                                    max_num_faces=max_faces,
                                                    refine_landmarks=True)
        self.record = Record()

    def step(self, frame: np.ndarray, t: float) -> int:
        results = self.mesh.process(frame)
        return len(results.multi_face_landmarks or [])

    def render(self, frame: np.ndarray) -> None:
        pass

    def extra(self, record: Record) -> None:
        pass

    def close(self) -> None:
        self.mesh.close()


class MediaPipeTasks:
    """MediaPipe Tasks' FaceLandmarker on models/pc/face_landmarker.task: VIDEO mode (its
    own tracking), blendshapes on, num_faces as ours."""

    def __init__(self, label: str, max_faces: int) -> None:
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions
        from mediapipe.tasks.python import vision

        self.label = label
        self._image = lambda rgb: mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(TASK)),
            running_mode=vision.RunningMode.VIDEO, num_faces=max_faces,
            output_face_blendshapes=True)
        self.landmarker = vision.FaceLandmarker.create_from_options(options)
        self._last_ms = -1
        self.record = Record()

    def step(self, frame: np.ndarray, t: float) -> int:
        # VIDEO mode wants strictly increasing timestamps; a looped clip's are.
        ms = max(int(round(t * 1000)), self._last_ms + 1)
        self._last_ms = ms
        result = self.landmarker.detect_for_video(self._image(frame), ms)
        return len(result.face_landmarks)

    def render(self, frame: np.ndarray) -> None:
        pass

    def extra(self, record: Record) -> None:
        pass

    def close(self) -> None:
        self.landmarker.close()


class Remote:
    """Ours from another checkout (`--before`), run in a worker process of its own (two
    `app` packages cannot share one interpreter). The worker decodes the same frames,
    runs the same turns when told and times each call itself (wall and its own CPU
    time); it waits, idle, while the others run, as an in-process contender does."""

    def __init__(self, label: str, checkout: Path, scenario: str, threads: int,
                 max_faces: int, tracking: bool, frames: int, group_frames: int,
                 warmup: int) -> None:
        self.label = label
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", str(checkout),
             "--scenario", scenario, "--threads", str(threads), "--max-faces", str(max_faces),
             "--tracking", str(int(tracking)), "--frames", str(frames),
             "--group-frames", str(group_frames), "--warmup", str(warmup)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self._expect("ready")
        self.record = Record()
        self._stages: dict[str, float] = {}

    def _expect(self, word: str) -> str:
        line = self.proc.stdout.readline()
        if not line.startswith(word):
            raise SystemExit(f"{self.label}: worker said {line!r}, expected {word}")
        return line[len(word):].strip()

    def timed_step(self, index: int, measured: bool) -> tuple[int, float, float]:
        self.proc.stdin.write(f"step {index} {int(measured)}\n")
        reply = json.loads(self._expect("done"))
        self._stages = reply["stages"]
        return reply["faces"], reply["wall"], reply["cpu"]

    def extra(self, record: Record) -> None:
        for name in STAGES:
            record.stages.setdefault(name, []).append(self._stages[name])
        record.detector_runs.append(self._stages["detector_runs"])
        record.landmark_runs.append(self._stages["landmark_runs"])

    def render(self, frame: np.ndarray) -> None:
        pass  # the worker draws its own overlay

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def serve(args: argparse.Namespace) -> int:
    """The worker of Remote: ours, from the checkout in sys.path[0], on the scenario's
    frames; one JSON line per `step INDEX MEASURED` line on stdin."""
    reply = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever the app prints goes to stderr, not into the replies
    settings = read_defaults(MANIFEST, lambda m: None).replace(pc_threads=args.threads)
    scenario = next(s for s in scenarios(args.frames, args.group_frames, args.warmup)
                    if s.name == args.scenario)
    ours = Ours("worker", settings, args.max_faces, tracking=bool(args.tracking))
    reply.write("ready\n")
    for line in sys.stdin:
        _, index, measured = line.split()
        frame = scenario.frames[int(index)]
        wall0, cpu0 = time.perf_counter(), time.process_time()
        faces = ours.step(frame, int(index) / scenario.fps)
        wall = (time.perf_counter() - wall0) * 1000.0
        cpu = (time.process_time() - cpu0) * 1000.0
        stages: dict[str, float] = {}
        if int(measured):
            ours.render(frame)
            record = Record()
            ours.extra(record)
            stages = {k: v[0] for k, v in record.stages.items()}
            stages["detector_runs"] = record.detector_runs[0]
            stages["landmark_runs"] = record.landmark_runs[0]
        reply.write("done " + json.dumps({"faces": faces, "wall": wall, "cpu": cpu,
                                          "stages": stages}) + "\n")
    return 0


def blendshape_cost(threads: int, runs: int = 300) -> dict[str, float]:
    """The blendshape model alone on LiteRT, ms per evaluation, on real landmarks (the
    first face of single_face.jpg as the app finds it)."""
    from app.core.settings import Settings

    models = backends.pc_models(Settings().replace(pc_threads=threads), still=True,
                                tracking=False)
    face = backends.make_tracker(models, Settings().replace(max_faces=1),
                                 tracking=False).update(decode_image(DATA / "single_face.jpg"),
                                                        0.0)[0]
    blend = Blendshapes(threads, 1.0)
    blend.model.input()[0] = face.xy[blend.subset]
    times = []
    for _ in range(runs + 10):
        t0 = time.perf_counter()
        blend.model.invoke()
        times.append((time.perf_counter() - t0) * 1000.0)
    wall = np.asarray(times[10:])
    return {"median_ms": float(np.median(wall)), "p95_ms": float(np.percentile(wall, 95)),
            "mean_ms": float(wall.mean()), "runs": runs}


def run_scenario(scenario: Scenario, contenders: list, warmup: int, gap_s: float = 0.0,
                 block: int = 1) -> None:
    """Every contender sees every frame in order; turns rotate every `block` frames."""
    for start in range(0, len(scenario.frames), block):
        turn = start // block
        shift = turn % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            for index in range(start, min(start + block, len(scenario.frames))):
                step(contender, scenario.frames[index], index, index / scenario.fps,
                     index >= warmup, gap_s)


def step(contender, frame: np.ndarray, index: int, t: float, measured: bool,
         gap_s: float) -> None:
    if gap_s > 0:
        time.sleep(gap_s)
    if isinstance(contender, Remote):
        faces, wall, cpu = contender.timed_step(index, measured)
    else:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        faces = contender.step(frame, t)
        wall = (time.perf_counter() - wall0) * 1000.0
        cpu = (time.process_time() - cpu0) * 1000.0
    if not measured:
        return
    contender.render(frame)  # after the timed call: not in the compared wall / cpu times
    record = contender.record
    record.wall_ms.append(wall)
    record.cpu_ms.append(cpu)
    record.faces.append(faces)
    contender.extra(record)


# -- report ----------------------------------------------------------------------------

def summary(record: Record) -> dict[str, Any]:
    wall = np.asarray(record.wall_ms)
    out: dict[str, Any] = {
        "frames": len(wall),
        "median_ms": float(np.median(wall)),
        "p95_ms": float(np.percentile(wall, 95)),
        "mean_ms": float(wall.mean()),
        "cpu_mean_ms": float(np.mean(record.cpu_ms)),
        "faces_per_frame": float(np.mean(record.faces)),
    }
    if record.stages:
        out["stages_median_ms"] = {k: float(np.median(v)) for k, v in record.stages.items()}
        out["stages_mean_ms"] = {k: float(np.mean(v)) for k, v in record.stages.items()}
        out["detector_runs_per_frame"] = float(np.mean(record.detector_runs))
        out["landmark_runs_per_frame"] = float(np.mean(record.landmark_runs))
    return out


# (name, ours, theirs): the ratios printed, for the pairs whose both sides ran.
PAIRS = (("tracking", "ours, tracking", "MediaPipe, tracking"),
         ("every frame", "ours, every frame", "MediaPipe, every frame"),
         ("blendshapes / Tasks", "ours, tracking, blendshapes", "Tasks, VIDEO, blendshapes"),
         ("blendshapes / FaceMesh", "ours, tracking, blendshapes", "MediaPipe, tracking"),
         ("now / before, tracking", "ours, tracking", "before, tracking"),
         ("now / before, every frame", "ours, every frame", "before, every frame"))


def print_scenario(title: str, results: dict[str, dict[str, Any]]) -> None:
    print(f"\n## {title}")
    print(f"{'':28s} {'median':>7s} {'p95':>7s} {'mean':>7s} {'cpu':>7s} "
          f"{'faces':>6s} {'det/f':>6s} {'lmk/f':>6s}")
    for label, s in results.items():
        det = f"{s['detector_runs_per_frame']:6.2f}" if "detector_runs_per_frame" in s else f"{'-':>6s}"
        lmk = f"{s['landmark_runs_per_frame']:6.2f}" if "landmark_runs_per_frame" in s else f"{'-':>6s}"
        print(f"{label:28s} {s['median_ms']:7.2f} {s['p95_ms']:7.2f} {s['mean_ms']:7.2f} "
              f"{s['cpu_mean_ms']:7.2f} {s['faces_per_frame']:6.2f} {det} {lmk}")
    for name, values in ratios(results).items():
        print(f"ratio {name:26s} median {values['median_ms']:5.2f}   p95 {values['p95_ms']:5.2f}"
              f"   mean {values['mean_ms']:5.2f}   cpu {values['cpu_mean_ms']:5.2f}")
    print(f"{'stage ms (median/mean)':28s}" + "".join(f"{s:>14s}" for s in STAGES))
    for label, s in results.items():
        if "stages_median_ms" not in s:
            continue
        cells = "".join(f"{s['stages_median_ms'][k]:6.2f} /{s['stages_mean_ms'][k]:6.2f}"
                        for k in STAGES)
        print(f"{label:28s}{cells}")


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    return {name: {k: results[ours][k] / results[theirs][k]
                   for k in ("median_ms", "p95_ms", "mean_ms", "cpu_mean_ms")}
            for name, ours, theirs in PAIRS if ours in results and theirs in results}


class CpuLoad:
    """How much of the machine's CPU time went to other processes since `start()`."""

    def start(self) -> None:
        self._busy, self._own, self._wall = _busy_seconds(), time.process_time(), time.monotonic()

    def others(self) -> float:
        """Fraction of all cores busy with other processes (NaN without /proc/stat)."""
        busy = _busy_seconds() - self._busy
        own = time.process_time() - self._own
        wall = time.monotonic() - self._wall
        return max(0.0, busy - own) / (wall * (os.cpu_count() or 1))


def _busy_seconds() -> float:
    """Busy CPU seconds of the whole machine (all cores) from /proc/stat, NaN elsewhere."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return float("nan")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    busy = sum(fields[:8]) - idle  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def machine() -> dict[str, Any]:
    try:
        model = next(line.split(":", 1)[1].strip()
                     for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout
                     .splitlines() if line.startswith("Model name"))
    except (OSError, StopIteration):
        model = platform.processor() or "unknown"
    from importlib.metadata import version
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "opencv": cv2.__version__,
            "mediapipe": version("mediapipe"), "ai-edge-litert": version("ai-edge-litert")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=300,
                        help="measured frames of the looped single-face video (default 300)")
    parser.add_argument("--group-frames", type=int, default=100,
                        help="measured frames of the 5-face video (default 100; 0 skips it)")
    parser.add_argument("--warmup", type=int, default=10, help="uncounted first frames")
    parser.add_argument("--threads", type=int, default=2, help="LiteRT threads (ours)")
    parser.add_argument("--detector", choices=("auto", "both", "short_range", "full_range"),
                        help="our detector models (default: pc.detector in app.yaml)")
    parser.add_argument("--gap-ms", type=float, default=0.0,
                        help="idle this long before every call (30: paced like a camera)")
    parser.add_argument("--block", type=int, default=30,
                        help="frames each contender runs per turn (default 30; 1: frame by frame)")
    parser.add_argument("--blendshapes-hz", type=float, default=10.0,
                        help="rate of the blendshape evaluations per track in the "
                             "'ours, tracking, blendshapes' contender (default 10, as "
                             "expressions.rate_hz; 0 leaves that contender out)")
    parser.add_argument("--no-tasks", action="store_true",
                        help="leave out MediaPipe Tasks' FaceLandmarker")
    parser.add_argument("--before", type=Path, metavar="CHECKOUT",
                        help="also run another checkout's pipeline (its app/, app.yaml and "
                             "models/pc), tracking and every frame, in worker processes")
    parser.add_argument("--also-threads", type=int, metavar="N",
                        help="also run 'ours, tracking, N threads' (LiteRT threads compared "
                             "in one run)")
    parser.add_argument("--only", metavar="LABEL;...",
                        help="run only these contenders (labels separated by ';')")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    # The worker of --before (internal).
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--max-faces", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tracking", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args)

    settings = read_defaults(MANIFEST, lambda m: print(f"warning: {m}", file=sys.stderr))
    settings = settings.replace(pc_threads=args.threads)
    if args.detector:
        settings = settings.replace(pc_detector=args.detector)
    info = machine()
    print(f"# {info['cpu']}, {info['cores']} cores; Python {info['python']}, numpy "
          f"{info['numpy']}, mediapipe {info['mediapipe']}, ai-edge-litert "
          f"{info['ai-edge-litert']} ({args.threads} threads), opencv {info['opencv']}")
    print(f"# ours: detector {settings.pc_detector}, tiling {settings.pc_tiling}, "
          f"interval {settings.detector_interval}, smoothing {settings.smoothing}; "
          f"{args.warmup} warm-up frames not counted; times in ms per frame; "
          + (f"{args.gap_ms:g} ms idle before each call" if args.gap_ms else "back to back")
          + f"; turns of {max(1, args.block)} frame(s)")
    report: dict[str, Any] = {"machine": info, "threads": args.threads, "warmup": args.warmup,
                              "gap_ms": args.gap_ms, "block": max(1, args.block),
                              "settings": {"detector": settings.pc_detector,
                                           "tiling": settings.pc_tiling,
                                           "detector_interval": settings.detector_interval,
                                           "smoothing": settings.smoothing},
                              "scenarios": {}}
    for scenario in scenarios(args.frames, args.group_frames, args.warmup):
        if len(scenario.frames) <= args.warmup:
            continue
        n = scenario.max_faces
        makers = [
            ("ours, tracking", lambda: Ours("ours, tracking", settings, n, tracking=True)),
            ("ours, every frame", lambda: Ours("ours, every frame", settings, n,
                                               tracking=False)),
            ("ours, tracking, blendshapes", lambda: Ours(
                "ours, tracking, blendshapes", settings, n, tracking=True,
                blendshapes_hz=args.blendshapes_hz) if args.blendshapes_hz > 0 else None),
            ("MediaPipe, tracking", lambda: MediaPipeFaceMesh("MediaPipe, tracking", n,
                                                              static=False)),
            ("MediaPipe, every frame", lambda: MediaPipeFaceMesh("MediaPipe, every frame", n,
                                                                 static=True)),
            ("Tasks, VIDEO, blendshapes", lambda: None if args.no_tasks else MediaPipeTasks(
                "Tasks, VIDEO, blendshapes", n)),
        ]
        if args.also_threads:
            label = f"ours, tracking, {args.also_threads} thread(s)"
            makers.append((label, lambda label=label: Ours(
                label, settings.replace(pc_threads=args.also_threads), n, tracking=True)))
        if args.before:
            makers += [(f"before, {kind}", lambda kind=kind, tracking=tracking: Remote(
                f"before, {kind}", args.before.resolve(), scenario.name, args.threads, n,
                tracking, args.frames, args.group_frames, args.warmup))
                for kind, tracking in (("tracking", True), ("every frame", False))]
        only = {label.strip() for label in args.only.split(";")} if args.only else None
        if only and only - {label for label, _ in makers}:
            raise SystemExit(f"--only: no contender {sorted(only - {l for l, _ in makers})}")
        contenders = [c for c in (make() for label, make in makers
                                  if only is None or label in only) if c is not None]
        load = CpuLoad()
        load.start()
        try:
            run_scenario(scenario, contenders, args.warmup, args.gap_ms / 1000,
                         max(1, args.block))
            others = load.others()
        finally:
            for contender in contenders:
                contender.close()
        results = {c.label: summary(c.record) for c in contenders}
        h, w = scenario.frames[0].shape[:2]
        title = (f"{scenario.name}: {len(scenario.frames) - args.warmup} frames {w}x{h}, "
                 f"max faces {n}; other processes kept {others:.0%} of the CPUs busy")
        print_scenario(title, results)
        report["scenarios"][scenario.name] = {"frames": len(scenario.frames) - args.warmup,
                                              "size": [w, h], "max_faces": n,
                                              "other_processes_cpu": others,
                                              "results": results, "ratios": ratios(results)}
    if args.blendshapes_hz > 0:
        cost = blendshape_cost(args.threads)
        report["blendshape_model"] = cost
        print(f"\nblendshape model alone (LiteRT, {args.threads} threads, {cost['runs']} runs): "
              f"median {cost['median_ms']:.3f} ms, p95 {cost['p95_ms']:.3f} ms per evaluation")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
