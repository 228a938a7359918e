"""Each view drawn on a real face (astronaut.png, PC backend landmarks) stays on the face."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.core.face import topology as topo
from app.core.render import painters
from app.core.render.renderer import Renderer, hud_lines
from app.core.render.view import Hud, ViewState
from app.core.settings import View
from tests.core._factories import make_face, moved, real_faces

VIEWS = [ViewState(View.MESH), ViewState(View.POINTS, 478), ViewState(View.POINTS, 68),
         ViewState(View.POINTS, 5), ViewState(View.DEPTH)]
IDS = ["mesh", "points478", "points68", "points5", "depth"]


def _quiet(vs: ViewState) -> ViewState:
    return ViewState(vs.view, vs.subset, show_box=False, show_hud=False)


def _hull_mask(xy: np.ndarray, shape, dilate: int = 0) -> np.ndarray:
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.rint(xy).astype(np.int32)), 1)
    if dilate:
        mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE,
                                                          (2 * dilate + 1, 2 * dilate + 1)))
    return mask.astype(bool)


@pytest.fixture(scope="module")
def astronaut():
    rgb, faces = real_faces("astronaut.png")
    assert len(faces) == 1
    return rgb, faces[0]


@pytest.mark.parametrize("vs", VIEWS, ids=IDS)
def test_view_draws_inside_the_face_only(astronaut, vs):
    rgb, face = astronaut
    img = rgb.copy()
    assert Renderer().draw(img, [face], _quiet(vs)) is None  # in place
    changed = (img != rgb).any(axis=2)
    hull = _hull_mask(face.xy, img.shape)
    near = _hull_mask(face.xy, img.shape, dilate=10)
    inside = changed[hull].mean()
    outside = changed[~near].mean()
    min_inside = {5: 0.003, 68: 0.03}.get(vs.subset, 0.15) if vs.view is View.POINTS else 0.15
    assert inside > min_inside, inside
    assert outside < 0.005, outside
    assert img.dtype == np.uint8 and img.shape == rgb.shape


def test_depth_view_fills_most_of_the_face(astronaut):
    rgb, face = astronaut
    img = rgb.copy()
    Renderer().draw(img, [face], _quiet(ViewState(View.DEPTH)))
    hull = _hull_mask(face.xy, img.shape)
    assert (img != rgb).any(axis=2)[hull].mean() > 0.85
    # Near (nose tip, 4) is warm and far (cheek edge at the face oval, 234) is cold.
    nose = img[tuple(np.rint(face.xy[4, ::-1]).astype(int))].astype(int)
    assert nose[0] > nose[2]


def test_subset_sizes_and_dot_count(astronaut):
    assert {n: len(set(idx)) for n, idx in topo.SUBSETS.items()} == {478: 478, 146: 146, 68: 68,
                                                                    5: 5}
    rgb, face = astronaut
    img = np.zeros_like(rgb)
    Renderer().draw(img, [face], _quiet(ViewState(View.POINTS, 5)))
    count, _ = cv2.connectedComponents((img.any(axis=2)).astype(np.uint8))
    assert count - 1 == 5  # five separate dots (minus the background)


def test_legend_belongs_to_the_hud(astronaut):
    rgb, face = astronaut
    quiet, shown = rgb.copy(), rgb.copy()
    Renderer().draw(quiet, [face], _quiet(ViewState(View.DEPTH)))
    Renderer().draw(shown, [face], ViewState(View.DEPTH, show_hud=True), None)
    h, w = rgb.shape[:2]
    left_middle = (slice(h // 3, 2 * h // 3), slice(0, w // 10))
    assert (shown != quiet)[left_middle].any() and not (quiet != rgb)[left_middle].any()


def test_box_hud_and_legend_layers(astronaut):
    rgb, face = astronaut
    base = rgb.copy()
    Renderer().draw(base, [face], _quiet(ViewState(View.DEPTH)))
    full = rgb.copy()
    Renderer().draw(full, [face], ViewState(View.DEPTH, show_box=True, show_hud=True),
                    Hud(12.5, 1, 2, {"detect": 10.0, "landmarks": 20.0}))
    diff = (full != base).any(axis=2)
    h = rgb.shape[0]
    assert diff[: h // 8].any()  # HUD at the top
    x, y, w, bh = np.round(face.detection.box).astype(int)
    assert diff[y:y + bh + 1, x - 1:x + 2].any()  # box left edge (sub-pixel, anti-aliased)
    assert hud_lines(Hud(12.5, 1, 2, {"detect": 10.0})) == ["12.5 fps  faces 1/2",
                                                             "det 10.0 ms"]


def test_signal_layer_draws_axes_from_the_nose_and_gauges_beside_the_face(astronaut):
    """The SIG layer: three axes from the nose tip, gauges right of the mesh (at the
    frame's right edge they move left of it), and nothing for a face without signals."""
    import dataclasses

    rgb, face = astronaut
    assert face.signals is not None
    base = rgb.copy()
    Renderer().draw(base, [face], _quiet(ViewState(View.MESH)))
    drawn = rgb.copy()
    Renderer().draw(drawn, [face], ViewState(View.MESH, show_hud=False, show_signals=True))
    diff = (drawn != base).any(axis=2)
    nx, ny = np.rint(face.xy[1]).astype(int)
    assert diff[ny - 3:ny + 4, nx - 3:nx + 4].any()  # the axes start at the nose tip
    x, y, w, h = np.rint(face.mesh_box).astype(int)
    assert diff[y:y + h // 2, x + w:x + w + h // 4].sum() > 50  # gauges on the right
    assert not diff[:, : x - 2].any()  # nothing left of the face
    at_edge = moved(face, 1.0, (rgb.shape[1] - (x + w) - 3, 0))
    edge = rgb.copy()
    Renderer().draw(edge, [at_edge], ViewState(View.MESH, show_hud=False, show_signals=True))
    plain = rgb.copy()
    Renderer().draw(plain, [at_edge], _quiet(ViewState(View.MESH)))
    ex = int(round(float(at_edge.mesh_box[0])))
    assert ((edge != plain).any(axis=2)[y:y + h // 2, ex - h // 4:ex]).sum() > 50  # left
    unmeasured = rgb.copy()
    Renderer().draw(unmeasured, [dataclasses.replace(face, signals=None)],
                    ViewState(View.MESH, show_hud=False, show_signals=True))
    assert (unmeasured == base).all()


def test_nan_keypoints_are_skipped(astronaut):
    rgb, face = astronaut
    kps = face.detection.keypoints.copy()
    kps[1:] = np.nan
    f = make_face(face.xy, face.depth, keypoints=kps)
    img = rgb.copy()
    Renderer().draw(img, [f], ViewState(View.MESH, show_box=True, show_hud=False))
    assert (img != rgb).any()


@pytest.mark.parametrize("offset", [(-150, 0), (300, 0), (0, -100), (200, 400), (5000, 5000)])
@pytest.mark.parametrize("vs", VIEWS, ids=IDS)
def test_faces_partly_or_wholly_outside_the_frame(astronaut, vs, offset):
    rgb, face = astronaut
    f = moved(face, 1.0, offset)
    img = rgb.copy()
    Renderer().draw(img, [f], ViewState(vs.view, vs.subset, show_box=True, show_hud=True), Hud())
    quiet = rgb.copy()
    Renderer().draw(quiet, [f], ViewState(vs.view, vs.subset, show_box=True, show_hud=False))
    assert (quiet != rgb).any() == (offset != (5000, 5000))


def test_each_layer_is_a_few_cv2_calls(astronaut, monkeypatch):
    """No per-landmark or per-edge Python loop: count the drawing calls per face."""
    rgb, face = astronaut
    calls: dict[str, int] = {}
    for name in ("polylines", "circle", "fillPoly", "line"):
        real = getattr(cv2, name)

        def counted(*a, _real=real, _name=name, **k):
            calls[_name] = calls.get(_name, 0) + 1
            return _real(*a, **k)

        monkeypatch.setattr(painters.cv2, name, counted)
    faces = [moved(face, 1.0, (dx, 0), track_id=i) for i, dx in enumerate((0, 60, -60))]
    budget = {View.MESH: {"polylines": 5, "circle": 2},
              View.POINTS: {"polylines": 1},
              View.DEPTH: {"fillPoly": 16, "polylines": 1}}
    for view, per_face in budget.items():
        calls.clear()
        Renderer().draw(rgb.copy(), faces, ViewState(view, show_box=False, show_hud=False))
        for name, n in calls.items():
            assert n <= per_face.get(name, 0) * len(faces) + (1 if view is View.DEPTH else 0), \
                (view, name, n)


def test_styles_scale_on_large_frames(astronaut):
    rgb, face = astronaut
    big = cv2.resize(rgb, None, fx=3, fy=3)
    thin, thick = rgb.copy(), big.copy()
    Renderer().draw(thin, [face], _quiet(ViewState(View.POINTS)))
    Renderer().draw(thick, [moved(face, 3.0)], _quiet(ViewState(View.POINTS)))
    # A 1536 px frame draws 3x wider dots than a 512 px one: ~9x the pixels (1x unscaled).
    assert (thick != big).any(axis=2).sum() > 6 * (thin != rgb).any(axis=2).sum()
