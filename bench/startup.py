"""Start-up: the whole process on one photo, ours against MediaPipe FaceMesh in a script.

    .venv/bin/python bench/startup.py [--runs 5] [--photo tests/data/obama.jpg]
                                      [--mediapipe-python .venv-bench/bin/python]
                                      [--main OTHER_CHECKOUT/main.py] [--callgrind]

  ours       main.py --source PHOTO --json OUT.jsonl --headless   (this Python: the app's venv)
  MediaPipe  bench/mediapipe_still.py PHOTO OUT.jsonl               (.venv-bench: bash bench/setup.sh)
             FaceMesh(static_image_mode=True, refine_landmarks=True, max_num_faces as ours)

Each is a new process from start to exit: interpreter, imports, models, one photo,
output. They take turns (ours first in even rounds, MediaPipe first in odd ones) after
one warm-up run each, and each run's wall time and CPU time (user + system, all threads,
from the kernel's accounting of the finished child) are recorded; printed are the
medians, the ranges and the ratio of the medians (ours / MediaPipe).

Both run as a user's second run would: with compiled bytecode cached (the warm-up run
writes app/__pycache__ even if PYTHONDONTWRITEBYTECODE is set here, as pip wrote
MediaPipe's at install time); otherwise ours would compile its own sources every time.

`--main` runs another checkout's main.py as "ours" (a before/after comparison; its
models/pc must hold the models). `--callgrind` also counts the instructions of one whole run of each under valgrind's
callgrind (all threads; slow: about a minute for ours, two for MediaPipe). On a shared,
noisy machine wall time wobbles and instruction counts do not.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.manifest import read_defaults  # noqa: E402


@dataclass
class Contender:
    name: str
    argv: list[str]  # with {out} where the JSON lines go
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    faces: int = -1

    def command(self, out: Path) -> list[str]:
        return [arg.replace("{out}", str(out)) for arg in self.argv]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # see the module docstring
    return env


def run_once(contender: Contender, workdir: Path) -> tuple[float, float]:
    """One whole process: (wall s, cpu s). Checks it succeeded and found a face."""
    out = workdir / f"{contender.name}.jsonl"
    out.unlink(missing_ok=True)
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(contender.command(out), cwd=ROOT, env=child_env(),
                                stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{contender.name} failed (exit {proc.returncode}):\n"
                             + err.read().decode(errors="replace")[-2000:])
    lines = out.read_text().splitlines()
    contender.faces = len(json.loads(lines[0])["faces"]) if lines else 0
    return wall, usage.ru_utime + usage.ru_stime


def callgrind(contender: Contender, workdir: Path) -> int:
    """Instructions of one whole run (valgrind --tool=callgrind, every thread)."""
    profile = workdir / f"{contender.name}.callgrind"
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={profile}",
           *contender.command(workdir / f"{contender.name}.jsonl")]
    result = subprocess.run(cmd, cwd=ROOT, env=child_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{contender.name} under callgrind failed:\n{result.stderr[-2000:]}")
    text = profile.read_text(errors="replace")
    totals = [int(n) for n in re.findall(r"^(?:summary|totals): (\d+)", text, re.M)]
    return max(totals)


def summary(values: list[float]) -> str:
    return (f"{statistics.median(values):6.3f} s  ({min(values):.3f}-{max(values):.3f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="counted runs of each (default 5)")
    parser.add_argument("--photo", type=Path, default=ROOT / "tests" / "data" / "obama.jpg")
    parser.add_argument("--mediapipe-python", type=Path,
                        default=ROOT / ".venv-bench" / "bin" / "python",
                        help="a Python with mediapipe 0.10.21 (bash bench/setup.sh)")
    parser.add_argument("--main", type=Path, default=ROOT / "main.py",
                        help="the main.py to run as ours (default: this checkout's)")
    parser.add_argument("--callgrind", action="store_true",
                        help="also count each one's instructions once (valgrind)")
    args = parser.parse_args()
    if not args.photo.exists():
        raise SystemExit(f"no {args.photo}: run python tools/fetch_assets.py")
    if not args.mediapipe_python.exists():
        raise SystemExit(f"no {args.mediapipe_python}: run bash bench/setup.sh")
    if args.callgrind and shutil.which("valgrind") is None:
        raise SystemExit("--callgrind needs valgrind (apt install valgrind)")
    max_faces = read_defaults(ROOT / "app.yaml", lambda message: None).max_faces
    ours = Contender("ours", [sys.executable, str(args.main.resolve()), "--source", str(args.photo),
                              "--json", "{out}", "--headless"])
    theirs = Contender("MediaPipe", [str(args.mediapipe_python),
                                     str(ROOT / "bench" / "mediapipe_still.py"),
                                     str(args.photo), "{out}", "--max-faces", str(max_faces)])
    contenders = [ours, theirs]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for contender in contenders:  # warm-up: bytecode, page cache
            run_once(contender, workdir)
        for turn in range(args.runs):
            for contender in contenders if turn % 2 == 0 else contenders[::-1]:
                wall, cpu = run_once(contender, workdir)
                contender.walls.append(wall)
                contender.cpus.append(cpu)
        counts = {c.name: callgrind(c, workdir) for c in contenders} if args.callgrind else {}

    print(f"start-up on {args.photo.name}, whole process, {args.runs} interleaved runs each "
          f"(medians, ranges); {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    for c in contenders:
        print(f"  {c.name:10s} wall {summary(c.walls)}   cpu {summary(c.cpus)}   faces {c.faces}")
    wall_ratio = statistics.median(ours.walls) / statistics.median(theirs.walls)
    cpu_ratio = statistics.median(ours.cpus) / statistics.median(theirs.cpus)
    pairs = statistics.median(a / b for a, b in zip(ours.walls, theirs.walls))
    print(f"  ours / MediaPipe: wall {wall_ratio:.2f} (median of pair ratios {pairs:.2f}), "
          f"cpu {cpu_ratio:.2f}")
    if counts:
        for name, count in counts.items():
            print(f"  {name:10s} {count / 1e9:6.2f} billion instructions (callgrind)")
        print(f"  ours / MediaPipe: instructions {counts['ours'] / counts['MediaPipe']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
