"""Overlay cost per layer: median and p95 milliseconds over repeated draws.

    python bench/overlay.py [--draws 200] [--image tests/data/astronaut.png]

Faces are real landmarks (PC backend on the image) scaled into each frame size; "4 faces"
are four shifted copies. cv2 runs on one thread, as on the device. This is a PC number:
expect the MaixCAM's 1 GHz RISC-V core to be many times slower; the ratios between
layers are what carry over.
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.face.faces import Detection, Face  # noqa: E402
from app.core.render import painters  # noqa: E402
from app.core.render.renderer import Renderer, hud_lines  # noqa: E402
from app.core.render.styles import DEFAULT_STYLES  # noqa: E402
from app.core.render.ui_paint import draw_ui  # noqa: E402
from app.core.render.view import Hud, ViewState  # noqa: E402
from app.core.settings import View  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.core.ui import UiState, layout  # noqa: E402

SIZES = [(320, 224), (640, 480)]
DISPLAY = (552, 368)


def real_face(image: Path) -> tuple[np.ndarray, Face]:
    from app.backends import photo_faces
    from app.pc.sources import read_image

    rgb = read_image(image)
    faces = photo_faces(rgb, Settings(max_faces=1, pc_detector="full_range", pc_tiling="off"))
    if not faces:
        raise SystemExit(f"no face found in {image}")
    return rgb, faces[0]


def place(face: Face, height: float, centre: tuple[float, float], track_id: int) -> Face:
    """`face` scaled to `height` px tall and centred on `centre` (frame px)."""
    lo, hi = face.xy.min(0), face.xy.max(0)
    s = np.float32(height / (hi[1] - lo[1]))
    off = np.asarray(centre, np.float32) - (lo + hi) / 2 * s
    d = face.detection
    det = Detection(np.concatenate([d.box[:2] * s + off, d.box[2:] * s]), d.score,
                    d.keypoints * s + off)
    return Face(face.xy * s + off, face.depth, face.xy_crop, face.score, face.valid,
                face.transform, det, track_id)


def faces_for(face: Face, w: int, h: int, n: int) -> list[Face]:
    if n == 1:
        return [place(face, 0.55 * h, (w / 2, h / 2), 0)]
    centres = [(w * fx, h * fy) for fy in (0.3, 0.7) for fx in (0.3, 0.7)][:n]
    return [place(face, 0.38 * h, c, i) for i, c in enumerate(centres)]


def measure(base: np.ndarray, draw: Callable[[np.ndarray], None],
            draws: int) -> tuple[float, float]:
    img = base.copy()
    for _ in range(5):  # warm-up (caches, first-call allocations)
        img[:] = base
        draw(img)
    times = np.empty(draws)
    for i in range(draws):
        img[:] = base
        t0 = time.perf_counter()
        draw(img)
        times[i] = (time.perf_counter() - t0) * 1000.0
    return float(np.median(times)), float(np.percentile(times, 95))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--image", type=Path, default=ROOT / "tests" / "data" / "astronaut.png")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    photo, face = real_face(args.image)
    print(f"# overlay cost, ms (median / p95 of {args.draws} draws); {platform.machine()}, "
          f"Python {platform.python_version()}, OpenCV {cv2.__version__}, 1 cv2 thread")
    hud = Hud(14.2, 1, 2, {"detect": 21.3, "landmarks": 35.0, "render": 3.1})
    quiet = dict(show_box=False, show_hud=False)
    rows = []
    for w, h in SIZES:
        base = cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA)
        state = UiState(Settings())
        buttons = layout(w, h, *DISPLAY, state)
        for n in (1, 4):
            faces = faces_for(face, w, h, n)
            renderer = Renderer()

            def view(vs: ViewState) -> Callable[[np.ndarray], None]:
                return lambda img: renderer.draw(img, faces, vs)

            def boxes(img: np.ndarray) -> None:
                for f in faces:
                    painters.box(img, f.detection, DEFAULT_STYLES.box)

            def hud_buttons(img: np.ndarray) -> None:
                painters.hud(img, hud_lines(hud), DEFAULT_STYLES.hud)
                draw_ui(img, buttons, state)

            layers = {
                "mesh": view(ViewState(View.MESH, **quiet)),
                "points 478": view(ViewState(View.POINTS, 478, **quiet)),
                "points 68": view(ViewState(View.POINTS, 68, **quiet)),
                "depth": view(ViewState(View.DEPTH, **quiet)),
                "box": boxes,
                "HUD+buttons": hud_buttons,
            }
            for name, fn in layers.items():
                med, p95 = measure(base, fn, args.draws)
                rows.append((f"{w}x{h}", n, name, med, p95))
    print("| frame | faces | layer | median ms | p95 ms |")
    print("|---|---|---|---|---|")
    for size, n, name, med, p95 in rows:
        print(f"| {size} | {n} | {name} | {med:.3f} | {p95:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
