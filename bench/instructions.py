"""Instructions per tracked frame of our PC pipeline (callgrind), for before/after checks
where wall time wobbles.

    .venv/bin/python bench/instructions.py [--checkout OTHER_CHECKOUT] [--threads 1]
                                           [--frames 20,60] [--max-faces 1] [--blendshapes-hz 0]
    .venv-bench/bin/python bench/instructions.py --peer facemesh|tasks [--frames 20,60]

tests/data/single_face.mp4 is decoded and tracked as the app tracks it (app.yaml
settings, smoothing on; `--checkout` runs another checkout's app/, app.yaml and
models/pc) for two numbers of frames, each in its own process under valgrind's
callgrind (every thread counted). The difference of the two totals over the difference
of the frame counts is the cost of a tracked frame, without start-up and model loading.
`--blendshapes-hz` adds the blendshape model on LiteRT per track at that rate (as
bench/pipeline_vs_mediapipe.py does until the tracker makes them itself).
`--peer` counts MediaPipe's FaceMesh(refine_landmarks=True) (its own tracking) or Tasks'
FaceLandmarker (VIDEO mode, blendshapes on) on the same frames, in the bench venv.
Run without valgrind (`--frames N --no-valgrind`) it just tracks N frames (the child).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(args.checkout))
    import app  # noqa: F401  the checkout's: the bench module below finds it imported
    sys.path.insert(0, str(ROOT / "bench"))
    import pipeline_vs_mediapipe as bench
    assert Path(app.__file__).resolve().parent == args.checkout / "app", app.__file__

    clip, fps = bench.decode_video(bench.DATA / "single_face.mp4")
    if args.peer == "facemesh":
        contender = bench.MediaPipeFaceMesh("FaceMesh", args.max_faces, static=False)
    elif args.peer == "tasks":
        contender = bench.MediaPipeTasks("Tasks", args.max_faces)
    else:
        settings = bench.read_defaults(args.checkout / "app.yaml", lambda m: None)
        settings = settings.replace(pc_threads=args.threads)
        contender = bench.Ours("ours", settings, args.max_faces, tracking=True,
                               blendshapes_hz=args.blendshapes_hz)
    for index in range(int(args.frames)):
        contender.step(clip[index % len(clip)], index / fps)
    return 0


def count(args: argparse.Namespace, frames: int, workdir: Path) -> int:
    out = workdir / f"cg.{frames}"
    cmd = ["valgrind", "--tool=callgrind", "--dump-instr=no", "--dump-line=no",
           f"--callgrind-out-file={out}", sys.executable, str(Path(__file__).resolve()),
           "--no-valgrind", "--frames", str(frames), "--checkout", str(args.checkout),
           "--threads", str(args.threads), "--max-faces", str(args.max_faces),
           "--blendshapes-hz", str(args.blendshapes_hz)] + (
               ["--peer", args.peer] if args.peer else [])
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"callgrind run failed:\n{result.stderr[-2000:]}")
    totals = [int(n) for n in re.findall(r"^(?:summary|totals): (\d+)", out.read_text(), re.M)]
    return max(totals)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=ROOT)
    parser.add_argument("--threads", type=int, default=1, help="LiteRT threads (default 1)")
    parser.add_argument("--frames", default="20,60", help="the two frame counts")
    parser.add_argument("--max-faces", type=int, default=1)
    parser.add_argument("--blendshapes-hz", type=float, default=0.0)
    parser.add_argument("--peer", choices=("facemesh", "tasks"),
                        help="count MediaPipe instead of ours (run with .venv-bench/bin/python): "
                             "FaceMesh(refine_landmarks=True) tracking, or Tasks' "
                             "FaceLandmarker in VIDEO mode with blendshapes")
    parser.add_argument("--no-valgrind", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.checkout = args.checkout.resolve()
    if args.no_valgrind:
        return child(args)
    if shutil.which("valgrind") is None:
        raise SystemExit("needs valgrind (apt install valgrind)")
    few, many = (int(n) for n in args.frames.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        a, b = count(args, few, Path(tmp)), count(args, many, Path(tmp))
    per_frame = (b - a) / (many - few)
    name = f"MediaPipe {args.peer}" if args.peer else args.checkout.name
    print(f"{name}: {few} frames {a / 1e9:.3f} G, {many} frames {b / 1e9:.3f} G "
          f"instructions: {per_frame / 1e6:.2f} million a tracked frame "
          f"({'' if args.peer else f'{args.threads} thread(s), '}max faces {args.max_faces}"
          + (f", blendshapes {args.blendshapes_hz:g} Hz" if args.blendshapes_hz else "") + ")")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
