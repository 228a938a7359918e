"""Many stills in one run: does N images cost one start-up plus N times the work of one
image, and does memory stay flat over 1,000 images?

    python bench/stills.py [--rounds 5] [--images 1000] [--json OUT.json]

Runs in the app's venv (.venv). Three measurements:
1. Whole processes, interleaved: `python main.py --source FOLDER --headless --json ...
   --output DIR` on a folder of 1 portrait and on a folder of 8 (the test photos, 512 px to
   2333 px tall), `--rounds` times each, turn about; median wall times T1 and T8.
2. The work itself, in this process with the models built once: the same 1 and 8 images
   through the app's own pieces (Stills -> HeadlessPlatform -> FaceApp, JSON lines with
   "source", annotated images written), interleaved, median of `--rounds`: w1 and W8.
   Start-up S = T1 - w1; the goal is T8 <= S + W8 (8 images: one start-up and 8 images'
   work), i.e. no cost per image beyond its work.
3. Memory: `--images` stills (the 8 photos repeated through symlinks in a temp folder) in
   one loop of the app, RSS every 100 images after 50 of warm-up (the annotated images
   are deleted as they come, so the disk does not fill); exit status 1 if RSS grew more
   than `--max-growth-mb`.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from memory import MB, rss_bytes  # noqa: E402

from app import backends  # noqa: E402
from app.core.manifest import read_defaults  # noqa: E402
from app.core.persist import MemoryStore  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.core.timing import StageClock  # noqa: E402
from app.pc.headless import HeadlessPlatform  # noqa: E402
from app.pc.outputs import ImageFolder, JsonLines  # noqa: E402
from app.pc.sources import Stills  # noqa: E402
from app.pc.stop import StopRequest  # noqa: E402

DATA = ROOT / "tests" / "data"
PORTRAITS = ("astronaut.png", "obama.jpg", "obama2.jpg", "biden.jpg", "single_face.jpg",
             "0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg")


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def folder_of(names: list[str], folder: Path) -> Path:
    """A folder of symbolic links to the test photos, numbered to keep their order."""
    folder.mkdir()
    for i, name in enumerate(names):
        (folder / f"{i:05d}_{name}").symlink_to(DATA / name)
    return folder


def whole_run(folder: Path, work: Path) -> float:
    """Wall time of `python main.py` over the stills of `folder`."""
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "--source", str(folder),
                             "--headless", "--json", str(work / "run.jsonl"), "--output",
                             str(out)], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"main.py failed: {result.stderr}")
    return elapsed


class Loop:
    """The app's loop over many stills, with models built once (as main.py builds it)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock = StageClock()
        self.models = backends.pc_models(settings, still=True, tracking=False,
                                         clock=self.clock)

    def start(self, paths: list[str], work: Path) -> tuple[object, list[JsonLines]]:
        stills = Stills(paths, warn)
        out = work / "out"
        out.mkdir(exist_ok=True)
        media = ImageFolder(out, name_of=lambda: stills.current)
        sinks = [JsonLines(work / "run.jsonl", source_of=lambda: stills.current, in_place=True)]
        platform = HeadlessPlatform(stills, media, StopRequest(), max_frames=None)
        app = backends.make_app(platform, self.models, self.settings, MemoryStore(), warn,
                                tracking=False, clock=self.clock, sinks=sinks)
        return app, sinks

    def time_pass(self, names: tuple[str, ...] | list[str], work: Path) -> float:
        """One pass of the loop over these photos, outputs written and closed."""
        start = time.perf_counter()
        app, sinks = self.start([str(DATA / name) for name in names], work)
        app.run()  # type: ignore[attr-defined]
        for sink in sinks:
            sink.close()
        return time.perf_counter() - start


def work_in_process(loop: Loop, work: Path, rounds: int) -> tuple[list[float], list[float]]:
    loop.time_pass(PORTRAITS, work)  # warm-up
    w1: list[float] = []
    w8: list[float] = []
    for _ in range(rounds):
        w1.append(loop.time_pass(PORTRAITS[:1], work))
        w8.append(loop.time_pass(PORTRAITS, work))
    return w1, w8


def memory_run(loop: Loop, count: int, work: Path, warmup: int = 50,
               every: int = 100) -> list[dict[str, float]]:
    names = [PORTRAITS[i % len(PORTRAITS)] for i in range(warmup + count)]
    folder = folder_of(names, work / "many")
    paths = [str(folder / name) for name in sorted(os.listdir(folder))]
    app, sinks = loop.start(paths, work)
    out = work / "out"
    readings: list[dict[str, float]] = []
    start = time.perf_counter()
    done = -warmup
    while app.step():  # type: ignore[attr-defined]
        done += 1
        if done >= 0 and done % every == 0:
            for written in out.iterdir():
                written.unlink()
            gc.collect()
            readings.append({"images": done, "rss_mb": rss_bytes() / MB,
                             "python_objects": len(gc.get_objects()),
                             "seconds": time.perf_counter() - start})
    for sink in sinks:
        sink.close()
    return readings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="whole-process runs of each")
    parser.add_argument("--images", type=int, default=1000, help="stills in the memory run")
    parser.add_argument("--max-growth-mb", type=float, default=4.0)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)

    settings = read_defaults(ROOT / "app.yaml", warn)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        one = folder_of([PORTRAITS[0]], work / "one")
        eight = folder_of(list(PORTRAITS), work / "eight")
        t1: list[float] = []
        t8: list[float] = []
        whole_run(one, work)  # warm the file cache
        for _ in range(args.rounds):
            t1.append(whole_run(one, work))
            t8.append(whole_run(eight, work))
        loop = Loop(settings)
        w1s, w8s = work_in_process(loop, work, args.rounds)
        readings = memory_run(loop, args.images, work)

    T1, T8 = statistics.median(t1), statistics.median(t8)
    w1, W8 = statistics.median(w1s), statistics.median(w8s)
    startup = T1 - w1
    print(f"whole process, median of {args.rounds} (interleaved): 1 image {T1:.2f} s, "
          f"8 images {T8:.2f} s; 8 separate runs would take {8 * T1:.2f} s")
    print(f"the work in the app's loop (models built once), median of {args.rounds}: "
          f"1 image {w1 * 1000:.0f} ms, 8 images {W8 * 1000:.0f} ms "
          f"({W8 / 8 * 1000:.0f} ms an image)")
    print(f"start-up S = T1 - w1 = {startup:.2f} s; S + W8 = {startup + W8:.2f} s; "
          f"T8 = {T8:.2f} s ({'ok' if T8 <= (startup + W8) * 1.05 else 'OVER'}: "
          f"T8 - (S + W8) = {(T8 - startup - W8) * 1000:+.0f} ms)")
    first, last = readings[0], readings[-1]
    growth = last["rss_mb"] - first["rss_mb"]
    ok = growth <= args.max_growth_mb
    print(f"{'images':>7s} {'RSS MB':>8s} {'objects':>8s}")
    for r in readings:
        print(f"{r['images']:7.0f} {r['rss_mb']:8.1f} {r['python_objects']:8.0f}")
    seconds = last["seconds"] - first["seconds"]
    print(f"RSS {first['rss_mb']:.1f} MB -> {last['rss_mb']:.1f} MB over {args.images} images "
          f"({seconds / args.images * 1000:.0f} ms an image): growth {growth:+.2f} MB "
          f"({'ok' if ok else 'FAIL'}: limit {args.max_growth_mb} MB)")
    if args.json:
        args.json.write_text(json.dumps({"t1": t1, "t8": t8, "w1": w1s, "w8": w8s,
                                         "readings": readings}, indent=1) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
