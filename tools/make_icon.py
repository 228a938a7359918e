"""Draw the app icon (assets/icon.png, 96x96): our face mesh on a dark rounded tile.

The mesh is this app's own output on the public-domain astronaut photo, straightened
and scaled into the tile; run after `python tools/fetch_assets.py`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.backends import photo_faces  # noqa: E402
from app.core.face import topology  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.pc.sources import read_image  # noqa: E402

SIZE, SS = 96, 4  # drawn 4x larger, then downsampled for clean anti-aliasing


def main() -> int:
    rgb = read_image(ROOT / "tests" / "data" / "astronaut.png")
    face = photo_faces(rgb, Settings(max_faces=1, smoothing=0.0))[0]
    xy = face.xy[: topology.NUM_MESH].astype(np.float64)
    # Level the eyes, then fit the mesh into 78% of the tile.
    a, b = xy[33], xy[263]
    angle = np.arctan2(b[1] - a[1], b[0] - a[0])
    rot = np.array([[np.cos(-angle), -np.sin(-angle)], [np.sin(-angle), np.cos(-angle)]])
    xy = (xy - xy.mean(0)) @ rot.T
    big = SIZE * SS
    xy = xy / np.ptp(xy, axis=0).max() * big * 0.78 + big / 2
    tile = np.zeros((big, big, 4), np.uint8)
    radius = big // 5
    cv2.rectangle(tile, (radius, 0), (big - radius, big), (40, 30, 24, 255), -1)
    cv2.rectangle(tile, (0, radius), (big, big - radius), (40, 30, 24, 255), -1)
    for cx, cy in ((radius, radius), (big - radius, radius), (radius, big - radius),
                   (big - radius, big - radius)):
        cv2.circle(tile, (cx, cy), radius, (40, 30, 24, 255), -1, cv2.LINE_AA)
    pts = np.round(xy * 16).astype(np.int32)
    segments = [pts[list(e)] for e in sorted(topology.FACEMESH_TESSELATION)]
    cv2.polylines(tile, segments, False, (200, 160, 70, 255), 2, cv2.LINE_AA, shift=4)
    contours = [pts[list(e)] for e in sorted(topology.FACEMESH_CONTOURS)]
    cv2.polylines(tile, contours, False, (120, 240, 255, 255), 5, cv2.LINE_AA, shift=4)
    icon = cv2.resize(tile, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    out = ROOT / "assets" / "icon.png"
    cv2.imwrite(str(out), icon)  # BGRA
    print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
