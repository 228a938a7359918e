"""Cost of the face signals for one face: median microseconds per `SignalTracker.update`.

    python bench/signals.py [--video tests/data/single_face.mp4] [--passes 200]

Landmarks are real: the PC tracker (smoothing off, so the raw landmarks the signals take)
runs once over the video, then `update` is timed call by call over every frame, `passes`
times in one run (a fresh tracker per pass, as for a new track). Also timed: the per-frame
maths alone (`measure`), the rotation fit alone, and numpy's SVD of the same 3x3 matrix
for comparison (the closed form replaces it). Numpy calls per update are counted by
hand from app/core/signals.py and printed with the figures. This is a PC number: the
MaixCAM's 1 GHz in-order RISC-V core is many times slower, and numpy's per-call overhead
weighs more there than the arithmetic does.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core import signals  # noqa: E402
from app.core.settings import Settings  # noqa: E402

# numpy calls per update, by hand: measure() 2 matrix products + 2 tolist(); smoothing
# one np.array, OneEuroFilter.update (~19 small-array operations) and one tolist().
NUMPY_CALLS = {"raw (smoothing 0)": 4, "smoothed": 4 + 1 + 19 + 1}


def real_landmarks(video: Path) -> list[tuple[np.ndarray, np.ndarray, float]]:
    from app import backends
    from app.pc.sources import Source

    settings = Settings(max_faces=1, smoothing=0.0)  # raw landmarks: the signals smooth
    models = backends.pc_models(settings, still=False, tracking=True)
    tracker = backends.make_tracker(models, settings, tracking=True)
    source = Source.open(str(video))
    out = []
    try:
        for i, frame in enumerate(source.frames()):
            faces = tracker.update(frame, i / 30)
            if faces:
                f = faces[0]
                out.append((f.xy, f.depth, f.transform.pixels_per_crop_pixel))
    finally:
        source.close()
    if not out:
        sys.exit(f"error: no face in {video}")
    return out


def time_calls(call, args_list, passes: int, fresh=None) -> list[float]:
    """Microseconds per call, each call timed on its own."""
    times = []
    clock = time.perf_counter_ns
    for _ in range(passes):
        if fresh is not None:
            fresh()
        for args in args_list:
            t0 = clock()
            call(*args)
            times.append((clock() - t0) / 1000.0)
    return times


def report(name: str, times: list[float]) -> None:
    q = statistics.quantiles(times, n=20)
    print(f"  {name:44s} median {statistics.median(times):6.1f} us   p95 {q[18]:6.1f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=ROOT / "tests" / "data" / "single_face.mp4")
    parser.add_argument("--passes", type=int, default=200)
    args = parser.parse_args()

    frames = real_landmarks(args.video)
    print(f"{len(frames)} frames of real landmarks from {args.video.name}, {args.passes} passes;"
          f" Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")

    for strength in (0.5, 0.0):
        params = signals.SignalParams.from_settings(Settings().replace(smoothing=strength))
        holder = [signals.SignalTracker(params)]

        def fresh() -> None:
            holder[0] = signals.SignalTracker(params)

        calls = [(xy, d, k, i / 30) for i, (xy, d, k) in enumerate(frames)]
        times = time_calls(lambda *a: holder[0].update(*a), calls, args.passes, fresh)
        label = "smoothed" if strength else "raw (smoothing 0)"
        report(f"update, {label} ({NUMPY_CALLS[label]} numpy calls)", times)

    report("measure() alone", time_calls(signals.measure, frames, args.passes))
    tables = signals._tables()
    s_list = []
    for xy, d, k in frames:
        fxy, fz = (tables.lxy @ xy).tolist(), (tables.lz @ d).tolist()
        s_list.append(([[fxy[a][0], -fxy[a][1], fz[a] * k] for a in range(3)],))
    report("fit_rotation() (closed form)", time_calls(signals.fit_rotation, s_list, args.passes))
    s_arrays = [(np.array(s[0]),) for s in s_list]
    report("np.linalg.svd(3x3) for comparison", time_calls(np.linalg.svd, s_arrays, args.passes))


if __name__ == "__main__":
    main()
