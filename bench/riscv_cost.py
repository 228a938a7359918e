"""Count our frame loop's work in the MaixCAM's own instructions (RV64GC), under QEMU.

    bash bench/riscv_cost.sh [--configs A,B] [--frames 30] [--warmup 5] [--evals 20]

(as root; it builds the riscv64 sysroot and the counting plugin once and runs this
file natively). bench/device_cost.sh counts the device path in x86 instructions; the
MaixCAM runs a 1 GHz C906 (RV64GC, in-order, single-issue; its draft-0.7.1 vector unit
is not used by numpy's or OpenBLAS's RVV 1.0 kernels), where numpy's and OpenCV's SIMD
loops become scalar loops and Python's own overhead weighs differently. Here the same
Python code runs on Debian 13's riscv64 python3.13, numpy 2.2 (OpenBLAS 0.3.29) and
OpenCV 4.10 under `qemu-riscv64 -cpu rv64,v=false`, and a TCG plugin
(bench/riscv_count.c) counts the guest instructions executed between stage markers.

What runs is bench/riscv_loop.py: the app's core frame loop on a tape of real frames
and real recorded model outputs (maix has no riscv64 build for a PC: the camera, the
NPU forwards, the display and the UART are stood in for; their counts are left out),
and the blendshape network (app.core.expressions.network) per evaluation on the real
faces of the MediaPipe peer fixture.

Per-frame figures are means over the frames after `--warmup`; start-up is the
interpreter's start to the end of the first frame (imports included, bytecode cached,
as on the device after its first start). Counts are instructions, not time: see
`estimate` for the IPC range that turns them into frame rates, and README's
device-cost section for where it comes from.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time as _time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.device_cost import Counts  # noqa: E402
from bench.riscv_loop import CALIBRATION_SEGMENTS, DEVICE_FPS  # noqa: E402

CACHE = Path(os.environ.get("RISCV_COST_CACHE",
                            Path.home() / ".cache" / "maixcam-face-landmarks" / "riscv"))
WORK = ROOT / "bench" / ".build" / "riscv"

# (row, stages): our stages per frame. The stand-ins' own work (the tape's camera read,
# the replayed models, the display and touch that do nothing here) is left out.
STAGE_ROWS = (
    ("tracking", ("total", "detect", "landmarks")),
    ("smoothing", ("smooth",)),
    ("signals", ("signals",)),
    ("rendering (view)", ("render",)),
    ("HUD", ("hud",)),
    ("UI (buttons, input)", ("buttons", "ui input")),
    ("report", ("report",)),
    ("loop, rest", ("loop",)),
    ("Python's garbage collector", ("gc",)),
)
STAND_INS = ("camera", "replay", "display", "touch")

# The C906's instructions per cycle, assumed as a range (README: device-cost section).
# 1.0: it issues one instruction a cycle at most (single-issue, in-order: XuanTie
# OpenC906 User Manual, T-Head 2022, ch. 2). 0.5: an assumed floor for interpreter-heavy
# code on a small in-order core (branch misses in CPython's dispatch, cache misses);
# no measured IPC of the C906 on such code was found to cite.
IPC_RANGE = (0.5, 1.0)
CLOCK_HZ = 1.0e9
BLENDSHAPE_BUDGET = 0.15  # the share of the frame's CPU time blendshapes may take


# -- the plugin's log --------------------------------------------------------------------


def parse_log(log: Path, labels: Path) -> tuple[dict[tuple[int, str], list[int]], int]:
    """The plugin's log as segments: {(frame, stage): [instructions of each segment]}
    and the number of guest threads. Each marker line holds the count when the segment
    it closes ended; the first segment starts at 0."""
    names = {int(k): v for k, v in json.loads(labels.read_text()).items()}
    segments: dict[tuple[int, str], list[int]] = {}
    previous, threads = 0, 0
    for line in log.read_text().splitlines():
        parts = line.split()
        if parts[0] == "threads":
            threads = int(parts[1])
        elif parts[0] != "end":
            frame, stage, count = int(parts[0]), int(parts[1]), int(parts[2])
            label = names.get(stage, f"unlabelled {stage}")  # a marker after the table
            segments.setdefault((frame, label), []).append(count - previous)
            previous = count
    return segments, threads


class Guest:
    """Runs `python3 -m bench.riscv_loop ...` on riscv64 python under qemu-riscv64."""

    def __init__(self, sysroot: Path, plugin: Path, qemu: str = "qemu-riscv64") -> None:
        self.sysroot, self.plugin, self.qemu = sysroot, plugin, qemu

    def command(self, args: list[str], log: Path | None) -> list[str]:
        cmd = [self.qemu, "-cpu", "rv64,v=false", "-L", str(self.sysroot)]
        if log is not None:
            cmd += ["-plugin", f"{self.plugin},out={log}"]
        return cmd + [str(self.sysroot / "usr" / "bin" / "python3.13"), "-m",
                      "bench.riscv_loop", *args]

    @staticmethod
    def env() -> dict[str, str]:
        """A fixed environment: one thread everywhere (one counter, no races), hash
        seed fixed (set and dict orders, so the same instructions run every time)."""
        return {"PATH": "/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
                "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0",
                "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                "OPENCV_FOR_THREADS_NUM": "1"}

    def run(self, args: list[str], log: Path | None = None) -> None:
        result = subprocess.run(self.command(args, log), cwd=ROOT, capture_output=True,
                                text=True, env=self.env())
        if result.returncode != 0:
            raise SystemExit(f"riscv64 {' '.join(args)} failed:\n{result.stderr[-3000:]}")

    def counted(self, name: str, args: list[str]) -> tuple[dict, int]:
        """Run counted; (segments, threads). `args` ends with the labels file."""
        work = WORK / name
        work.mkdir(parents=True, exist_ok=True)
        log, labels = work / "count.log", work / "labels.json"
        self.run([*args, str(labels)], log)
        return parse_log(log, labels)


# -- the figures -------------------------------------------------------------------------


def loop_total(per_frame: dict[str, float]) -> float:
    """Our instructions per frame: every stage but the stand-ins'."""
    return sum(v for stage, v in per_frame.items() if stage not in STAND_INS)


