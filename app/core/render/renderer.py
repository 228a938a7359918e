"""The overlay: faces drawn as the chosen view, plus box, depth legend and HUD.

`Renderer(styles).draw(rgb, faces, view_state, hud)` paints in place on the frame. The
view picks its painter from a dict (no if/elif on view numbers). The renderer's only
state is the per-face depth range (smoothed so colours do not flicker) and caches of
index tables built once.
"""
from __future__ import annotations

from typing import Callable, Mapping, NamedTuple, Sequence

import numpy as np

from ..face import topology as topo
from ..face.faces import Face
from ..settings import View
from . import painters, paths
from .depth_range import DepthRange
from ..ui import labels
from .styles import DEFAULT_STYLES, IRIS_GROUPS, DrawSpec, Styles, scale_for
from .view import Hud, ViewState

# HUD names for the pipeline's stages (others are shown cut to 4 letters). "landmarks" is
# the whole landmark stage (crop + mesh + iris on a PC) and "total" the whole tracker
# step, so the parts and their sums both show.
_STAGE_NAMES = {"detect": "det", "crop": "crop", "landmark": "mesh", "iris": "iris",
                "landmarks": "lmk", "smooth": "smo", "expression": "expr", "total": "all", "render": "draw"}


class _Prepared(NamedTuple):
    """A style set scaled for one frame size, with its contour batches compiled."""

    styles: Styles
    contours: tuple[tuple[paths.Paths, DrawSpec], ...]  # one polylines call each
    iris_index: np.ndarray  # (G, 5)
    iris_specs: tuple[DrawSpec, ...]
    depth_colors: np.ndarray  # (levels, 3) uint8, far first
    depth_lut: np.ndarray  # (256, 1, 3) uint8: depth step -> its band's colour

    @classmethod
    def of(cls, styles: Styles) -> "_Prepared":
        # Groups sharing a spec are drawn in one call (e.g. face oval and lips).
        by_spec: dict[DrawSpec, list[str]] = {}
        for name, spec in styles.mesh.contours.items():
            by_spec.setdefault(spec, []).append(name)
        contours = tuple((paths.trails(tuple(names)), spec) for spec, names in by_spec.items())
        irises = [(IRIS_GROUPS[name], spec) for name, spec in styles.mesh.irises.items()]
        iris_index = np.array([idx for idx, _ in irises], np.intp).reshape(-1, 5)
        colors = styles.depth.colors
        return cls(styles, contours, iris_index, tuple(s for _, s in irises), colors,
                   painters.depth_lut(colors))


class _FaceCtx(NamedTuple):
    """What the view painters get for one face."""

    face: Face
    pts: np.ndarray  # (478, 2) int32 fixed point
    depth_range: tuple[float, float] | None


def _draw_mesh(img: np.ndarray, f: _FaceCtx, p: _Prepared, vs: ViewState) -> None:
    painters.polyline(img, f.pts, paths.tessellation_route(), p.styles.mesh.tessellation)
    for path_set, spec in p.contours:
        painters.paths(img, f.pts, path_set, spec)
    if len(p.iris_index):
        painters.iris_circles(img, f.face.xy, p.iris_index, p.iris_specs)


def _draw_points(img: np.ndarray, f: _FaceCtx, p: _Prepared, vs: ViewState) -> None:
    by_subset = p.styles.points.by_subset
    spec = by_subset.get(vs.subset, by_subset.get(topo.NUM_LANDMARKS))
    painters.dots(img, f.pts, spec, paths.subset_index(vs.subset))


def _draw_depth(img: np.ndarray, f: _FaceCtx, p: _Prepared, vs: ViewState) -> None:
    assert f.depth_range is not None
    depth01 = DepthRange.normalize(f.face.depth, f.depth_range)
    painters.depth_fill(img, f.face.xy, f.pts, depth01, f.face.mesh_box, p.styles.depth,
                        p.depth_lut)
    painters.paths(img, f.pts, paths.trails(("contours",)), p.styles.depth.outline)


_VIEW_PAINTERS: Mapping[View, Callable[[np.ndarray, _FaceCtx, _Prepared, ViewState], None]] = {
    View.MESH: _draw_mesh,
    View.POINTS: _draw_points,
    View.DEPTH: _draw_depth,
}


def hud_lines(hud: Hud) -> list[str]:
    """The HUD's text: fps and faces shown / limit, then per-stage milliseconds."""
    lines = [f"{hud.fps:.1f} fps  faces {hud.faces}/{hud.max_faces}"]
    if hud.stage_ms:
        stages = "  ".join(f"{_STAGE_NAMES.get(k, k[:4])} {v:.1f}" for k, v in hud.stage_ms.items())
        lines.append(stages + " ms")
    return lines


class Renderer:
    """Draws faces on RGB frames.

    styles:      the look (scaled by `styles.scale_for` on large frames).
    depth_range: the depth view's smoothed per-track range; reset when another view is shown.
    """

    def __init__(self, styles: Styles = DEFAULT_STYLES,
                 depth_range: DepthRange | None = None) -> None:
        self.styles = styles
        self.depth_range = depth_range or DepthRange()
        self._prepared: dict[int, _Prepared] = {}
        self._hud_lines: tuple[Hud | None, list[str]] = (None, [])

    def _prepare(self, k: int) -> _Prepared:
        prepared = self._prepared.get(k)
        if prepared is None:
            prepared = self._prepared[k] = _Prepared.of(self.styles.scaled(k))
        return prepared

    def draw(self, rgb: np.ndarray, faces: Sequence[Face], view_state: ViewState,
             hud: Hud | None = None, text: "painters.TextPainter | None" = None) -> None:
        """Paint `faces` (xy in this frame's pixels) on `rgb` (H, W, 3) uint8, in place.
        `text` draws captions that are not ASCII (the device's CJK font)."""
        h, w = rgb.shape[:2]
        prepared = self._prepare(scale_for(w, h))
        st = prepared.styles
        faces = [f for f in faces if np.isfinite(f.xy).all()]
        if view_state.view == View.DEPTH:
            ranges: Sequence[tuple[float, float] | None] = self.depth_range.update(faces)
        else:
            self.depth_range.reset()
            ranges = [None] * len(faces)
        paint = _VIEW_PAINTERS[View(view_state.view)]  # also takes the plain string
        for face, rng in zip(faces, ranges):  # per face, not per landmark
            paint(rgb, _FaceCtx(face, painters.to_fixed(face.xy), rng), prepared, view_state)
        if view_state.show_box:
            for face in faces:
                painters.box(rgb, face.detection, st.box)
        if view_state.show_signals:
            captions = labels(view_state.locale)
            for face in faces:
                painters.signals(rgb, face, st.signals)
                if face.expression is not None:
                    name = face.expression.name
                    painters.expression(rgb, face, st.expression,
                                        captions.get(f"expr.{name}", name), text)
        if view_state.show_hud:  # the HUD toggle hides all informational text
            if view_state.view == View.DEPTH and faces:
                painters.legend(rgb, st.legend, prepared.depth_colors)
            if hud is not None:
                if self._hud_lines[0] is not hud:  # the same HUD for several frames
                    self._hud_lines = (hud, hud_lines(hud))
                painters.hud(rgb, self._hud_lines[1], st.hud)

