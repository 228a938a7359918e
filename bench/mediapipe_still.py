"""MediaPipe FaceMesh on one photo, as a plain script: the other contender of
bench/startup.py (run with .venv-bench/bin/python; MediaPipe is not an app dependency).

    .venv-bench/bin/python bench/mediapipe_still.py PHOTO OUT.jsonl [--max-faces N]

FaceMesh(static_image_mode=True, refine_landmarks=True): 478 points per face, written as
one JSON line of pixel coordinates, as our `main.py --json` writes one line per frame.
"""
from __future__ import annotations

import argparse
import json

import cv2
import mediapipe as mp


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo")
    parser.add_argument("out")
    parser.add_argument("--max-faces", type=int, default=1)
    args = parser.parse_args()
    bgr = cv2.imread(args.photo)
    if bgr is None:
        raise SystemExit(f"error: cannot read image: {args.photo}")
    height, width = bgr.shape[:2]
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, refine_landmarks=True,
                                         max_num_faces=args.max_faces) as mesh:
        results = mesh.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    faces = [[[round(p.x * width, 2), round(p.y * height, 2)] for p in face.landmark]
             for face in results.multi_face_landmarks or []]
    with open(args.out, "w") as out:
        out.write(json.dumps({"frame": 0, "faces": [{"points": f} for f in faces]}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
