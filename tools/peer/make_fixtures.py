"""Write tests/fixtures/face_landmarker_peer.json: MediaPipe Tasks' FaceLandmarker on the
test stills and on every frame of single_face.mp4.

Run with the peer venv (tools/peer/setup.sh), after `python3 tools/fetch_assets.py`:
    .venv-peer/bin/python tools/peer/make_fixtures.py

The model is the app's own bundle, models/pc/face_landmarker.task (FaceMesh V2, the
device's model family, and the blendshape network). Stills run in IMAGE mode, the clip in
VIDEO mode (tracking, as a live app), both with num_faces=10 and MediaPipe's default
confidences (0.5), blendshapes and the facial transformation matrix on. Per face:
"xy" = 478 landmarks in pixels, "z" = MediaPipe's z times image width (2 decimals),
"blendshapes" = the 52 scores in MediaPipe's order (4 decimals), "matrix" = the 4x4
transformation (4 decimals). Faces are sorted by landmark box area, largest first.
"""

import json
from pathlib import Path

import cv2
import mediapipe as mp
from mediapipe.tasks.python import BaseOptions
from mediapipe.tasks.python.vision import FaceLandmarker, FaceLandmarkerOptions, RunningMode

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
TASK = ROOT / "models" / "pc" / "face_landmarker.task"
OUT = ROOT / "tests" / "fixtures" / "face_landmarker_peer.json"
IMAGES = [
    "single_face.jpg", "multi_face.jpg", "0-f1-su-ph.jpg", "0-f15-hao-ph.jpg",
    "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg", "obama.jpg", "obama2.jpg", "obama3.jpg",
    "biden.jpg", "astronaut.png", "obama_partial_face.jpg", "obama_partial_face2.jpg",
    "32bit.png",
]
CLIP = "single_face.mp4"


def read_rgb(path):
    """Read like the app does (app/pc/sources.py): any channel count to 8-bit RGB."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"cannot read {path} (run python3 tools/fetch_assets.py)")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def landmarker(mode):
    options = FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(TASK)), running_mode=mode, num_faces=10,
        output_face_blendshapes=True, output_facial_transformation_matrixes=True)
    return FaceLandmarker.create_from_options(options)


def faces_of(result, width, height):
    faces = []
    for lms, shapes, matrix in zip(result.face_landmarks, result.face_blendshapes,
                                   result.facial_transformation_matrixes):
        xy = [[round(p.x * width, 2), round(p.y * height, 2)] for p in lms]
        xs, ys = [p[0] for p in xy], [p[1] for p in xy]
        area = (max(xs) - min(xs)) * (max(ys) - min(ys))
        faces.append((area, {
            "xy": xy, "z": [round(p.z * width, 2) for p in lms],
            "blendshapes": [round(c.score, 4) for c in shapes],
            "matrix": [[round(float(v), 4) for v in row] for row in matrix]}))
    faces.sort(key=lambda f: -f[0])
    return [f for _, f in faces]


def stills():
    entries = {}
    with landmarker(RunningMode.IMAGE) as model:
        for name in IMAGES:
            rgb = read_rgb(DATA / name)
            result = model.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
            entries[name] = {"width": rgb.shape[1], "height": rgb.shape[0],
                             "faces": faces_of(result, rgb.shape[1], rgb.shape[0])}
            print(f"{name}: {len(entries[name]['faces'])} face(s)")
    return entries


def clip():
    video = cv2.VideoCapture(str(DATA / CLIP))
    fps = video.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    with landmarker(RunningMode.VIDEO) as model:
        index = 0
        while True:
            ok, bgr = video.read()
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            result = model.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb),
                                            round(index * 1000 / fps))
            frames.append(faces_of(result, rgb.shape[1], rgb.shape[0]))
            index += 1
    print(f"{CLIP}: {len(frames)} frames, {sum(map(len, frames))} faces")
    return frames


def main():
    generator = {"mediapipe": mp.__version__, "solution": "tasks.FaceLandmarker",
                 "model": TASK.name, "stills": "IMAGE", "clip": "VIDEO", "num_faces": 10}
    images = stills()
    frames = clip()
    lines = [f"{json.dumps(name)}: {json.dumps(entry, separators=(',', ':'))}"
             for name, entry in images.items()]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text('{"generator": ' + json.dumps(generator) + ',\n"images": {\n'
                   + ",\n".join(lines) + "\n},\n" + json.dumps(CLIP) + ": [\n"
                   + ",\n".join(json.dumps(f, separators=(",", ":")) for f in frames)
                   + "\n]}\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
