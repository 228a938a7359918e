"""Whole-process marginal cost per frame on a real clip: ours against MediaPipe's peers.

    .venv/bin/python bench/marginal.py [--runs 3] [--repeat 5] [--before OTHER_CHECKOUT]
                                       [--mediapipe-python .venv-bench/bin/python]
                                       [--settings FILE.ini]

tests/data/single_face.mp4 (72 frames, 640x360) is written once as a short clip (the
clip itself, re-encoded) and a long one (`--repeat` times the clip, back to back), both
with OpenCV's mp4v, so every contender reads the same frames. Each contender runs as a
whole new process on each clip; the marginal cost of a frame is

    (median time on the long clip - median time on the short one) / (frames between),

which leaves out start-up, model loading and exit (those are bench/startup.py's). Wall
time and CPU time (user + system, all threads, the kernel's accounting of the reaped
child) both. The contenders take turns, in an order that rotates every round:

  ours          main.py --source CLIP --json OUT.jsonl --headless (app.yaml settings,
                or `--settings FILE.ini` on top: e.g. blendshapes on once the tracker
                makes them)
  before        the same with another checkout's main.py (`--before`)
  FaceMesh      bench/mediapipe_video.py --peer facemesh: FaceMesh(refine_landmarks=True),
                its own tracking
  Tasks         bench/mediapipe_video.py --peer tasks: FaceLandmarker, VIDEO mode,
                blendshapes on (models/pc/face_landmarker.task)

MediaPipe gets max_num_faces = our max_faces. Printed: per contender the medians, the
marginal per frame, and the ratios of ours to each other one.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.manifest import read_defaults  # noqa: E402


@dataclass
class Contender:
    name: str
    argv: list[str]  # with {clip} and {out}
    runs: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    frames: dict[str, int] = field(default_factory=dict)

    def command(self, clip: Path, out: Path) -> list[str]:
        return [a.replace("{clip}", str(clip)).replace("{out}", str(out)) for a in self.argv]


def write_clips(workdir: Path, repeat: int) -> dict[str, tuple[Path, int]]:
    capture = cv2.VideoCapture(str(ROOT / "tests" / "data" / "single_face.mp4"))
    if not capture.isOpened():
        raise SystemExit("no tests/data/single_face.mp4: run python tools/fetch_assets.py")
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(bgr)
    capture.release()
    clips = {}
    for name, times in (("short", 1), ("long", repeat)):
        path = workdir / f"{name}.mp4"
        h, w = frames[0].shape[:2]
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        for _ in range(times):
            for frame in frames:
                writer.write(frame)
        writer.release()
        clips[name] = (path, len(frames) * times)
    return clips


def run_once(contender: Contender, clip: Path, workdir: Path) -> tuple[float, float, int]:
    """One whole process: (wall s, cpu s, JSON lines written)."""
    out = workdir / f"{contender.name}.jsonl"
    out.unlink(missing_ok=True)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as a user's second run
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(contender.command(clip, out), cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"{contender.name} failed:\n"
                             + err.read().decode(errors="replace")[-2000:])
    return wall, usage.ru_utime + usage.ru_stime, len(out.read_text().splitlines())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="counted runs of each (default 3)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="the long clip is the clip this many times (default 5)")
    parser.add_argument("--mediapipe-python", type=Path,
                        default=ROOT / ".venv-bench" / "bin" / "python",
                        help="a Python with mediapipe 0.10.21 (bash bench/setup.sh)")
    parser.add_argument("--before", type=Path, metavar="CHECKOUT",
                        help="also run another checkout's main.py")
    parser.add_argument("--settings", type=Path, metavar="FILE.ini",
                        help="settings INI for ours (as main.py --settings)")
    parser.add_argument("--no-peers", action="store_true", help="ours (and before) only")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    if not args.no_peers and not args.mediapipe_python.exists():
        raise SystemExit(f"no {args.mediapipe_python}: run bash bench/setup.sh")
    max_faces = read_defaults(ROOT / "app.yaml", lambda message: None).max_faces
    ours_args = ["--source", "{clip}", "--json", "{out}", "--headless"]
    if args.settings:
        ours_args += ["--settings", str(args.settings.resolve())]
    contenders = [Contender("ours", [sys.executable, str(ROOT / "main.py"), *ours_args])]
    if args.before:
        contenders.append(Contender("before", [sys.executable,
                                               str(args.before.resolve() / "main.py"),
                                               *ours_args]))
    if not args.no_peers:
        peer = [str(args.mediapipe_python), str(ROOT / "bench" / "mediapipe_video.py"),
                "{clip}", "{out}", "--max-faces", str(max_faces)]
        contenders += [Contender("FaceMesh", peer + ["--peer", "facemesh"]),
                       Contender("Tasks", peer + ["--peer", "tasks"])]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        clips = write_clips(workdir, args.repeat)
        for contender in contenders:  # warm-up: bytecode, page cache
            run_once(contender, clips["short"][0], workdir)
        for turn in range(args.runs):
            shift = turn % len(contenders)
            for contender in contenders[shift:] + contenders[:shift]:
                for name, (clip, frames) in clips.items():
                    wall, cpu, lines = run_once(contender, clip, workdir)
                    contender.runs.setdefault(name, []).append((wall, cpu))
                    contender.frames[name] = lines
    (short, n_short), (long, n_long) = clips["short"], clips["long"]
    frames = n_long - n_short
    print(f"whole process on single_face.mp4 x1 ({n_short} frames) and x{args.repeat} "
          f"({n_long}), {args.runs} runs each in turns; {os.cpu_count()} CPUs, load "
          f"{os.getloadavg()[0]:.2f}; ms per frame = (long - short) / {frames}")
    report: dict = {"frames": [n_short, n_long], "runs": args.runs, "contenders": {}}
    for c in contenders:
        med = {name: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
               for name, runs in c.runs.items()}
        wall = (med["long"][0] - med["short"][0]) / frames * 1000
        cpu = (med["long"][1] - med["short"][1]) / frames * 1000
        report["contenders"][c.name] = {"short_s": med["short"], "long_s": med["long"],
                                        "marginal_wall_ms": wall, "marginal_cpu_ms": cpu,
                                        "lines": c.frames}
        print(f"  {c.name:9s} short {med['short'][0]:6.2f} s (cpu {med['short'][1]:6.2f})   "
              f"long {med['long'][0]:6.2f} s (cpu {med['long'][1]:6.2f})   marginal "
              f"{wall:6.2f} ms wall, {cpu:6.2f} ms cpu a frame   lines {c.frames}")
    ours = report["contenders"]["ours"]
    for c in contenders[1:]:
        other = report["contenders"][c.name]
        print(f"  ours / {c.name:9s} marginal wall {ours['marginal_wall_ms'] / other['marginal_wall_ms']:5.2f}"
              f"   cpu {ours['marginal_cpu_ms'] / other['marginal_cpu_ms']:5.2f}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
