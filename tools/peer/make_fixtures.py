"""Write tests/fixtures/facemesh_peer.json: MediaPipe FaceMesh landmarks on the test stills.

Run with the peer venv (tools/peer/setup.sh), after `python3 tools/fetch_assets.py`:
    .venv-peer/bin/python tools/peer/make_fixtures.py

Each still goes through mp.solutions.face_mesh.FaceMesh(static_image_mode=True,
refine_landmarks=True, max_num_faces=10, min_detection_confidence=0.5). Per face:
"xy" = 478 landmarks in pixels, "z" = MediaPipe's z times image width (both 2 decimals).
Faces are sorted by landmark bounding-box area, largest first; no face gives "faces": [].
"""

import json
from pathlib import Path

import cv2
import mediapipe as mp

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
OUT = ROOT / "tests" / "fixtures" / "facemesh_peer.json"
IMAGES = [
    "single_face.jpg", "multi_face.jpg", "0-f1-su-ph.jpg", "0-f15-hao-ph.jpg",
    "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg", "obama.jpg", "obama2.jpg", "obama3.jpg",
    "biden.jpg", "astronaut.png", "obama_partial_face.jpg", "obama_partial_face2.jpg",
    "32bit.png",
]
SETTINGS = dict(static_image_mode=True, refine_landmarks=True, max_num_faces=10,
                min_detection_confidence=0.5)


def read_rgb(path):
    """Read like the app does (app/pc/sources.py): any channel count to 8-bit RGB."""
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise SystemExit(f"cannot read {path} (run python3 tools/fetch_assets.py)")
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def faces_of(rgb):
    h, w = rgb.shape[:2]
    with mp.solutions.face_mesh.FaceMesh(**SETTINGS) as mesh:
        result = mesh.process(rgb)
    faces = []
    for lms in result.multi_face_landmarks or []:
        xy = [[round(p.x * w, 2), round(p.y * h, 2)] for p in lms.landmark]
        z = [round(p.z * w, 2) for p in lms.landmark]
        xs, ys = [p[0] for p in xy], [p[1] for p in xy]
        area = (max(xs) - min(xs)) * (max(ys) - min(ys))
        faces.append((area, {"xy": xy, "z": z}))
    faces.sort(key=lambda f: -f[0])
    return [f for _, f in faces]


def main():
    generator = {"mediapipe": mp.__version__, "solution": "face_mesh",
                 "refine_landmarks": True, "static_image_mode": True}
    lines = []
    for name in IMAGES:
        rgb = read_rgb(DATA / name)
        entry = {"width": rgb.shape[1], "height": rgb.shape[0], "faces": faces_of(rgb)}
        lines.append(f"{json.dumps(name)}: {json.dumps(entry, separators=(',', ':'))}")
        print(f"{name}: {len(entry['faces'])} face(s)")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text('{"generator": ' + json.dumps(generator) + ',\n"images": {\n'
                   + ",\n".join(lines) + "\n}}\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
