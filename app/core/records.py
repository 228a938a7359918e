"""A processed frame as one JSON object: the JSON lines' schema (`--json`), also what
the network view's events carry (app/net/web). Defined once, here, so the two never
differ."""
from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

import numpy as np

from .expressions import expression_record
from .face.faces import Face


def face_record(face: Face, points: bool = True) -> dict:
    """One face as the JSONL contract has it (image pixels of the source frame); `box` is
    the box around its 468 mesh landmarks; its expression's fields when it has one;
    `emotion` ({"label", "score"}) only where a face-emotion classifier read it (the
    device's model; a PC has none: no key). `points=False` leaves out `points` and
    `points_z` (a network view's light feed: most of the record's bytes and cost)."""
    record: dict[str, Any] = {
        "score": round(float(face.score), 4),
        "box": [round(float(v), 2) for v in face.mesh_box],
    }
    if points:
        record["points"] = np.round(face.xy.astype(np.float64), 2).tolist()
        record["points_z"] = face.points_z
    record["track_id"] = face.track_id
    if face.signals is not None:
        record["signals"] = face.signals.as_dict()
    if face.emotion is not None:
        record["emotion"] = {"label": face.emotion.label,
                             "score": round(float(face.emotion.score), 3)}
    if face.expression is not None:
        record.update(expression_record(face.expression))
    return record


def frame_record(index: int, faces: Sequence[Face], ms: Mapping[str, float],
                 source: str | None = None, points: bool = True) -> dict[str, Any]:
    """`{"frame": i, ["source": path,] "faces": [...], "ms": {stage: ms}}`."""
    line: dict[str, Any] = {"frame": index}
    if source is not None:
        line["source"] = source
    line["faces"] = [face_record(f, points) for f in faces]
    line["ms"] = {k: round(v, 3) for k, v in ms.items()}
    return line


def frame_json(record: Mapping[str, Any]) -> str:
    """The record as one compact line of JSON (no newline)."""
    return json.dumps(record, separators=(",", ":"))
