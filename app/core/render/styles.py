"""How each layer looks: immutable `DrawSpec` values per edge group and per view. No cv2.

Colours are RGB tuples stored once in the palette below; frames are RGB, so cv2 takes
them as they are (a maix `image.Color` is built only in the device adapter, if ever).
A painter given `None` instead of a spec skips that layer. Sizes are for frames up to
~600 px on the short side; `Styles.scaled(k)` multiplies every thickness and radius for
larger ones. The values are NamedTuples: as immutable as frozen dataclasses, and made at
import for a fifth of their cost (dataclasses compile their methods at every start).
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, NamedTuple

import numpy as np

from ..face import topology as topo
from . import colormap

RGB = tuple[int, int, int]

# Palette (RGB). MediaPipe's drawing_styles colours, converted from its BGR values.
WHITE: RGB = (224, 224, 224)
GRAY: RGB = (160, 160, 160)
RED: RGB = (255, 48, 48)
GREEN: RGB = (48, 255, 48)
CYAN: RGB = (48, 255, 192)
YELLOW: RGB = (255, 204, 0)
BLACK: RGB = (0, 0, 0)
PURE_WHITE: RGB = (255, 255, 255)
PANEL: RGB = (24, 24, 28)
PANEL_HELD: RGB = (110, 110, 120)
ACCENT: RGB = (0, 122, 204)


class DrawSpec(NamedTuple):
    """One layer's pen, in image pixels.

    thickness: line width (>= 1); radius: dot or circle radius (points, keypoints).
    antialias: cv2.LINE_AA instead of LINE_8 (about 3-4x the cost; worth it on short
               edge sets, not on the 2556-edge tessellation).
    """

    color_rgb: RGB
    thickness: int = 1
    radius: int = 1
    antialias: bool = False

    def scaled(self, k: int) -> "DrawSpec":
        return self._replace(thickness=self.thickness * k, radius=self.radius * k)


# Edge groups of the mesh view: name -> MediaPipe connection set. "left" is the
# subject's left (on the image's right for a camera facing the subject), as MediaPipe.
CONTOUR_GROUPS: Mapping[str, frozenset] = {
    "face_oval": topo.FACEMESH_FACE_OVAL,
    "lips": topo.FACEMESH_LIPS,
    "left_eye": topo.FACEMESH_LEFT_EYE,
    "left_eyebrow": topo.FACEMESH_LEFT_EYEBROW,
    "right_eye": topo.FACEMESH_RIGHT_EYE,
    "right_eyebrow": topo.FACEMESH_RIGHT_EYEBROW,
    "nose": topo.FACEMESH_NOSE,
}
# Irises: name -> the 5 landmarks (centre first).
IRIS_GROUPS: Mapping[str, tuple[int, ...]] = {
    "left_iris": topo.IRIS_362_263,
    "right_iris": topo.IRIS_33_133,
}


def _read_only_map(specs: Mapping) -> Mapping:
    """A read-only view, so a style value cannot be changed behind the renderer's back."""
    return MappingProxyType(dict(specs))


def _scaled_map(specs: Mapping[str, DrawSpec], k: int) -> Mapping[str, DrawSpec]:
    return _read_only_map({name: spec.scaled(k) for name, spec in specs.items()})


class MeshStyle(NamedTuple):
    """Mesh view: tessellation under contours under iris circles; a missing group is not drawn."""

    tessellation: DrawSpec | None = DrawSpec(GRAY, 1)
    contours: Mapping[str, DrawSpec] = _read_only_map({
        "face_oval": DrawSpec(WHITE, 1, antialias=True),
        "lips": DrawSpec(WHITE, 1, antialias=True),
        "left_eye": DrawSpec(GREEN, 1, antialias=True),
        "left_eyebrow": DrawSpec(GREEN, 1, antialias=True),
        "right_eye": DrawSpec(RED, 1, antialias=True),
        "right_eyebrow": DrawSpec(RED, 1, antialias=True),
    })
    irises: Mapping[str, DrawSpec] = _read_only_map({
        "left_iris": DrawSpec(GREEN, 1, antialias=True),
        "right_iris": DrawSpec(RED, 1, antialias=True),
    })

    def scaled(self, k: int) -> "MeshStyle":
        return MeshStyle(self.tessellation and self.tessellation.scaled(k),
                         _scaled_map(self.contours, k), _scaled_map(self.irises, k))


class PointsStyle(NamedTuple):
    """Points view: one dot spec per subset size (fewer points -> bigger dots)."""

    by_subset: Mapping[int, DrawSpec] = _read_only_map({
        478: DrawSpec(CYAN, radius=1),
        146: DrawSpec(CYAN, radius=1),
        68: DrawSpec(YELLOW, radius=2),
        5: DrawSpec(YELLOW, radius=3, antialias=True),
    })

    def scaled(self, k: int) -> "PointsStyle":
        return PointsStyle(_read_only_map({n: s.scaled(k) for n, s in self.by_subset.items()}))


