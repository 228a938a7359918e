"""Record real model outputs for the replay models of the core tests (tests/replay.py).

    python tools/record_replay.py [--check]

Runs the PC backend (MediaPipe's models on LiteRT, as the app assembles them) on real
faces and stores, per frame, what the two models answered: the detector's boxes,
scores and keypoints, and each face's 478 landmarks (image pixels, z in image pixels)
with its presence score, from a crop around each detection. The replay models hand
these back, so the tracker, the frame loop and the renderer are tested on real faces
with neither LiteRT nor maix installed. Written to tests/fixtures/replay.npz (~150 KB).

`--check` records again and compares with the stored file (tests/pc does this, so the
fixture cannot drift from what the models really say).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIXTURE = ROOT / "tests" / "fixtures" / "replay.npz"
# Clips recorded: a video (one face, talking), a group photo (five faces), the
# public-domain portrait the screenshots use.
CLIPS = ("single_face.mp4", "multi_face.jpg", "astronaut.png")
XY_STEP = 1 / 16  # landmark coordinates are stored as int16 in 1/16 pixel


def frames_of(name: str) -> list[np.ndarray]:
    from app.pc.sources import Source

    source = Source.open(str(ROOT / "tests" / "data" / name))
    try:
        return list(source.frames())
    finally:
        source.close()


def record(name: str) -> dict[str, np.ndarray]:
    """The arrays of one clip, keys prefixed with `name/`."""
    from app import backends
    from app.core.settings import Settings

    frames = frames_of(name)
    still = len(frames) == 1
    settings = Settings()
    # The detector as the tracking app runs it (both BlazeFace models; tiles for stills).
    models = backends.pc_models(settings, still=still, tracking=True)
    tracker = backends.make_tracker(models, settings.replace(max_faces=10, smoothing=0.0),
                                    tracking=False)
    det_frame, det_box, det_score, det_kps = [], [], [], []
    face_frame, face_xyz, face_score = [], [], []
    for index, rgb in enumerate(frames):
        for det in models.detector.detect(rgb):
            det_frame.append(index)
            det_box.append(det.box)
            det_score.append(det.score)
            det_kps.append(det.keypoints)
        for face in tracker.update(rgb, index / 30):
            z = -face.depth * face.transform.pixels_per_crop_pixel  # model z, image px
            face_frame.append(index)
            face_xyz.append(np.concatenate([face.xy, z[:, None]], axis=1))
            face_score.append(face.score)
    height, width = frames[0].shape[:2]
    out = {
        "frames": np.array([len(frames), width, height], np.int32),
        "det_frame": np.array(det_frame, np.int16),
        "det_box": np.array(det_box, np.float32).reshape(-1, 4),
        "det_score": np.array(det_score, np.float32),
        "det_kps": np.array(det_kps, np.float32).reshape(-1, 6, 2),
        "face_frame": np.array(face_frame, np.int16),
        "face_xyz": np.rint(np.array(face_xyz, np.float64) / XY_STEP).astype(np.int16),
        "face_score": np.array(face_score, np.float32),
    }
    return {f"{name}/{key}": value for key, value in out.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="compare a fresh recording with the stored fixture")
    args = parser.parse_args()
    arrays: dict[str, np.ndarray] = {}
    for name in CLIPS:
        arrays.update(record(name))
    if args.check:
        stored = np.load(FIXTURE)
        bad = [key for key in arrays if key not in stored.files
               or not np.array_equal(stored[key], arrays[key])]
        print("same" if not bad else f"differs: {', '.join(bad)}")
        return 1 if bad else 0
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(FIXTURE, **arrays)
    print(f"{FIXTURE.relative_to(ROOT)}: {FIXTURE.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
