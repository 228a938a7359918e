"""Face capture for avatar software: one face's head pose and blendshapes as the VMC
protocol's OSC messages (https://protocol.vmc.info), as bytes (the socket is
app/net/vmc.py's).

Per processed frame, for the face chosen (`choose_face`: the largest tracked one):

    /VMC/Ext/OK 1                      a face is tracked (0, and nothing else but the
                                       time, when none is)
    /VMC/Ext/T t                       seconds since the sender started (float)
    /VMC/Ext/Bone/Pos "Head" 0 0 0 qx qy qz qw
                                       the head's rotation (when the pose is known)
    /VMC/Ext/Blend/Val "BrowDownLeft" v    x 51 (names.py), when the face carries its
    ...                                    expression
    /VMC/Ext/Blend/Apply

as one OSC bundle, or as one datagram per message (`bundle=False`).

The head's rotation. Signals' pose (signals.py) is the rotation R of MediaPipe's
canonical face into a right-handed camera frame (x to the image's right, y up, z toward
the camera): R = Rz(-roll) Ry(yaw) Rx(-pitch). A VRM avatar in Unity faces +z with +x
on its own right and y up, in Unity's left-handed frame, and its Head bone's rest
rotation is the identity. Unity's quaternion arithmetic is the usual one (its
Quaternion.AngleAxis(a, axis) is (axis sin a/2, cos a/2) and a quaternion turns vectors
by the usual matrix), so a rotation is handed over as the matrix that moves the avatar's
forward, up and right vectors where the face's went, written in the avatar's axes:

* mirror (default): the avatar moves as the subject's mirror image does (a subject who
  turns to their left sees the avatar turn to the same side of the screen, as in
  VSeeFace's or VMagicMirror's own webcam tracking). Mirroring the camera's picture
  left-right and reading its x axis as the avatar's +x are the same reflection, so the
  matrix is R itself: q = qz(-roll) qy(yaw) qx(-pitch), and left and right blendshapes
  trade places (the subject's left eye closing closes the avatar's right one).
* not mirrored: the avatar turns to its own left when the subject does (it looks like
  the camera's picture): R conjugated by the reflection x -> -x, q = qz(roll) qy(-yaw)
  qx(-pitch), blendshapes on the same side.

Here qx(a), qy(a), qz(a) are rotations by `a` degrees about the axis, composed right to
left (qx first), as R is: exactly R, whatever the angles (Unity's Quaternion.Euler(x, y,
z) composes y x z instead; for the same three angles the two differ once two of them
are large).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..expressions.tables import BLENDSHAPE_INDEX
from ..face.faces import Face
from .names import HEAD_BONE, PERFECT_SYNC
from .osc import SLOT, Arg, Template

DEFAULT_PORT = 39539

BLEND_NAMES: tuple[str, ...] = tuple(clip for _, clip in PERFECT_SYNC)


def _mirrored(name: str) -> str:
    """The MediaPipe name of the other side ("eyeBlinkLeft" <-> "eyeBlinkRight")."""
    if name.endswith("Left"):
        return name[:-4] + "Right"
    if name.endswith("Right"):
        return name[:-5] + "Left"
    return name


def blend_sources(mirror: bool) -> np.ndarray:
    """(51,) indices into a face's 52 blendshapes, one per BLEND_NAMES entry."""
    return np.array([BLENDSHAPE_INDEX[_mirrored(mp) if mirror else mp]
                     for mp, _ in PERFECT_SYNC], np.intp)


def head_quaternion(yaw: float, pitch: float, roll: float,
                    mirror: bool = True) -> tuple[float, float, float, float]:
    """`(x, y, z, w)`: the Head bone's rotation in Unity's axes for a pose in degrees
    (signals.Signals.pose order: yaw, pitch, roll); see the module doc."""
    if mirror:
        ax, ay, az = -pitch, yaw, -roll
    else:
        ax, ay, az = -pitch, -yaw, roll
    hx, hy, hz = (math.radians(a) * 0.5 for a in (ax, ay, az))
    cx, sx = math.cos(hx), math.sin(hx)
    cy, sy = math.cos(hy), math.sin(hy)
    cz, sz = math.cos(hz), math.sin(hz)
    # qz * qy * qx, multiplied out.
    return (cz * cy * sx - sz * sy * cx,
            cz * sy * cx + sz * cy * sx,
            sz * cy * cx - cz * sy * sx,
            cz * cy * cx + sz * sy * sx)


def choose_face(faces: Sequence[Face]) -> Face | None:
    """The face the avatar follows: the largest valid one (mesh box area), or None."""
    best: Face | None = None
    best_area = -1.0
    for face in faces:
        if not face.valid:
            continue
        box = face.mesh_box
        area = float(box[2]) * float(box[3])
        if area > best_area:
            best, best_area = face, area
    return best


class VmcEncoder:
    """A frame's VMC datagrams for the chosen face (pure: the caller sends them).

    bundle: one OSC bundle per frame (one datagram) or one datagram per message.
    mirror: the avatar as the subject's mirror image (module doc).
    """

    def __init__(self, *, bundle: bool = True, mirror: bool = True) -> None:
        self.bundle = bundle
        self.mirror = mirror
        self._sources = blend_sources(mirror)
        self._templates: dict[tuple[bool, bool, bool], Template] = {}

    def _template(self, tracked: bool, bone: bool, blends: bool) -> Template:
        key = (tracked, bone, blends)
        template = self._templates.get(key)
        if template is None:
            messages: list[tuple[str, Sequence[Arg]]] = [
                ("/VMC/Ext/OK", (1 if tracked else 0,)), ("/VMC/Ext/T", (SLOT,))]
            if bone:
                messages.append(("/VMC/Ext/Bone/Pos", (HEAD_BONE, 0.0, 0.0, 0.0) + (SLOT,) * 4))
            if blends:
                messages += [("/VMC/Ext/Blend/Val", (name, SLOT)) for name in BLEND_NAMES]
                messages.append(("/VMC/Ext/Blend/Apply", ()))
            template = self._templates[key] = Template(messages, self.bundle)
        return template

    def encode(self, face: Face | None, time_s: float) -> list[bytes]:
        """The datagrams for one frame: `face` (None: no face tracked) at `time_s`
        seconds since the sender started."""
        values = [time_s]
        bone = False
        expression = face.expression if face is not None else None
        if face is not None and face.signals is not None:
            yaw, pitch, roll = face.signals.pose
            bone = math.isfinite(yaw) and math.isfinite(pitch) and math.isfinite(roll)
            if bone:
                values += head_quaternion(yaw, pitch, roll, self.mirror)
        template = self._template(face is not None, bone, expression is not None)
        if expression is None:
            return template.fill(np.array(values))
        shapes = np.nan_to_num(expression.blendshapes[self._sources], nan=0.0, posinf=1.0,
                               neginf=0.0)
        return template.fill(np.concatenate((values, np.clip(shapes, 0.0, 1.0))))
