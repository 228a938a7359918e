"""Buttons are painted inside their rects only, readable on white and on black."""
from __future__ import annotations

import numpy as np
import pytest

from app.core.render.ui_paint import draw_ui
from app.core.settings import Settings
from app.core.ui import Action, UiState, layout


@pytest.mark.parametrize("size", [(320, 224), (640, 480)])
@pytest.mark.parametrize("background", [0, 255])
def test_buttons_paint_inside_their_rects(size, background):
    w, h = size
    state = UiState(Settings(view="points"), held=Action.VIEW, panel_open=True)
    buttons = layout(w, h, 552, 368, state)
    img = np.full((h, w, 3), background, np.uint8)
    draw_ui(img, buttons, state)
    changed = (img != background).any(axis=2)
    inside = np.zeros((h, w), bool)
    for b in buttons:
        r = b.rect
        inside[r.y:r.y + r.h, r.x:r.x + r.w] = True
        region = img[r.y:r.y + r.h, r.x:r.x + r.w].astype(int)
        # Light label on a dark panel: both extremes present whatever the background.
        assert region.max() >= 200 and region.min() <= 120, b.label
    assert not changed[~inside].any()
