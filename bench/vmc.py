"""Cost of VMC face capture per processed frame: what the VMC sink adds to the loop.

    python bench/vmc.py [--video tests/data/single_face.mp4] [--passes 20] [--callgrind]

Faces are real: the PC tracker runs once over the video (its poses), and each frame's
face carries the blendshapes MediaPipe Tasks' FaceLandmarker gave that frame of the same
video (tests/fixtures/face_landmarker_peer.json), as a tracker with expressions will.
Then, frame by frame, `passes` times: the encoding alone (`VmcEncoder.encode`) and the
whole sink (`VmcSender.write`: choosing the face, encoding, and the non-blocking
`sendto` of each datagram to a UDP socket on 127.0.0.1 that is bound but never read),
one OSC bundle per frame and one datagram per message; also a frame without
blendshapes and one without a face. Microseconds, median and p95, each call timed on
its own.

--callgrind also counts x86 instructions per frame with valgrind (the device's figures
in README are instruction counts too): the sink's frames in a child process under
callgrind, run twice (0 and N frames, the same start-up), the difference over N.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pickle
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.expressions import Expression  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.core.vmc import VmcEncoder  # noqa: E402
from app.net.vmc import VmcSender  # noqa: E402

PEER = ROOT / "tests" / "fixtures" / "face_landmarker_peer.json"


def real_faces(video: Path) -> list:
    """The tracked face of every frame, with MediaPipe's blendshapes of that frame."""
    from app import backends
    from app.pc.sources import Source

    peer = json.loads(PEER.read_text())[video.name]
    settings = Settings(max_faces=1)
    models = backends.pc_models(settings, still=False, tracking=True)
    tracker = backends.make_tracker(models, settings, tracking=True)
    source = Source.open(str(video))
    faces = []
    try:
        for i, frame in enumerate(source.frames()):
            found = tracker.update(frame, i / 30)
            if found and i < len(peer) and peer[i]:
                shapes = np.asarray(peer[i][0]["blendshapes"], np.float32)
                face = dataclasses.replace(found[0], expression=Expression(shapes, "neutral", 1.0))
                face.mesh_box  # computed once per face in the app (the tracker asks first)
                faces.append(face)
    finally:
        source.close()
    if not faces:
        sys.exit(f"error: no face in {video}")
    return faces


def time_calls(call, args_list, passes: int) -> list[float]:
    clock = time.perf_counter_ns
    times = []
    for _ in range(passes):
        for args in args_list:
            t0 = clock()
            call(*args)
            times.append((clock() - t0) / 1000.0)
    return times


def report(name: str, times: list[float]) -> None:
    q = statistics.quantiles(times, n=20)
    print(f"  {name:52s} median {statistics.median(times):6.1f} us   p95 {q[18]:6.1f} us")


def drain() -> socket.socket:
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    return sink


def child(frames: int, path: str, bundle: bool) -> None:
    """The frames counted under callgrind: `frames` writes of the sink (0: set-up only)."""
    faces = pickle.loads(Path(path).read_bytes())
    sink = drain()
    sender = VmcSender("127.0.0.1", sink.getsockname()[1], bundle=bundle)
    sender.write(0, (640, 360), [faces[0]], {})  # the template is built at the first frame
    for i in range(frames):
        sender.write(i, (640, 360), [faces[i % len(faces)]], {})
    sender.close()
    sink.close()


def instructions(frames: int, path: str, bundle: bool) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out",
             sys.executable, __file__, "--child", str(frames), path]
            + ([] if bundle else ["--no-bundle"]),
            capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    match = re.search(r"Collected : (\d+)", out.stderr)
    if out.returncode != 0 or match is None:
        sys.exit(f"error: callgrind run failed:\n{out.stderr[-2000:]}")
    return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=ROOT / "tests" / "data" / "single_face.mp4")
    parser.add_argument("--passes", type=int, default=20)
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--frames", type=int, default=500, help="frames counted by callgrind")
    parser.add_argument("--child", nargs=2, metavar=("FRAMES", "FACES"), help=argparse.SUPPRESS)
    parser.add_argument("--no-bundle", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), args.child[1], not args.no_bundle)
        return

    faces = real_faces(args.video)
    print(f"VMC per frame, {len(faces)} real frames of {args.video.name} x {args.passes} "
          f"passes (python {sys.version.split()[0]}, numpy {np.__version__})")
    bare = [dataclasses.replace(f, expression=None) for f in faces]
    sink = drain()
    port = sink.getsockname()[1]
    try:
        for bundle in (True, False):
            mode = "bundle" if bundle else "per message"
            encoder = VmcEncoder(bundle=bundle)
            report(f"encode, {mode}", time_calls(encoder.encode, [(f, 1.0) for f in faces],
                                                 args.passes))
            sender = VmcSender("127.0.0.1", port, bundle=bundle)
            frame = [(i, (640, 360), [f], {}) for i, f in enumerate(faces)]
            report(f"sink write (encode + send), {mode}",
                   time_calls(sender.write, frame, args.passes))
            report(f"sink write, no blendshapes, {mode}",
                   time_calls(sender.write, [(i, (640, 360), [f], {}) for i, f in enumerate(bare)],
                              args.passes))
            report(f"sink write, no face, {mode}",
                   time_calls(sender.write, [(i, (640, 360), [], {}) for i in range(len(faces))],
                              args.passes))
            sender.close()
            print(f"  datagram bytes per frame, {mode}: "
                  f"{sum(len(d) for d in encoder.encode(faces[0], 1.0))} in "
                  f"{len(encoder.encode(faces[0], 1.0))} datagram(s)")
    finally:
        sink.close()
    if args.callgrind:
        if shutil.which("valgrind") is None:
            sys.exit("error: --callgrind needs valgrind (apt-get install valgrind)")
        with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as f:
            f.write(pickle.dumps(faces))
        try:
            for bundle in (True, False):
                base = instructions(0, f.name, bundle)
                full = instructions(args.frames, f.name, bundle)
                per = (full - base) / args.frames
                mode = "bundle" if bundle else "per message"
                print(f"  instructions per frame, sink write, {mode}: {per / 1e6:.3f} million "
                      f"({args.frames} frames)")
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    main()
