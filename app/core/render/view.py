"""What to draw: the per-frame values the renderer reads. No cv2.

Kept apart from the painters so the pure UI logic (app/core/ui.py) can use them
without importing cv2. The views themselves are `settings.View`.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, NamedTuple

from ..settings import Settings, View


class ViewState(NamedTuple):
    """The parts of the settings the renderer needs.

    subset: points view only: how many landmarks to show (478, 146, 68 or 5; see
            topology.SUBSETS).
    """

    view: View = View.MESH
    subset: int = 478
    show_box: bool = False
    show_hud: bool = True
    show_signals: bool = False
    locale: str = "en"  # the language of the expressions' captions (ui.labels)

    @classmethod
    def from_settings(cls, settings: Settings) -> "ViewState":
        return cls(View(settings.view), settings.points_subset, settings.show_box,
                   settings.show_hud, settings.show_signals)


class Hud(NamedTuple):
    """Numbers for the heads-up text.

    fps:      frames per second of the whole loop.
    faces:    faces drawn this frame; max_faces: the current limit.
    stage_ms: per-stage wall time of this frame in milliseconds, in display order
              (e.g. StageClock.ms()).
    """

    fps: float = 0.0
    faces: int = 0
    max_faces: int = 0
    stage_ms: Mapping[str, float] = MappingProxyType({})
