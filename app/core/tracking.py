"""Face tracking: crops follow the previous landmarks, the detector runs only when needed.

Like MediaPipe's face mesh graph, a tracked face's next crop is a square around its
mesh (1.5x the landmarks' box, rotated by the outer eye corners), so the detector is
not needed for it. The detector runs when nothing is tracked, when a track is lost
(its face score fell below the threshold) and every `detector_interval` frames while
fewer than `max_faces` faces are tracked. A detection that lands on a tracked face does
not start a second track. Each track has a stable id and its own smoothing filter,
reset when the track starts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .faces import Detection, Face
from .geometry import box_of_points, iou, lands_on
from .pipeline import SAME_FACE_IOU, FacePipeline
from .smoothing import LandmarkSmoother, params_for_strength
from . import topology

MESH_ROI_SCALE = 1.5  # face_landmark_landmarks_to_roi.pbtxt


@dataclass
class Track:
    id: int
    face: Face  # raw landmarks of the last frame (crops follow these, not the smoothed ones)
    smoother: LandmarkSmoother | None
    output: Face = field(init=False)

    def __post_init__(self) -> None:
        self.output = self.face
        self._box_of: Face | None = None
        self._box = np.zeros(4, np.float32)

    @property
    def box(self) -> np.ndarray:
        """The mesh's box; computed once per new face (a frame asks for it several times)."""
        if self._box_of is not self.face:
            self._box = box_of_points(self.face.xy[: topology.NUM_MESH])
            self._box_of = self.face
        return self._box

    @property
    def area(self) -> float:
        b = self.box
        return float(b[2] * b[3])


@dataclass
class TrackerStats:
    """Model forwards in the last frame (the device's cost drivers)."""

    detector_runs: int = 0
    landmark_runs: int = 0


class FaceTracker:
    """`update(frame, t) -> faces`: tracked faces, largest first, with stable ids."""

    def __init__(self, pipeline: FacePipeline, max_faces: int = 2, detector_interval: int = 10,
                 smoothing: float = 0.5, tracking: bool = True) -> None:
        self.pipeline = pipeline
        self.max_faces = max_faces
        self.detector_interval = detector_interval
        self.tracking = tracking
        self.smoothing = smoothing
        self.tracks: list[Track] = []
        self.stats = TrackerStats()
        self._next_id = 1
        self._since_detect = 0

    def configure(self, *, max_faces: int | None = None, smoothing: float | None = None,
                  detector_interval: int | None = None) -> None:
        """Apply changed settings; a new smoothing strength restarts the filters."""
        if max_faces is not None:
            self.max_faces = max_faces
            self._trim()
        if detector_interval is not None:
            self.detector_interval = detector_interval
        if smoothing is not None and smoothing != self.smoothing:
            self.smoothing = smoothing
            for track in self.tracks:
                track.smoother = self._new_smoother()

    def reset(self) -> None:
        self.tracks = []
        self._since_detect = 0

    def update(self, frame: Any, t: float) -> list[Face]:
        """Faces in `frame` at time `t` (seconds, for smoothing)."""
        self.stats = TrackerStats()
        if not self.tracking:
            self.tracks = []
        lost = self._follow(frame)
        self._since_detect += 1
        if (not self.tracks or lost or
                (len(self.tracks) < self.max_faces and self._since_detect >= self.detector_interval)):
            self._detect(frame)
        self._trim()
        return self._outputs(t)

    # -- steps -------------------------------------------------------------------------

    def _follow(self, frame: Any) -> bool:
        """Re-run landmarks on each track's next crop; True if a track was lost."""
        kept: list[Track] = []
        lost = False
        for track in self.tracks:
            request = self.pipeline.request_from_face(track.face, MESH_ROI_SCALE, track.box)
            detection = Detection(track.box, track.face.score,
                                  track.face.xy[list(topology.OUTER_EYE_CORNERS)])
            with self.pipeline.clock.stage("landmarks"):
                face = self.pipeline.landmarks_for(frame, request, detection)
            self.stats.landmark_runs += 1
            if not face.valid:
                lost = True
                continue
            track.face = face.with_track(track.id)
            kept.append(track)
        # Two tracks that converged on one face: keep the older (lower id).
        kept.sort(key=lambda tr: tr.id)
        unique: list[Track] = []
        for track in kept:
            if unique and iou(track.box, np.stack([u.box for u in unique])).max() > SAME_FACE_IOU:
                continue
            unique.append(track)
        self.tracks = unique
        return lost

    def _detect(self, frame: Any) -> None:
        self._since_detect = 0
        detections = self.pipeline.detect(frame)
        self.stats.detector_runs += 1
        for detection in detections:
            if len(self.tracks) >= self.max_faces:
                break
            if self.tracks and self._overlaps_track(detection):
                continue
            with self.pipeline.clock.stage("landmarks"):
                face = self.pipeline.landmarks_for(frame, self.pipeline.request_for(detection),
                                                   detection)
            self.stats.landmark_runs += 1
            if not face.valid:
                continue
            track = Track(self._next_id, face.with_track(self._next_id), self._new_smoother())
            self._next_id += 1
            if self.tracks and self._overlaps_track_box(track.box):
                continue  # the detector box missed the overlap, the mesh did not
            self.tracks.append(track)

    def _overlaps_track(self, detection: Detection) -> bool:
        return lands_on(detection.box, np.stack([t.box for t in self.tracks]), SAME_FACE_IOU)

    def _overlaps_track_box(self, box: np.ndarray) -> bool:
        return bool(iou(box, np.stack([t.box for t in self.tracks])).max() > SAME_FACE_IOU)

    def _trim(self) -> None:
        """Keep the `max_faces` largest tracks."""
        self.tracks.sort(key=lambda tr: tr.area, reverse=True)
        del self.tracks[self.max_faces:]

    def _new_smoother(self) -> LandmarkSmoother | None:
        params = params_for_strength(self.smoothing)
        return LandmarkSmoother(params) if params is not None else None

    def _outputs(self, t: float) -> list[Face]:
        faces = []
        for track in self.tracks:
            face = track.face
            if track.smoother is not None:
                with self.pipeline.clock.stage("smooth"):
                    box = track.box
                    size = float(max(box[2], box[3]))
                    xyd = np.concatenate([face.xy, face.depth[:, None]], axis=1)
                    smooth = track.smoother.update(xyd, t, size)
                    face = Face(smooth[:, :2], smooth[:, 2], face.xy_crop, face.score,
                                face.valid, face.transform, face.detection, face.track_id,
                                face.extras)
            track.output = face
            faces.append(face)
        return faces