def per_evaluation(segments: dict, overhead: float, skip: int = 2) -> float:
    """Mean instructions of one blendshape evaluation (after the first `skip`)."""
    counts = segments.get((-1, "blendshape"), [])[skip:]
    if not counts:
        raise ValueError("no blendshape evaluations counted")
    return sum(max(c - overhead, 0.0) for c in counts) / len(counts)


def evaluations_per_frame(faces: int, rate_hz: float | None, fps: float = DEVICE_FPS) -> float:
    """Blendshape evaluations per frame: every face every frame (rate None), or each
    face `rate_hz` times a second (tracks take turns: app/core/expressions/tracking.py)
    on a loop at `fps`."""
    if rate_hz is None:
        return float(faces)
    return faces * min(rate_hz / fps, 1.0)


def fps_range(instructions: float, ipc: tuple[float, float] = IPC_RANGE,
              clock_hz: float = CLOCK_HZ) -> tuple[float, float]:
    """Frames a second if the CPU did only these instructions per frame, at the low and
    high IPC (an upper bound on the frame rate: the NPU forwards and maix's own
    image work come on top)."""
    return tuple(clock_hz * i / instructions for i in ipc)  # type: ignore[return-value]


def max_rate_within_budget(evaluation: float, budget: float = BLENDSHAPE_BUDGET,
                           ipc: tuple[float, float] = IPC_RANGE,
                           clock_hz: float = CLOCK_HZ) -> tuple[float, float]:
    """Blendshape evaluations a second (all faces together) that keep them within
    `budget` of the CPU's time, at the low and high IPC: the share of time is
    rate x evaluation / (IPC x clock), whatever the frame rate."""
    return tuple(budget * i * clock_hz / evaluation for i in ipc)  # type: ignore[return-value]


def report(results: dict[str, Counts], warmup: int, evaluation: float | None,
           rate_hz: float) -> str:
    lines = []
    for name in sorted(results):
        counts = results[name]
        faces = int(name.split("-")[1])
        per_frame = counts.per_frame(warmup)
        total = loop_total(per_frame)
        lines.append(f"\n{name} (RISC-V instructions per frame, millions; frames {warmup}+)")
        lines.append(f"| {'stage':36} | {'ours':>8} |")
        lines.append(f"|{'-' * 38}|{'-' * 10}|")
        for row, stages in STAGE_ROWS:
            value = sum(per_frame.get(s, 0.0) for s in stages) / 1e6
            lines.append(f"| {row:36} | {value:8.3f} |")
        lines.append(f"| {'total (no blendshapes)':36} | {total / 1e6:8.3f} |")
        if evaluation is not None:
            for label, rate in ((f"blendshapes at {rate_hz:g} Hz", rate_hz),
                                ("blendshapes every frame", None)):
                extra = evaluations_per_frame(faces, rate) * evaluation
                lines.append(f"| {label:36} | {extra / 1e6:8.3f} |  "
                             f"total {(total + extra) / 1e6:.3f}")
        stand = sum(per_frame.get(s, 0.0) for s in STAND_INS) / 1e6
        lines.append(f"(stand-ins, left out: {stand:.3f})")
        lo, hi = fps_range(total)
        lines.append(f"start-up to the first frame: {counts.startup() / 1e6:.0f}M; "
                     f"CPU-bound frame rate at IPC {IPC_RANGE[0]}-{IPC_RANGE[1]}: "
                     f"{lo:.0f}-{hi:.0f} fps")
    return "\n".join(lines)


