"""Count the CPU work the MaixCAM does per frame: our app loop against the official app's.

    bash bench/device_cost.sh [--configs A,B] [--frames 30] [--warmup 5] [--json OUT]

(as root; it builds what it needs and runs this file inside the bench's MaixPy root).
On the MaixCAM every instruction around the two NPU calls runs on a 1 GHz in-order
RISC-V core, so that work decides the frame rate as much as the models do; wall time
on this shared PC is noise, instruction counts are not.

Both loops run on the real x86_64 MaixPy (maix images, crop_image, draw_face, display,
touch) over the same real frames at the camera's 320x224 (tests/data/single_face.mp4 for
one face, multi_face.jpg for four), with only the camera and the two NPU forwards
replaced by a tape of real model outputs in maix's own types (bench/device_tape.py,
recorded by bench/device_replay.py). valgrind's callgrind counts x86 instructions; a
marker library (bench/cgmark.c) makes it dump the count at every stage boundary, so one
run gives each stage's instructions per frame, and the start-up.

- ours:     the real app, `app.launch.run(["--backend", "device"])`, settings as saved in
            data/config.ini (view, face limit 2 or 4, SIG on or off; HUD and buttons on);
            stages from the app's own StageClock plus the loop's read, input, show, sinks
            (bench/device_loops.py). The loop's clock runs at 20 fps. Face reports go out
            every frame over the Maix communication protocol as on a wired device: the
            UART is cut (MaixPy's PC build has none), MaixCDK's encoder frames each one.
- official: MaixPy's projects/app_face_landmarks/main.py loop as written there (detect every
            frame -> crop_image -> detect -> draw_face of 478 points -> back icon, mode
            button and caption -> show -> touch), with the same stand-ins.

Per-frame figures are means over the frames after `--warmup` (the first frames build
caches); start-up is everything from the interpreter's start to the end of the first
frame, imports included, bytecode cached (as on the device after its first start). The
detector's own CPU post-processing (YOLO decoding and NMS in MaixCDK) is not in the tape:
it counts as zero in both loops, which favours the official loop (it runs the detector
on every frame, ours every `detector.interval` frames at most): our ratios are upper
bounds. The display is MaixPy's PC build (SDL, dummy driver): the same call in both loops,
its count reported apart in the table.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time as _time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "bench" / ".build"
sys.path.insert(0, str(ROOT))

from bench.device_loops import CALIBRATION_SEGMENTS  # noqa: E402

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

    segments: dict[tuple[int, str], list[int]]  # (frame, stage): each segment's count
    overhead: float  # instructions one marker boundary adds to a segment

    def _net(self, counts: list[int]) -> float:
        return sum(max(ir - self.overhead, 0.0) for ir in counts)

    def per_frame(self, first: int) -> dict[str, float]:
        """Mean instructions per frame of each stage over frames >= first."""
        frames = sorted({f for f, _ in self.segments if f >= first})
        totals: dict[str, float] = {}
        for (frame, stage), counts in self.segments.items():
            if frame >= first:
                totals[stage] = totals.get(stage, 0.0) + self._net(counts)
        return {stage: ir / max(len(frames), 1) for stage, ir in totals.items()}

    def startup(self) -> float:
        """Interpreter start to the end of the first frame (the harness's own set-up out)."""
        return sum(self._net(counts) for (frame, stage), counts in self.segments.items()
                   if (frame == -1 and stage != "harness") or frame == 0)


def parse_dumps(folder: Path) -> dict[tuple[int, str], list[int]]:
    """Callgrind's dumps grouped by their `<frame>|<stage>` trigger label (a stage can
    run several times a frame: one crop per face)."""
    segments: dict[tuple[int, str], list[int]] = {}
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
            segments.setdefault(key, []).append(total)
    return segments


def child(args: list[str], cwd: Path, counted_into: Path | None = None) -> None:
    """`python3 -m bench.device_loops ARGS` in `cwd`; under callgrind (dumps into
    `counted_into`) when given. Bytecode is cached (as on the device after its first
    start), so a counted run does not pay for compiling the app."""
    cmd = [sys.executable, "-m", "bench.device_loops", *args]
    if counted_into is not None:
        counted_into.mkdir(parents=True, exist_ok=True)
        for old in counted_into.glob("cg.out*"):
            old.unlink()
        cmd = ["valgrind", "--tool=callgrind", "--dump-instr=no", "--dump-line=no",
               f"--callgrind-out-file={counted_into}/cg.out", *cmd]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stderr[-3000:]}")


