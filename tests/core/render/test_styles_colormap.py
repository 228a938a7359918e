"""Styles are frozen data; the colour map runs far = cold to near = warm."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from app.core.render import colormap
from app.core.render.styles import (CONTOUR_GROUPS, DEFAULT_STYLES, IRIS_GROUPS, DrawSpec,
                                    scale_for)


def test_lut_shape_and_ends():
    lut = colormap.TURBO_LUT
    assert lut.shape == (256, 3) and lut.dtype == np.uint8
    # The polynomial fit is muddy at its very ends; the used part (DepthStyle.lut_lo/hi) is not.
    far, near = lut[25].astype(int), lut[230].astype(int)
    assert far[2] > far[0] + 100 and near[0] > near[2] + 100  # blue far, red near
    assert not lut.flags.writeable
    colors = DEFAULT_STYLES.depth.colors
    assert colors.shape == (DEFAULT_STYLES.depth.levels, 3)


def test_specs_are_frozen_and_scale():
    spec = DrawSpec((1, 2, 3), 1, 2)
    with pytest.raises((AttributeError, dataclasses.FrozenInstanceError)):
        spec.thickness = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        DEFAULT_STYLES.mesh.contours["lips"] = spec  # type: ignore[index]
    assert spec.scaled(2) == DrawSpec((1, 2, 3), 2, 4)
    assert DEFAULT_STYLES.scaled(1) is DEFAULT_STYLES
    assert DEFAULT_STYLES.scaled(3).points.by_subset[478].radius == 3
    assert [scale_for(w, h) for w, h in [(320, 224), (640, 480), (1280, 720), (1920, 1080)]] == \
        [1, 1, 2, 3]


def test_style_groups_name_real_edge_sets():
    assert set(DEFAULT_STYLES.mesh.contours) <= set(CONTOUR_GROUPS)
    assert set(DEFAULT_STYLES.mesh.irises) <= set(IRIS_GROUPS)
    assert all(len(idx) == 5 and idx[0] in (468, 473) for idx in IRIS_GROUPS.values())
