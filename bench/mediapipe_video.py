"""MediaPipe on one video, as a plain script: the peer contenders of bench/marginal.py
(run with .venv-bench/bin/python; MediaPipe is not an app dependency).

    .venv-bench/bin/python bench/mediapipe_video.py VIDEO OUT.jsonl
        [--max-faces N] [--peer facemesh|tasks] [--task models/pc/face_landmarker.task]

  facemesh  FaceMesh(static_image_mode=False, refine_landmarks=True): its own tracking
  tasks     Tasks' FaceLandmarker in VIDEO mode with blendshapes on, from the .task bundle

One JSON line per frame (478 pixel points per face, and the 52 blendshapes for tasks),
as our `main.py --json` writes one line per frame.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import mediapipe as mp

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video")
    parser.add_argument("out")
    parser.add_argument("--max-faces", type=int, default=1)
    parser.add_argument("--peer", choices=("facemesh", "tasks"), default="facemesh")
    parser.add_argument("--task", type=Path,
                        default=ROOT / "models" / "pc" / "face_landmarker.task")
    args = parser.parse_args()
    capture = cv2.VideoCapture(args.video)
    if not capture.isOpened():
        raise SystemExit(f"error: cannot open video: {args.video}")
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    if args.peer == "facemesh":
        mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=False, refine_landmarks=True,
                                               max_num_faces=args.max_faces)
    else:
        from mediapipe.tasks.python import BaseOptions, vision
        landmarker = vision.FaceLandmarker.create_from_options(vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(args.task)),
            running_mode=vision.RunningMode.VIDEO, num_faces=args.max_faces,
            output_face_blendshapes=True))
    with open(args.out, "w") as out:
        index = 0
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            height, width = bgr.shape[:2]
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            record: dict = {"frame": index}
            if args.peer == "facemesh":
                found = mesh.process(rgb).multi_face_landmarks or []
                record["faces"] = [{"points": [[round(p.x * width, 2), round(p.y * height, 2)]
                                               for p in face.landmark]} for face in found]
            else:
                result = landmarker.detect_for_video(
                    mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb),
                    int(round(index * 1000 / fps)))
                record["faces"] = [
                    {"points": [[round(p.x * width, 2), round(p.y * height, 2)] for p in face],
                     "blendshapes": {c.category_name: round(c.score, 3) for c in shapes}}
                    for face, shapes in zip(result.face_landmarks, result.face_blendshapes)]
            out.write(json.dumps(record) + "\n")
            index += 1
    capture.release()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
