"""Write app/core/face_model.py: the few canonical-face numbers the face signals need.

Reads MediaPipe's face geometry metadata (Apache-2.0; the .pbtxt is not shipped) and
writes a Python module of constants: the 32 weighted Procrustes basis points and the
handful of other canonical vertices app/core/signals.py uses.

    python tools/make_face_model.py path/to/geometry_pipeline_metadata_including_iris_landmarks.pbtxt

The file comes from google-ai-edge/mediapipe, `mediapipe/modules/face_geometry/data/`
(commit 85c0cdc7d70653888903c88df45962b764296342).
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "app" / "core" / "face_model.py"

# Canonical vertices used besides the basis: iris centres (gaze) and mouth corners (mouth).
EXTRA_VERTICES = (468, 473, 61, 291)

HEADER = '''"""MediaPipe's canonical face, reduced to what the face signals use (pure data).

Derived from MediaPipe's face geometry metadata,
`mediapipe/modules/face_geometry/data/geometry_pipeline_metadata_including_iris_landmarks.pbtxt`
(https://github.com/google-ai-edge/mediapipe, commit 85c0cdc7d70653888903c88df45962b764296342),
Copyright 2020 The MediaPipe Authors, licensed under the Apache License, Version 2.0
(http://www.apache.org/licenses/LICENSE-2.0). Written by tools/make_face_model.py; do not edit.

Canonical coordinates are centimetres in the face's own frame: x toward the image's right
for a face looking at the camera (the subject's left), y up, z toward the camera (the nose
tip is at z = 7.6). Landmark indices are MediaPipe's 0-based order.
"""
from __future__ import annotations

# The weighted points MediaPipe's geometry pipeline fits the canonical face to
# (`procrustes_landmark_basis`): (landmark index, x, y, z, weight).
PROCRUSTES_BASIS: tuple[tuple[int, float, float, float, float], ...] = (
'''


def parse(text: str) -> tuple[list[tuple[int, float]], list[tuple[float, float, float]]]:
    basis = [(int(i), float(w)) for i, w in
             re.findall(r"procrustes_landmark_basis \{ landmark_id: (\d+) weight: ([-\d.e]+) \}", text)]
    values = [float(v) for v in re.findall(r"vertex_buffer: ([-\d.e]+)", text)]
    if not basis or len(values) % 5:
        raise SystemExit("not a geometry pipeline metadata file (no basis or a bad vertex buffer)")
    vertices = [tuple(values[k:k + 3]) for k in range(0, len(values), 5)]  # x y z u v
    return basis, vertices  # type: ignore[return-value]


def render(basis: list[tuple[int, float]], vertices: list[tuple[float, float, float]]) -> str:
    if len(vertices) != 478:
        raise SystemExit(f"expected the 478-vertex (iris) metadata, got {len(vertices)} vertices")
    lines = [HEADER]
    for i, w in basis:
        x, y, z = vertices[i]
        lines.append(f"    ({i}, {x!r}, {y!r}, {z!r}, {w!r}),\n")
    lines.append(")\n\n# Other canonical vertices: iris centres (468: eye 33/133, 473: eye 362/263) and\n"
                 "# mouth corners (61, 291). {landmark index: (x, y, z)}.\n"
                 "CANONICAL_VERTICES: dict[int, tuple[float, float, float]] = {\n")
    for i in EXTRA_VERTICES:
        x, y, z = vertices[i]
        lines.append(f"    {i}: ({x!r}, {y!r}, {z!r}),\n")
    lines.append("}\n")
    return "".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pbtxt", type=Path)
    args = parser.parse_args()
    basis, vertices = parse(args.pbtxt.read_text())
    OUT.write_text(render(basis, vertices))
    print(f"wrote {OUT.relative_to(ROOT)}: {len(basis)} basis points, {len(EXTRA_VERTICES)} vertices")


if __name__ == "__main__":
    main()
