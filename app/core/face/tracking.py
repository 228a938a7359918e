"""Face tracking: crops follow the previous landmarks, the detector runs only when needed.

Like MediaPipe's face mesh graph, a tracked face's next crop is a square around its
mesh (1.5x the landmarks' box, rotated by the outer eye corners), so the detector is
not needed for it. The detector runs when nothing is tracked, when a track is lost
(its face score fell below the threshold) and every `detector_interval` frames while
fewer than `max_faces` faces are tracked. A detection that lands on a tracked face does
not start a second track. Each track has a stable id and its own smoothing filter and
signal state (app/core/signals.py: pose, eyes, blinks...), both new when the track
starts, so nothing of a lost face carries over. Signals are measured on the track's raw
landmarks and smoothed on their own, at the landmarks' strength. So are its
expression's blendshapes (app/core/expressions/tracking.py): evaluated on the track's
raw landmarks when its turn at `expressions.rate_hz` comes (the tracks take turns, so
no frame pays for every face), smoothed at the same strength, new with the track.

With `tracking=False` every frame is a still: the detector runs, each detection gets
landmarks, and no state is carried to the next frame. This is the one detect-then-
landmark path of the app, for videos and photos alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..expressions.tracking import BlendshapeModel, ExpressionParams, ExpressionTrack, due, new_track

import numpy as np

from .faces import Detection, Face
from .geometry import lands_on
from .pipeline import SAME_FACE_IOU, FacePipeline
from ..signals import SignalParams, SignalTracker
from .smoothing import LandmarkSmoother, params_for_strength
from . import topology

_KEEP: Any = object()  # configure(): a setting left as it is
MESH_ROI_SCALE = 1.5  # face_landmark_landmarks_to_roi.pbtxt
_EYE_CORNERS = np.array(topology.OUTER_EYE_CORNERS, np.intp)


class Track:
    """One tracked face: its id, its latest raw landmarks, its smoothing filter, its
    signal state and its expression state (each None when off).

    `face` holds the raw landmarks of the last frame: the next crop follows these, not
    the smoothed ones.
    """

    def __init__(self, track_id: int, face: Face, smoother: LandmarkSmoother | None,
                 signals: SignalTracker | None, expression: ExpressionTrack | None = None) -> None:
        self.id = track_id
        self.face = face
        self.smoother = smoother
        self.signals = signals
        self.expression = expression

    @property
    def mesh_box(self) -> np.ndarray:
        return self.face.mesh_box

    @property
    def area(self) -> float:
        _, _, w, h = self.face.mesh_box.tolist()
        return w * h


@dataclass
class TrackerStats:
    """Model forwards in the last frame (the device's cost drivers)."""

    detector_runs: int = 0
    landmark_runs: int = 0
    blendshape_runs: int = 0


class FaceTracker:
    """`update(frame, t) -> faces`: tracked faces, largest first, with stable ids.

    max_faces:         most faces tracked at once (the largest win).
    detector_interval: frames between detector runs while fewer than max_faces are tracked.
    smoothing:         landmark smoothing strength, 0 (raw) .. 1.
    signals:           how faces' signals are measured; None: not at all (nothing uses them).
    tracking:          False: detect on every frame, nothing carried over.
    expressions:       how faces' expressions are read; None: not at all.
    blendshapes:       the blendshape network (LiteRT on a PC, numpy on the device); None:
                       no expressions.
    """

    def __init__(self, pipeline: FacePipeline, *, max_faces: int, detector_interval: int,
                 smoothing: float, signals: SignalParams | None, tracking: bool,
                 expressions: ExpressionParams | None = None,
                 blendshapes: BlendshapeModel | None = None) -> None:
        self.pipeline = pipeline
        self.blendshapes = blendshapes
        self.expressions = expressions if blendshapes is not None else None
        self.max_faces = max_faces
        self.detector_interval = detector_interval
        self.tracking = tracking
        self.smoothing = smoothing
        self.signals = signals
        self.tracks: list[Track] = []
        self.stats = TrackerStats()
        self._next_id = 1
        self._since_detect = 0

    def configure(self, *, max_faces: int, smoothing: float, detector_interval: int,
                  signals: SignalParams | None, expressions: Any = _KEEP) -> None:
        """Apply changed settings; a new smoothing strength restarts the filters. Signals
        turned on start afresh; changed signal settings keep each track's blinks.
        Expressions (an ExpressionParams, None: off; left out: as they are) turned on
        start afresh; changed ones keep each track's baseline."""
        if expressions is not _KEEP and self.blendshapes is not None \
                and expressions != self.expressions:
            for track in self.tracks:
                if expressions is None or track.expression is None:
                    track.expression = new_track(expressions, 0.0, still=not self.tracking)
                else:
                    track.expression.configure(expressions)
            self.expressions = expressions
        self.max_faces = max_faces
        self._trim()
        self.detector_interval = detector_interval
        if smoothing != self.smoothing:
            self.smoothing = smoothing
            for track in self.tracks:
                track.smoother = self._new_smoother()
        if signals != self.signals:
            for track in self.tracks:
                if signals is None or track.signals is None:
                    track.signals = self._new_signals(signals)
                else:
                    track.signals.configure(signals)
            self.signals = signals

    def update(self, frame: Any, t: float) -> list[Face]:
        """Faces in `frame` at time `t` (seconds, for smoothing)."""
        self.stats = TrackerStats()
        if not self.tracking:
            self.tracks = []
        lost = self._follow(frame)
        self._since_detect += 1
        if (not self.tracks or lost or
                (len(self.tracks) < self.max_faces and self._since_detect >= self.detector_interval)):
            self._detect(frame, t)
        self._trim()
        return self._outputs(t)

    # -- steps -------------------------------------------------------------------------

    def _follow(self, frame: Any) -> bool:
        """Re-run landmarks on each track's next crop; True if a track was lost."""
        kept: list[Track] = []
        lost = False
        for track in self.tracks:
            box = track.mesh_box
            request = self.pipeline.request_from_face(track.face, MESH_ROI_SCALE, box)
            detection = Detection(box, track.face.score, track.face.xy[_EYE_CORNERS])
            with self.pipeline.clock.stage("landmarks"):
                face = self.pipeline.landmarks_for(frame, request, detection, track.id)
            self.stats.landmark_runs += 1
            if not face.valid:
                lost = True
                continue
            track.face = face
            kept.append(track)
        # Two tracks that converged on one face: keep the older (lower id).
        kept.sort(key=lambda tr: tr.id)
        unique: list[Track] = []
        for track in kept:
            if unique and self._overlaps(track.mesh_box, unique):
                continue
            unique.append(track)
        self.tracks = unique
        return lost

    def _detect(self, frame: Any, t: float) -> None:
        self._since_detect = 0
        detections = self.pipeline.detect(frame)
        self.stats.detector_runs += 1
        for detection in detections:
            if len(self.tracks) >= self.max_faces:
                break
            if self.tracks and lands_on(detection.box, self._boxes(self.tracks), SAME_FACE_IOU):
                continue
            with self.pipeline.clock.stage("landmarks"):
                face = self.pipeline.landmarks_for(frame, self.pipeline.request_for(detection),
                                                   detection, self._next_id)
            self.stats.landmark_runs += 1
            if not face.valid:
                continue
            track = Track(self._next_id, face, self._new_smoother(),
                          self._new_signals(self.signals),
                          new_track(self.expressions, t, still=not self.tracking))
            self._next_id += 1
            if self.tracks and self._overlaps(track.mesh_box, self.tracks):
                continue  # the detector box missed the overlap, the mesh did not
            self.tracks.append(track)

    @staticmethod
    def _boxes(tracks: list[Track]) -> np.ndarray:
        return np.stack([t.mesh_box for t in tracks])

    @staticmethod
    def _overlaps(box: np.ndarray, tracks: list[Track]) -> bool:
        """Whether `box` overlaps a track's mesh box by more than SAME_FACE_IOU. A handful
        of boxes: plain float maths, cheaper than numpy calls on them."""
        ax, ay, aw, ah = box.tolist()
        for track in tracks:
            bx, by, bw, bh = track.mesh_box.tolist()
            iw = min(ax + aw, bx + bw) - max(ax, bx)
            ih = min(ay + ah, by + bh) - max(ay, by)
            inter = iw * ih if iw > 0 and ih > 0 else 0.0
            union = aw * ah + bw * bh - inter
            if union > 0 and inter / union > SAME_FACE_IOU:
                return True
        return False

    def _trim(self) -> None:
        """Keep the `max_faces` largest tracks."""
        self.tracks.sort(key=lambda tr: tr.area, reverse=True)
        del self.tracks[self.max_faces:]

    def _new_smoother(self) -> LandmarkSmoother | None:
        params = params_for_strength(self.smoothing)
        return LandmarkSmoother(params) if params is not None else None

    @staticmethod
    def _new_signals(params: SignalParams | None) -> SignalTracker | None:
        return SignalTracker(params) if params is not None else None

    def _evaluate_expressions(self, t: float) -> None:
        """The blendshape network on the tracks whose turn it is (on their raw landmarks,
        as the signals)."""
        model = self.blendshapes
        live = [(track, track.expression) for track in self.tracks
                if track.expression is not None]
        if model is None or not live:
            return
        turns = due([state for _, state in live], t)
        if not turns:
            return
        with self.pipeline.clock.stage("expression"):
            for k in turns:
                track, state = live[k]
                state.evaluate(model, track.face.xy, t)
        self.stats.blendshape_runs += len(turns)

    def _outputs(self, t: float) -> list[Face]:
        faces = []
        clock = self.pipeline.clock
        self._evaluate_expressions(t)
        for track in self.tracks:
            face = track.face  # raw: the signals are measured on these
            signals = None
            if track.signals is not None:
                with clock.stage("signals"):
                    signals = track.signals.update_face(face, t)
            xy, depth = face.xy, face.depth
            if track.smoother is not None:
                with clock.stage("smooth"):
                    box = track.mesh_box
                    size = float(max(box[2], box[3]))
                    xyd = np.concatenate([xy, depth[:, None]], axis=1)
                    smooth = track.smoother.update(xyd, t, size)
                    xy, depth = smooth[:, :2], smooth[:, 2]
            expression = track.expression.expression if track.expression is not None else None
            faces.append(Face(xy, depth, face.xy_crop, face.score, face.valid, face.transform,
                              face.detection, face.track_id, signals, expression))
        return faces