def measure(config: str, frames: int, overhead: float) -> Counts:
    work = BUILD / "work" / config
    work.mkdir(parents=True, exist_ok=True)
    tape = work / "tape.pickle"
    child(["record", config, str(frames), str(tape)], work)
    child(["count", config, str(tape)], work, counted_into=work / "dumps")
    return Counts(parse_dumps(work / "dumps"), overhead)


def marker_overhead() -> float:
    """Instructions one empty segment counts (the marker's own call around it)."""
    work = BUILD / "work" / "calibrate"
    work.mkdir(parents=True, exist_ok=True)
    child(["calibrate"], work, counted_into=work / "dumps")
    return sum(parse_dumps(work / "dumps").get((-1, "empty"), [])) / CALIBRATION_SEGMENTS


def default_configs(signals: bool) -> list[str]:
    configs = ["official-1", "official-4"]
    for faces in ("1", "4"):
        for view in ("mesh", "points", "depth"):
            for sig in (("on", "off") if signals else ("off",)):
                configs.append(f"ours-{faces}-{view}-signals_{sig}")
    return configs


def row_value(stages: dict[str, float], names: tuple[str, ...]) -> float:
    return sum(stages.get(name, 0.0) for name in names)


def report(results: dict[str, Counts], warmup: int) -> str:
    lines = []
    per_frame = {name: counts.per_frame(warmup) for name, counts in results.items()}
    for name in sorted(per_frame):
        if not name.startswith("ours"):
            continue
        faces = name.split("-")[1]
        official = per_frame.get(f"official-{faces}", {})
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
        # The display's share is the PC build's SDL window, not the MaixCAM's: the same
        # in both loops, it would flatter the ratio, so it is also given without it.
        rest_a = total_a - per_frame[name].get("display", 0.0) / 1e6
        rest_b = total_b - official.get("display", 0.0) / 1e6
        rest_ratio = rest_a / rest_b if rest_b else float("nan")
        lines.append(f"| {'total without display':34} | {rest_a:7.3f} | {rest_b:8.3f} |  "
                     f"ratio {rest_ratio:.2f}")
        start_a = results[name].startup() / 1e6
        if f"official-{faces}" not in results:  # ours alone (e.g. with and without VMC)
            lines.append(f"start-up to the first frame shown: ours {start_a:.0f}M")
            continue
        start_b = results[f"official-{faces}"].startup() / 1e6
        lines.append(f"start-up to the first frame shown: ours {start_a:.0f}M, official "
                     f"{start_b:.0f}M, ratio {start_a / start_b:.2f}")
    return "\n".join(lines)


def prepare_root() -> None:
    """What both apps open at start on a MaixCAM and this root lacks: the model files
    (their contents are never read: the NPU forwards are replayed) and the official app's
    back icon."""
    os.makedirs("/root/models", exist_ok=True)
    for name in ("yolov8n_face.mud", "face_landmarks.mud"):
        path = os.path.join("/root/models", name)
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write("[basic]\ntype = cvimodel\n")
    icon = "/maixapp/share/icon/ret.png"
    if not os.path.exists(icon):
        import cv2
        import numpy as np

        os.makedirs(os.path.dirname(icon), exist_ok=True)
        img = np.zeros((32, 32, 4), np.uint8)
        cv2.arrowedLine(img, (26, 16), (6, 16), (255, 255, 255, 255), 3, tipLength=0.5)
        cv2.imwrite(icon, img)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=30, help="frames per run")
    parser.add_argument("--warmup", type=int, default=5, help="first frames not averaged")
    parser.add_argument("--configs", default="",
                        help="comma-separated config names (default: all; e.g. "
                             "official-1,ours-1-mesh-signals_on)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)

    from app.core.settings import SPECS
    signals = "show_signals" in SPECS
    configs = args.configs.split(",") if args.configs else default_configs(signals)
    if not (ROOT / "bench" / ".build" / "cgmark.so").exists():
        raise SystemExit("no bench/.build/cgmark.so: run bench/device_cost.sh")
    prepare_root()
    started = _time.monotonic()
    overhead = marker_overhead()
    print(f"# marker overhead {overhead:.0f} instructions per segment (subtracted)",
          flush=True)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {c: pool.submit(measure, c, args.frames, overhead) for c in configs}
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