class DepthStyle(NamedTuple):
    """Depth view: the face inside its outline coloured by depth (near = warm), in bands.

    levels:     colour bands (the legend shows them).
    alpha:      opacity of the colour over the frame (1 = opaque, cheapest).
    lut_lo/hi:  the part of the colour map used (its darkest ends vanish on dark scenes).
    cells:      depth grid cells across the face (the landmarks' depths are averaged per
                cell, then interpolated); cell_min_px: the smallest cell, in pixels.
    outline:    optional contour lines over the colour for structure.
    """

    levels: int = 16
    alpha: float = 0.8
    lut: np.ndarray = colormap.TURBO_LUT  # (256, 3) uint8 RGB, read-only
    lut_lo: float = 0.08
    lut_hi: float = 0.95
    cells: int = 18
    cell_min_px: float = 3.0
    outline: DrawSpec | None = DrawSpec((40, 40, 40), 1, antialias=True)

    @property
    def colors(self) -> np.ndarray:
        """(levels, 3) uint8 RGB, far first."""
        return colormap.sample(self.lut, self.levels, self.lut_lo, self.lut_hi)

    def scaled(self, k: int) -> "DepthStyle":
        return self._replace(outline=self.outline and self.outline.scaled(k))


class TextStyle(NamedTuple):
    """Text with a dark outline, readable over any background.

    height: cap height as a fraction of the frame height.
    """

    color_rgb: RGB = PURE_WHITE
    outline_rgb: RGB = BLACK
    height: float = 0.04


class BoxStyle(NamedTuple):
    """Detector box, its score and its keypoints (NaN keypoints are skipped)."""

    box: DrawSpec = DrawSpec(YELLOW, 1)
    keypoints: DrawSpec = DrawSpec(RED, radius=2)
    text: TextStyle = TextStyle(color_rgb=YELLOW, height=0.032)

    def scaled(self, k: int) -> "BoxStyle":
        return BoxStyle(self.box.scaled(k), self.keypoints.scaled(k), self.text)


class SignalStyle(NamedTuple):
    """The SIG layer: head-pose axes from the nose tip, and beside the face three gauges
    (left eye, right eye, mouth; eye colours as the mesh's) with the blink count.

    axis_length: axis length as a fraction of the face's height.
    gauge_height/width/gap: fractions of the face's height, at least `min_px` pixels.
    alert_rgb:   the gauges' frame while the eyes have been closed for long.
    """

    axes: tuple[DrawSpec, DrawSpec, DrawSpec] = (DrawSpec(RED, 2, antialias=True),
                                                 DrawSpec(GREEN, 2, antialias=True),
                                                 DrawSpec((64, 128, 255), 2, antialias=True))
    axis_length: float = 0.45
    gauges: tuple[RGB, RGB, RGB] = (GREEN, RED, WHITE)  # left eye, right eye, mouth
    frame_rgb: RGB = GRAY
    alert_rgb: RGB = YELLOW
    gauge_height: float = 0.4
    gauge_width: float = 0.06
    gauge_gap: float = 0.04
    min_px: int = 3
    text: TextStyle = TextStyle(height=0.035)

    def scaled(self, k: int) -> "SignalStyle":
        return self._replace(axes=tuple(a.scaled(k) for a in self.axes))  # type: ignore[arg-type]


class ExpressionStyle(NamedTuple):
    """The SIG layer's expression, under the face's mesh box (above it at the frame's
    bottom): its caption, then its three strongest blendshapes as bars with their names.
    Sizes are fractions of the frame height (readable whatever the face's size: at
    552 x 368 the caption's capitals are 13 px, the bars 7 x 59 px).

    bar_height/bar_width/label: fractions of the frame height.
    """

    caption: TextStyle = TextStyle(height=0.035)
    label: TextStyle = TextStyle(color_rgb=WHITE, height=0.024)
    bar_rgb: RGB = CYAN
    frame_rgb: RGB = GRAY
    bar_height: float = 0.018
    bar_width: float = 0.16
    bars: int = 3


class LegendStyle(NamedTuple):
    """Near/far colour bar of the depth view, at the left edge, vertically centred.

    width/height: fractions of the frame height.
    """

    width: float = 0.035
    height: float = 0.33
    text: TextStyle = TextStyle(height=0.03)


class UiStyle(NamedTuple):
    """Touch buttons: translucent dark rounded rectangles, white text and icons."""

    fill_rgb: RGB = PANEL
    held_rgb: RGB = PANEL_HELD
    active_rgb: RGB = ACCENT
    fill_alpha: float = 0.6
    emphasis_alpha: float = 0.85  # held buttons and toggles that are on
    text_rgb: RGB = PURE_WHITE
    corner: float = 0.25  # corner radius / button height
    text_height: float = 0.4  # cap height / button height


class Styles(NamedTuple):
    mesh: MeshStyle = MeshStyle()
    points: PointsStyle = PointsStyle()
    depth: DepthStyle = DepthStyle()
    box: BoxStyle = BoxStyle()
    signals: SignalStyle = SignalStyle()
    expression: ExpressionStyle = ExpressionStyle()
    hud: TextStyle = TextStyle()
    legend: LegendStyle = LegendStyle()
    ui: UiStyle = UiStyle()

    def scaled(self, k: int) -> "Styles":
        """Every thickness and radius times `k` (text scales with the frame by itself)."""
        if k == 1:
            return self
        return self._replace(mesh=self.mesh.scaled(k), points=self.points.scaled(k),
                                   depth=self.depth.scaled(k), box=self.box.scaled(k),
                                   signals=self.signals.scaled(k))


def scale_for(width: int, height: int) -> int:
    """Thickness multiplier: 1 below 600 px on the short side, then about +1 per 400 px."""
    return max(1, round(min(width, height) / 400))


DEFAULT_STYLES = Styles()
