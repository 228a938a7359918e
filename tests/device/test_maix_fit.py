"""The UI's FIT_CONTAIN maps (app/core/ui.py) against the real image.resize_map_pos and
resize_map_pos_reverse, on the devices' screens and camera sizes."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.device._frames import NEEDS_MAIX

pytest.importorskip("maix.image", reason=NEEDS_MAIX)

from maix import image  # noqa: E402

from app.core.ui import Rect, display_to_image, image_rect_to_display  # noqa: E402

SCREENS = ((552, 368), (640, 480))  # MaixCAM; MaixCAM-Pro and MaixCAM2
IMAGES = ((320, 224), (320, 240), (640, 480))  # yolov8n_face / yolo11s_face inputs, VGA
CASES = list(itertools.product(IMAGES, SCREENS))
FIT = image.Fit.FIT_CONTAIN


def rects(image_w: int, image_h: int, count: int = 400) -> list[Rect]:
    """Button-like rects everywhere on the image (edges included) and random ones."""
    rng = np.random.default_rng(image_w * 7 + image_h)
    out = [Rect(0, 0, image_w, image_h), Rect(0, 0, 1, 1),
           Rect(image_w - 1, image_h - 1, 1, 1)]
    for x in range(0, image_w, 7):
        out.append(Rect(x, image_h - 26, 100, 30))
    for y in range(0, image_h, 5):
        out.append(Rect(image_w // 2, y, 33, 17))
    for _ in range(count):
        x, y = int(rng.integers(0, image_w)), int(rng.integers(0, image_h))
        out.append(Rect(x, y, int(rng.integers(1, image_w - x + 1)),
                        int(rng.integers(1, image_h - y + 1))))
    return out


@pytest.mark.parametrize("image_size,screen", CASES)
def test_image_rect_to_display_matches_resize_map_pos(image_size, screen):
    iw, ih = image_size
    sw, sh = screen
    wrong = []
    for rect in rects(iw, ih):
        real = image.resize_map_pos(iw, ih, sw, sh, FIT, rect.x, rect.y, rect.w, rect.h)
        ours = image_rect_to_display(rect, iw, ih, sw, sh)
        got = [ours.x, ours.y, ours.w, ours.h]
        if len(real) == 2:  # resize_map_pos leaves out w, h when either scales to 0 px
            got = got[:2] if min(ours.w, ours.h) <= 0 else got
        if got != list(real):
            wrong.append((rect, list(real), ours))
    assert not wrong, f"{len(wrong)} rects differ, e.g. {wrong[:5]}"


@pytest.mark.parametrize("image_size,screen", CASES)
def test_display_to_image_matches_resize_map_pos_reverse(image_size, screen):
    """Every screen column and row (x and y map independently), bars included."""
    iw, ih = image_size
    sw, sh = screen
    wrong = []
    for x in range(sw):
        real = image.resize_map_pos_reverse(iw, ih, sw, sh, FIT, x, sh // 2)
        if list(display_to_image(x, sh // 2, iw, ih, sw, sh)) != list(real):
            wrong.append(((x, sh // 2), list(real)))
    for y in range(sh):
        real = image.resize_map_pos_reverse(iw, ih, sw, sh, FIT, sw // 2, y)
        if list(display_to_image(sw // 2, y, iw, ih, sw, sh)) != list(real):
            wrong.append(((sw // 2, y), list(real)))
    assert not wrong, f"{len(wrong)} points differ, e.g. {wrong[:5]}"