# -- the driver ------------------------------------------------------------------------


def default_configs() -> list[str]:
    return [f"ours-{faces}-{view}-signals_on" for faces in ("1", "4")
            for view in ("mesh", "points", "depth")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sysroot", type=Path, default=CACHE / "sysroot")
    parser.add_argument("--plugin", type=Path, default=CACHE / "riscv_count.so")
    parser.add_argument("--frames", type=int, default=30, help="frames per run")
    parser.add_argument("--warmup", type=int, default=5, help="first frames not averaged")
    parser.add_argument("--evals", type=int, default=20,
                        help="blendshape evaluations counted (0: none)")
    parser.add_argument("--rate", type=float, default=10.0,
                        help="blendshape evaluations a second per face (the device rate)")
    parser.add_argument("--configs", default="",
                        help="comma-separated ours-<faces>-<view>-signals_<on|off> "
                             "(default: 1 and 4 faces, mesh, points, depth, SIG on)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)

    configs = args.configs.split(",") if args.configs else default_configs()
    guest = Guest(args.sysroot, args.plugin)
    started = _time.monotonic()
    WORK.mkdir(parents=True, exist_ok=True)
    tapes = {}
    for faces in sorted({c.split("-")[1] for c in configs}):
        tapes[faces] = WORK / f"tape-{faces}.npz"
        subprocess.run([sys.executable, "-m", "bench.riscv_loop", "record", faces,
                        str(args.frames), str(tapes[faces])], cwd=ROOT, check=True)
    # bytecode once, as on the device after its first start
    guest.run(["calibrate", str(WORK / "warm.json")])
    guest.run(["count", configs[0], str(tapes[configs[0].split("-")[1]]),
               str(WORK / "warm.json")])
    segments, _ = guest.counted("calibrate", ["calibrate"])
    overhead = sum(segments.get((-1, "empty"), [])) / CALIBRATION_SEGMENTS
    print(f"# marker overhead {overhead:.0f} instructions per segment (subtracted)",
          flush=True)

    from concurrent.futures import ThreadPoolExecutor

    def one(config: str) -> Counts:
        segs, threads = guest.counted(config, ["count", config,
                                               str(tapes[config.split("-")[1]])])
        if threads != 1:
            raise SystemExit(f"{config}: {threads} guest threads (the count needs one)")
        return Counts(segs, overhead)

    def blend() -> tuple[float, float]:
        segs, _ = guest.counted("blendshapes", ["blendshapes", str(args.evals)])
        load = sum(max(c - overhead, 0.0) for c in segs.get((-1, "load"), []))
        return per_evaluation(segs, overhead), load

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {c: pool.submit(one, c) for c in configs}
        blend_future = pool.submit(blend) if args.evals > 0 else None
        results = {name: future.result() for name, future in futures.items()}
        evaluation, load = blend_future.result() if blend_future else (None, 0.0)

    print(report(results, args.warmup, evaluation, args.rate))
    default = "ours-1-mesh-signals_on"
    if evaluation is not None:
        print(f"\nblendshape network: {evaluation / 1e6:.2f}M RISC-V instructions per "
              f"evaluation (one face; loading the weights {load / 1e6:.0f}M, once)")
        lo, hi = max_rate_within_budget(evaluation)
        print(f"blendshapes within {BLENDSHAPE_BUDGET:.0%} of the C906's time (IPC "
              f"{IPC_RANGE[0]}-{IPC_RANGE[1]}, 1 GHz): at most {lo:.2f}-{hi:.2f} "
              "evaluations a second, all faces together")
    if args.json:
        args.json.write_text(json.dumps({
            "per_frame": {n: c.per_frame(args.warmup) for n, c in results.items()},
            "startup": {n: c.startup() for n, c in results.items()},
            "blendshape_evaluation": evaluation, "overhead": overhead}, indent=1))
    print(f"# {len(configs)} runs in {_time.monotonic() - started:.0f} s")
    if default in results:
        ours = loop_total(results[default].per_frame(args.warmup)) / 1e6
        print(f"riscv per-frame instructions, 1 face, default: ours={ours:.2f}M")
    return 0


if __name__ == "__main__":
    sys.exit(main())
