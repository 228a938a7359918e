"""Landmark quality of a checkout: agreement with the peer and jitter on real faces.

    .venv/bin/python bench/quality.py [--checkout OTHER_CHECKOUT] [--json OUT.json]

For a before/after comparison of landmark models: `--checkout` runs another checkout's
app code (its app/ and its models/pc; its tests/data must hold the test files), always
against THIS checkout's peer fixture, tests/fixtures/face_landmarker_peer.json (MediaPipe
Tasks' FaceLandmarker, tools/peer/make_fixtures.py), so both are measured on one yardstick.

  peer NME     per face the peer found (but the one PEER_WRONG of
               tests/pc/test_peer_agreement.py), ours matched to it as that test does:
               mean point error / the peer's outer-eye-corner distance, over all 478
               points and over the 10 iris points. Printed: per image, and the mean over
               faces.
  jitter       the astronaut still as a 200-frame video with a known sub-pixel drift and
               sensor noise (tests/pc/test_smoothing_real.py's clip): std over time of the
               landmarks around the known drift, % of the eye-corner distance, raw
               (smoothing 0) and smoothed (smoothing 0.5).
  clip jitter  tests/data/single_face.mp4 as the app tracks it (app defaults, smoothing
               0 and 0.5): mean |x[t+1] - 2 x[t] + x[t-1]| of every landmark, % of the
               eye-corner distance: frame-to-frame shake on a real talking face (the real
               motion is smooth and adds little to a second difference).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parents[1]
FIXTURE = HERE / "tests" / "fixtures" / "face_landmarker_peer.json"
PEER_WRONG = {("multi_face.jpg", 0)}  # as tests/pc/test_peer_agreement.py
IRIS = slice(468, 478)
FPS = 30.0


def nme(ours: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    iod = np.linalg.norm(theirs[33] - theirs[263])
    return np.linalg.norm(ours - theirs, axis=1) / iod


def iod_percent(xy: np.ndarray) -> float:
    return float(np.linalg.norm(xy[:, 33] - xy[:, 263], axis=1).mean()) / 100.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkout", type=Path, default=HERE,
                        help="the checkout whose app/ and models/pc are measured")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    root = args.checkout.resolve()
    sys.path.insert(0, str(root))
    from app import backends
    from app.core.settings import Settings
    from app.pc.sources import Source, read_image

    data = root / "tests" / "data"
    settings = Settings()
    stills = backends.pc_models(settings, still=True, tracking=False, app_dir=root)
    video = backends.pc_models(settings, still=False, tracking=True, app_dir=root)
    out: dict = {"checkout": str(root), "landmarker": type(stills.landmarker).__name__}

    # -- peer agreement
    rows = []
    for name, record in json.loads(FIXTURE.read_text())["images"].items():
        rgb = read_image(data / name)
        tracker = backends.make_tracker(stills, settings.replace(max_faces=10, smoothing=0.0),
                                        tracking=False)
        ours = tracker.update(rgb, 0.0)
        for index, face in enumerate(record["faces"]):
            if (name, index) in PEER_WRONG:
                continue
            theirs = np.asarray(face["xy"], np.float32) - 0.5
            if not ours:
                rows.append((name, float("nan"), float("nan")))
                continue
            best = min(ours, key=lambda f: float(np.abs(f.xy - theirs).mean()))
            errors = nme(best.xy, theirs)
            rows.append((name, float(errors.mean()), float(errors[IRIS].mean())))
    print(f"peer NME vs {FIXTURE.name} ({out['landmarker']}, {root.name})")
    for name, mesh, iris in rows:
        print(f"  {name:28s} all {mesh:6.2%}   iris {iris:6.2%}")
    mesh_mean = float(np.mean([r[1] for r in rows]))
    iris_mean = float(np.mean([r[2] for r in rows]))
    print(f"  {'mean over ' + str(len(rows)) + ' faces':28s} all {mesh_mean:6.2%}   "
          f"iris {iris_mean:6.2%}")
    out["peer"] = {"faces": [{"image": n, "nme": m, "iris_nme": i} for n, m, i in rows],
                   "mean_nme": mesh_mean, "mean_iris_nme": iris_mean}

    # -- jitter on the astronaut still-video (as tests/pc/test_smoothing_real.py)
    rgb = read_image(data / "astronaut.png")
    rng = np.random.default_rng(7)
    t = np.arange(200) / FPS
    shifts = np.stack([1.5 * np.sin(2 * np.pi * 0.2 * t), 1.0 * np.cos(2 * np.pi * 0.13 * t)], 1)
    frames = []
    for dx, dy in shifts:
        m = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
        frame = cv2.warpAffine(rgb, m, (rgb.shape[1], rgb.shape[0]), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REFLECT)
        frames.append(np.clip(frame + rng.normal(0, 6.0, frame.shape), 0, 255).astype(np.uint8))

    def track(clip: list[np.ndarray], smoothing: float) -> np.ndarray:
        tracker = backends.make_tracker(video, settings.replace(max_faces=1, smoothing=smoothing),
                                        tracking=True)
        xy = []
        for i, frame in enumerate(clip):
            faces = tracker.update(frame, i / FPS)
            xy.append(faces[0].xy if faces else np.full((478, 2), np.nan, np.float32))
        return np.asarray(xy)

    out["astronaut_jitter"] = {}
    out["clip_jitter"] = {}
    source = Source.open(str(data / "single_face.mp4"))
    try:
        clip = list(source.frames())
    finally:
        source.close()
    for smoothing in (0.0, 0.5):
        xy = track(frames, smoothing)
        residual = xy[20:] - shifts[20:, None, :]
        value = float(residual.std(axis=0).mean()) / iod_percent(xy)
        out["astronaut_jitter"][str(smoothing)] = value
        xy = track(clip, smoothing)
        second = np.abs(xy[2:] - 2 * xy[1:-1] + xy[:-2])
        shake = float(np.nanmean(np.linalg.norm(second, axis=2))) / float(
            np.nanmean(np.linalg.norm(xy[:, 33] - xy[:, 263], axis=1)) / 100.0)
        out["clip_jitter"][str(smoothing)] = shake
        print(f"smoothing {smoothing}: astronaut jitter {value:.3f}% IOD, "
              f"single_face.mp4 ({len(clip)} frames) 2nd difference {shake:.3f}% IOD")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
