"""Does our pipeline's memory grow? 10,000 tracked frames, resident set size before and after.

    python bench/memory.py [--frames 10000] [--warmup 200] [--max-growth-mb 4] [--json OUT.json]

Runs in the app's venv (.venv) or the bench venv. tests/data/single_face.mp4 is decoded
once and looped (the track survives the jump back to its first frame); every
`--blank-every` frames one black frame loses the track, so the detector, a new track
and its smoother start again and that path is exercised too. The tracker is built as
the app builds it (app.yaml settings, tracking and smoothing on, one face). The warm-up
holds one black frame too: the tracked crop on it is the kind of crop the 468-point flag
model is asked about, and that model is built on first need (~8 MB, once). RSS is read
from /proc/self/statm after the warm-up and every `--every` frames; exit status 1 if it
grew more than `--max-growth-mb`.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pipeline_vs_mediapipe import DATA, MANIFEST, Ours, decode_video  # noqa: E402

from app.core.manifest import read_defaults  # noqa: E402

MB = 1024 * 1024


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc/self/statm; ru_maxrss elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # pragma: no cover - not Linux: the peak, which cannot shrink
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=10_000, help="measured frames")
    parser.add_argument("--warmup", type=int, default=200, help="frames before the first reading")
    parser.add_argument("--every", type=int, default=1000, help="frames between readings")
    parser.add_argument("--blank-every", type=int, default=500,
                        help="a black frame (track lost, detector again) this often; 0: never")
    parser.add_argument("--threads", type=int, default=2, help="LiteRT threads")
    parser.add_argument("--max-growth-mb", type=float, default=4.0,
                        help="fail (exit 1) if RSS grew more than this")
    parser.add_argument("--json", type=Path, help="write the readings here")
    args = parser.parse_args(argv)

    settings = read_defaults(MANIFEST, lambda m: print(f"warning: {m}", file=sys.stderr))
    clip, fps = decode_video(DATA / "single_face.mp4")
    blank = np.zeros_like(clip[0])
    ours = Ours("ours, tracking", settings.replace(pc_threads=args.threads), 1, tracking=True)
    detector_runs = faces = 0
    readings: list[dict[str, float]] = []
    start = time.perf_counter()
    for index in range(args.warmup + args.frames):
        lose = ((args.blank_every > 0 and index % args.blank_every == args.blank_every - 1)
                or index == args.warmup // 2)  # the warm-up's black frame (see above)
        faces += ours.step(blank if lose else clip[index % len(clip)], index / fps)
        detector_runs += ours.tracker.stats.detector_runs
        done = index + 1 - args.warmup
        if done >= 0 and done % args.every == 0:
            gc.collect()  # count what is really held, not garbage awaiting a cycle
            readings.append({"frame": done, "rss_mb": rss_bytes() / MB,
                             "python_objects": len(gc.get_objects()),
                             "seconds": time.perf_counter() - start})
            if done == 0:
                detector_runs = faces = 0
    elapsed = time.perf_counter() - start

    first, last = readings[0], readings[-1]
    growth = last["rss_mb"] - first["rss_mb"]
    print(f"{args.frames} frames after {args.warmup} warm-up, {elapsed:.1f} s in all "
          f"({(last['seconds'] - first['seconds']) / args.frames * 1000:.2f} ms a frame); "
          f"{detector_runs} detector runs, {faces / args.frames:.2f} faces a frame")
    print(f"{'frame':>7s} {'RSS MB':>8s} {'objects':>8s}")
    for r in readings:
        print(f"{r['frame']:7d} {r['rss_mb']:8.1f} {r['python_objects']:8d}")
    ok = growth <= args.max_growth_mb
    print(f"RSS {first['rss_mb']:.1f} MB -> {last['rss_mb']:.1f} MB: growth {growth:+.2f} MB "
          f"over {args.frames} frames, Python objects {last['python_objects'] - first['python_objects']:+d}"
          f" ({'ok' if ok else 'FAIL'}: limit {args.max_growth_mb} MB)")
    if args.json:
        args.json.write_text(json.dumps({"frames": args.frames, "warmup": args.warmup,
                                         "seconds": elapsed, "growth_mb": growth,
                                         "detector_runs": detector_runs,
                                         "readings": readings}, indent=1) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
