"""Per-frame cost of our PC pipeline against MediaPipe's own C++ FaceMesh graph.

    bash bench/setup.sh      # .venv-bench: MediaPipe 0.10.21 + this app's PC deps
    .venv-bench/bin/python bench/pipeline_vs_mediapipe.py [--frames 300] [--group-frames 100]
                                   [--threads 2] [--detector auto|both|short_range|full_range]
                                   [--gap-ms 0] [--block 30] [--json OUT.json]

Frames are decoded once: tests/data/single_face.mp4 looped (one face), and
tests/data/multi_face.jpg repeated as a video (five faces). Four contenders then run
interleaved in this one process, taking turns of `--block` frames in an order that
rotates every turn (so none always runs right after another):

  ours, tracking         FaceTracker as the app builds it (app.yaml settings, smoothing on)
  ours, every frame      the same with tracking=False: detector + landmarks on every frame
  MediaPipe, tracking    mp.solutions.face_mesh.FaceMesh(static_image_mode=False)
  MediaPipe, every frame FaceMesh(static_image_mode=True)

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
sys.path.insert(0, str(ROOT))

from app import backends  # noqa: E402
from app.core.manifest import read_defaults  # noqa: E402
from app.core.render.renderer import Renderer  # noqa: E402
from app.core.render.view import ViewState  # noqa: E402
from app.core.timing import StageClock  # noqa: E402

DATA = ROOT / "tests" / "data"
MANIFEST = ROOT / "app.yaml"
# Per-frame stages of ours, in pipeline order; "other" is total minus the named stages
# (tracker bookkeeping, crop requests, Face values), "post" is landmarks minus its parts.
# "render" (the overlay in the app.yaml view, as the app draws it) comes after "total" and
# is not part of it: MediaPipe's process() draws nothing, so the compared times exclude it.
STAGES = ("detect", "crop", "landmark", "iris", "post", "smooth", "other", "total", "render")


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


class Ours:
    def __init__(self, label: str, settings, max_faces: int, tracking: bool) -> None:
        self.label = label
        self.clock = StageClock()
        settings = settings.replace(max_faces=max_faces)
        # A video, as the app assembles it for one.
        models = backends.pc_models(settings, still=False, tracking=tracking, clock=self.clock)
        self.tracker = backends.make_tracker(models, settings, tracking=tracking,
                                             clock=self.clock)
        self.renderer = Renderer()
        self.view = ViewState.from_settings(settings)
        self._faces: list = []
        self._canvas: np.ndarray | None = None
        self.record = Record()

    def step(self, frame: np.ndarray, t: float) -> int:
        self.clock.new_frame()
        with self.clock.stage("total"):
            self._faces = self.tracker.update(frame, t)
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
                                                      "smooth", "total", "render")}
        named["post"] = ms.get("landmarks", 0.0) - named["crop"] - named["landmark"] - named["iris"]
        named["other"] = (named["total"] - named["detect"] - ms.get("landmarks", 0.0)
                          - named["smooth"])
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


def run_scenario(scenario: Scenario, contenders: list, warmup: int, gap_s: float = 0.0,
                 block: int = 1) -> None:
    """Every contender sees every frame in order; turns rotate every `block` frames."""
    for start in range(0, len(scenario.frames), block):
        turn = start // block
        shift = turn % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            for index in range(start, min(start + block, len(scenario.frames))):
                step(contender, scenario.frames[index], index / scenario.fps, index >= warmup,
                     gap_s)


def step(contender, frame: np.ndarray, t: float, measured: bool, gap_s: float) -> None:
    if gap_s > 0:
        time.sleep(gap_s)
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


PAIRS = (("tracking", "ours, tracking", "MediaPipe, tracking"),
         ("every frame", "ours, every frame", "MediaPipe, every frame"))


def print_scenario(title: str, results: dict[str, dict[str, Any]]) -> None:
    print(f"\n## {title}")
    print(f"{'':24s} {'median':>7s} {'p95':>7s} {'mean':>7s} {'cpu':>7s} "
          f"{'faces':>6s} {'det/f':>6s} {'lmk/f':>6s}")
    for label, s in results.items():
        det = f"{s['detector_runs_per_frame']:6.2f}" if "detector_runs_per_frame" in s else f"{'-':>6s}"
        lmk = f"{s['landmark_runs_per_frame']:6.2f}" if "landmark_runs_per_frame" in s else f"{'-':>6s}"
        print(f"{label:24s} {s['median_ms']:7.2f} {s['p95_ms']:7.2f} {s['mean_ms']:7.2f} "
              f"{s['cpu_mean_ms']:7.2f} {s['faces_per_frame']:6.2f} {det} {lmk}")
    for name, ours, theirs in PAIRS:
        a, b = results[ours], results[theirs]
        print(f"ratio ours/MediaPipe, {name:12s} median {a['median_ms'] / b['median_ms']:5.2f}"
              f"   p95 {a['p95_ms'] / b['p95_ms']:5.2f}   mean {a['mean_ms'] / b['mean_ms']:5.2f}"
              f"   cpu {a['cpu_mean_ms'] / b['cpu_mean_ms']:5.2f}")
    print(f"{'ours, stage ms (median/mean)':30s}" + "".join(f"{s:>14s}" for s in STAGES))
    for label in (PAIRS[0][1], PAIRS[1][1]):
        s = results[label]
        cells = "".join(f"{s['stages_median_ms'][k]:6.2f} /{s['stages_mean_ms'][k]:6.2f}"
                        for k in STAGES)
        print(f"{label:30s}{cells}")


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    return {name: {k: results[ours][k] / results[theirs][k]
                   for k in ("median_ms", "p95_ms", "mean_ms", "cpu_mean_ms")}
            for name, ours, theirs in PAIRS}


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
    parser.add_argument("--json", type=Path, help="write the numbers here")
    args = parser.parse_args(argv)

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
        contenders = [
            Ours("ours, tracking", settings, n, tracking=True),
            Ours("ours, every frame", settings, n, tracking=False),
            MediaPipeFaceMesh("MediaPipe, tracking", n, static=False),
            MediaPipeFaceMesh("MediaPipe, every frame", n, static=True),
        ]
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
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
