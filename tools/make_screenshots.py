"""Render the three views on the public-domain astronaut photo into docs/img/.

    python tools/make_screenshots.py

Landmarks come from the PC backend on tests/data/astronaut.png (fetch it with
tools/fetch_assets.py). Each picture is a 4:3 cut of the photo around the face, scaled
to 400x300 (a frame like the camera's), with the overlay, the depth legend and the touch
buttons as laid out for the MaixCAM's 552x368 screen. The HUD's numbers are left out (a
PC's timings would misstate the device). PNGs are posterised just enough to stay under
150 KB.
"""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.face.faces import Detection, Face  # noqa: E402
from app.core.render.renderer import Renderer  # noqa: E402
from app.core.render.ui_paint import draw_ui  # noqa: E402
from app.core.render.view import ViewState  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.core.ui import UiState, layout  # noqa: E402

OUT = ROOT / "docs" / "img"
CROP = (76, 6, 360, 270)  # x, y, w, h of the photo shown (4:3, around the face)
SIZE = (400, 300)
DISPLAY = (552, 368)
MAX_BYTES = 150 * 1024
VIEWS = {"view_mesh.png": Settings(view="mesh"),
         "view_points.png": Settings(view="points", points_subset=478),
         "view_depth.png": Settings(view="depth")}


def detect(path: Path):
    from app.backends import photo_faces
    from app.pc.sources import read_image

    rgb = read_image(path)
    # The full-range detector on the whole photo only (no tiles), smoothing off.
    settings = Settings(max_faces=2, smoothing=0.0, pc_detector="full_range", pc_tiling="off")
    return rgb, photo_faces(rgb, settings)


def to_frame(face: Face, scale: float, offset: np.ndarray) -> Face:
    """Landmarks, box and keypoints of the photo mapped into the cropped, scaled frame."""
    s = np.float32(scale)
    d = face.detection
    det = Detection(np.concatenate([(d.box[:2] - offset) * s, d.box[2:] * s]), d.score,
                    (d.keypoints - offset) * s)
    return dataclasses.replace(face, xy=(face.xy - offset) * s, detection=det)


def write_png(path: Path, rgb: np.ndarray) -> int:
    """Write, dropping low bits until the file fits MAX_BYTES; returns the bits kept."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    for bits in (8, 7, 6, 5, 4):
        drop = 8 - bits
        q = (bgr >> drop << drop) + (1 << drop >> 1) if drop else bgr  # mid-bucket values
        ok, buf = cv2.imencode(".png", q, [cv2.IMWRITE_PNG_COMPRESSION, 9])
        if ok and len(buf) <= MAX_BYTES:
            path.write_bytes(buf.tobytes())
            return bits
    raise SystemExit(f"{path.name}: cannot get under {MAX_BYTES} bytes")


def main() -> int:
    photo, faces = detect(ROOT / "tests" / "data" / "astronaut.png")
    if not faces:
        print("no face found", file=sys.stderr)
        return 1
    x, y, w, h = CROP
    scale = SIZE[0] / w
    base = cv2.resize(photo[y:y + h, x:x + w], SIZE, interpolation=cv2.INTER_AREA)
    shown = [to_frame(f, scale, np.array([x, y], np.float32)) for f in faces]
    OUT.mkdir(parents=True, exist_ok=True)
    for name, settings in VIEWS.items():
        img = base.copy()
        Renderer().draw(img, shown, ViewState.from_settings(settings), hud=None)
        state = UiState(settings)
        draw_ui(img, layout(*SIZE, *DISPLAY, state), state)
        bits = write_png(OUT / name, img)
        print(f"{OUT / name}: {(OUT / name).stat().st_size // 1024} KB, {bits} bits/channel")
    return 0


if __name__ == "__main__":
    sys.exit(main())
