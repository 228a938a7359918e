"""Face signals from one face's 478 landmarks: head pose, eyes, blinks, mouth and gaze.

Two layers:

* `measure(xy, depth, pixels_per_crop_pixel) -> Measures`: pure per-frame maths. Two
  small matrix products turn the landmarks into every linear quantity needed (the
  Procrustes cross-covariance, eyelid and lip gaps, iris offsets); the rest is plain
  Python float maths on a dozen numbers (cheaper than numpy calls on 3x3 matrices, and
  no BLAS/LAPACK call whose thread pool could wake up).
* `SignalTracker(params)`: one per track. `update(...) -> Signals` normalises the eyes
  to the track's own open-eye level, counts blinks, times closures and smooths the
  output with the app's One Euro filter. Make a new one for each new track (or
  `reset()` it) so a lost face's state is gone.

Frames and conventions
----------------------
Landmarks come in image pixels (x right, y down) plus `depth` = -z in the landmark
model's crop pixels (larger = closer to the camera). They are lifted to a right-handed
camera frame with y up and z toward the camera: `(x, -y, depth * pixels_per_crop_pixel)`,
the frame of MediaPipe's canonical face (app/core/face_model.py, centimetres).

Head pose: a weighted Procrustes fit (scale, rotation, translation) of the canonical
face's 33 basis points, with MediaPipe's weights, to the lifted landmarks, as MediaPipe's
geometry pipeline does, but with an orthographic (weak-perspective) camera instead of
MediaPipe's virtual 63-degree perspective camera: the real camera's field of view is not
known (it changes with the device's lens), the landmark model's z is itself a relative,
orthographic depth in crop pixels, and an orthographic fit makes image rotation and
mirroring act exactly on the angles below. The optimal rotation is found in closed form
(Horn's quaternion method: the largest eigenvalue of a 4x4 matrix by Newton's method on
its characteristic polynomial, as Theobald's QCP does), which always gives a proper
rotation (det = +1), never a reflection.

The rotation R maps the canonical face into the camera frame and is split as
`R = Rz(-roll) . Ry(yaw) . Rx(-pitch)` (angles in degrees):

* yaw > 0: the face turns toward the image's right (the subject's left);
* pitch > 0: the face tilts up;
* roll > 0: the head tilts clockwise in the image. Roll is the outermost rotation, about
  the camera axis, so rotating the picture counter-clockwise by t lowers roll by exactly
  t; a mirrored picture negates yaw and roll and keeps pitch.

Eyes: the eyelid gap of each eye (mean of 7 upper/lower lid pairs of the refined eye
contour, in 3D, along the face's up axis) in canonical centimetres (divided by the fit's
scale), so head turns and distance barely change it. `Signals.eyes` is that gap over
the track's open-eye level (a running mean of its open frames), less the part the mesh
keeps when the eye is shut (`EYE_SHUT_FRACTION`): about 1 open, about 0 shut, never
below 0. `left` is the subject's left eye (the one at 362/263, on the image's right).

Mouth: the inner-lip gap (5 pairs, along the face's up axis) over the canonical face's
mouth width (61 to 291, 4.9 cm): 0 shut (below 0.03 on the test faces), 0.25-0.3 a smile
showing teeth, 0.4+ wide open.

Gaze: eye-in-head direction from each iris centre relative to its eye corners. The iris
offset is taken back into the face's frame (using the fitted rotation and the canonical
iris depth in front of the corners), compared with the canonical face's resting iris,
averaged over both eyes and divided by `GAZE_FULL_CM`. x > 0 looks toward the face's +x
(the image's right for an upright face, the subject's left), y > 0 looks up; both in
-1..1 with the dead zone applied. It says where the eyes point relative to the head:
a face turned right that still looks at the camera reads gaze x < 0.

Unknown values: a frame whose landmarks cannot be fitted (NaN or infinite values, or
all basis points collapsed onto a line or a point) gives NaN for every measure; the
tracker then reports NaN for that frame and leaves blink and closure state unchanged.
Gaze alone is NaN when the face is turned edge-on (|yaw| or |pitch| near 90 degrees).
"""
from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from . import face_model
from .face import topology
from .face.smoothing import OneEuroScalars, params_for_strength

if TYPE_CHECKING:
    from .face.faces import Face
    from .settings import Settings

# Eyelid pairs (upper, lower) from the outer to the inner corner: the refined eye
# contour's 7 upper points over its 7 lower ones (corners excluded).
EYE_LIDS_LEFT = tuple(zip(topology.EYE_CONTOUR_362_263[9:16], topology.EYE_CONTOUR_362_263[1:8]))
EYE_LIDS_RIGHT = tuple(zip(topology.EYE_CONTOUR_33_133[9:16], topology.EYE_CONTOUR_33_133[1:8]))
# Inner-lip pairs (upper, lower) around the centre of the mouth.
LIP_PAIRS = ((81, 178), (82, 87), (13, 14), (312, 317), (311, 402))
MOUTH_CORNERS = (61, 291)
# Each iris centre and its eye's corners.
IRIS_LEFT, CORNERS_LEFT = topology.IRIS_362_263[0], topology.EYE_CORNERS_362_263
IRIS_RIGHT, CORNERS_RIGHT = topology.IRIS_33_133[0], topology.EYE_CORNERS_33_133

# Gaze. The iris offset (canonical cm) that reads 1, about 25 degrees of eye turn; the
# hard sideways glance in tests/data/obama2.jpg measures 0.22 cm (-0.54 before the dead
# zone). The canonical mesh's resting iris sits on its eye corners' line; the landmark
# model puts an iris that looks at the camera higher: 0.18 cm is the median over the test
# portraits that look at the camera (0.13-0.22; wide-open eyes, as in 0-f1-su-ph.jpg,
# read lower: vertical gaze is the coarsest signal).
GAZE_FULL_CM = 0.4
IRIS_REST_LIFT_CM = 0.18
MIN_SCALE = 1e-3  # image pixels per canonical cm below which a fit is no face (0.02 px wide)
GAZE_MIN_FACING = 0.2  # |cos| of the angle to the camera below which gaze is NaN (edge-on)

# Rows of the feature matrices (see `_tables`).
_S_X, _S_Y, _S_Z, _EYE_L, _EYE_R, _MOUTH, _IRIS_L, _IRIS_R = range(8)

# Smoothing: the One Euro filter's speed term is in face sizes per second, so each
# signal is filtered in "face sizes": how far the landmarks move for one unit of it.
FACE_SIZE_CM = 17.7  # canonical forehead (10) to chin (152), the mesh box's long side


class Measures(NamedTuple):
    """One frame's raw measures (NaN = unknown). Angles in degrees; see the module doc."""

    yaw: float
    pitch: float
    roll: float
    scale: float  # image pixels per canonical centimetre
    eye_left: float  # eyelid gap, canonical cm
    eye_right: float
    mouth: float  # inner-lip gap / canonical mouth width
    gaze_x: float  # eye-in-head, in GAZE_FULL_CM units, no dead zone, not clipped
    gaze_y: float


_UNKNOWN = Measures(*(math.nan,) * 9)


class _Tables(NamedTuple):
    lxy: np.ndarray  # (8, 478) float32: features = lxy @ xy
    lz: np.ndarray  # (6, 478) float32: depth features = lz @ depth
    weight_spread: float  # sum of w |c - c_mean|^2 over the basis (canonical cm^2)
    iris_left: tuple[float, float, float]  # resting iris - corner midpoint, canonical cm
    iris_right: tuple[float, float, float]
    mouth_width: float  # canonical cm
    face_units: tuple[float, ...]  # face sizes per unit of each smoothed signal


@functools.lru_cache(maxsize=1)
def _tables() -> _Tables:
    """Feature matrices and canonical constants, built on first use."""
    basis = np.array(face_model.PROCRUSTES_BASIS, np.float64)
    index, canon, w = basis[:, 0].astype(np.intp), basis[:, 1:4], basis[:, 4]
    centred = canon - (w[:, None] * canon).sum(0) / w.sum()
    n = topology.NUM_LANDMARKS
    lxy = np.zeros((8, n), np.float64)
    # Procrustes cross-covariance S[a, b] = sum_i w_i (c_i - c_mean)[a] p_i[b]: since the
    # weighted canonical points are centred, p needs no centring.
    lxy[_S_X:_S_Z + 1, index] = (w[:, None] * centred).T
    for row, pairs in ((_EYE_L, EYE_LIDS_LEFT), (_EYE_R, EYE_LIDS_RIGHT), (_MOUTH, LIP_PAIRS)):
        for upper, lower in pairs:
            lxy[row, upper] += 1.0 / len(pairs)
            lxy[row, lower] -= 1.0 / len(pairs)
    for row, iris, (a, b) in ((_IRIS_L, IRIS_LEFT, CORNERS_LEFT),
                              (_IRIS_R, IRIS_RIGHT, CORNERS_RIGHT)):
        lxy[row, iris] += 1.0
        lxy[row, [a, b]] -= 0.5
    vertex = dict(face_model.CANONICAL_VERTICES)
    vertex.update({int(i): tuple(c) for i, c in zip(index, canon.tolist())})

    def rest(iris: int, corners: tuple[int, int]) -> tuple[float, float, float]:
        a, b = vertex[corners[0]], vertex[corners[1]]
        x, y, z = (vertex[iris][k] - 0.5 * (a[k] + b[k]) for k in range(3))
        return x, y + IRIS_REST_LIFT_CM, z

    spread = float((w * (centred ** 2).sum(1)).sum())
    mouth_width = math.dist(vertex[MOUTH_CORNERS[0]], vertex[MOUTH_CORNERS[1]])
    radius = math.sqrt(spread / float(w.sum()))  # how far a degree of turn moves the basis
    eye_gap = 0.6  # a real open eye's gap (cm): single_face.mp4 measures 0.6-0.69
    face_units = (
        (math.radians(1.0) * radius / FACE_SIZE_CM,) * 3  # yaw, pitch, roll (degrees)
        + (eye_gap / FACE_SIZE_CM,) * 2  # eyes (openness)
        + (mouth_width / FACE_SIZE_CM,)  # mouth
        + (GAZE_FULL_CM / FACE_SIZE_CM,) * 2  # gaze
    )
    lxy32 = np.ascontiguousarray(lxy, np.float32)
    return _Tables(lxy32, np.ascontiguousarray(lxy32[:_MOUTH + 1]), spread,
                   rest(IRIS_LEFT, CORNERS_LEFT), rest(IRIS_RIGHT, CORNERS_RIGHT),
                   mouth_width, face_units)


# --------------------------------------------------------------------------------------
# Per-frame maths (pure)
# --------------------------------------------------------------------------------------


def measure(xy: np.ndarray, depth: np.ndarray, pixels_per_crop_pixel: float) -> Measures:
    """Pose, eyelid gaps, mouth and gaze of one face, from its raw landmarks.

    xy:    (478, 2) image pixels (float or int, as the device gives them).
    depth: (478,) -z in crop pixels, larger = closer (float or int).
    pixels_per_crop_pixel: image pixels per crop pixel (brings depth to image pixels).
    """
    tables = _tables()
    fxy = (tables.lxy @ xy).tolist()  # the only numpy work: two products, two lists
    fz = (tables.lz @ depth).tolist()
    return _measures(fxy, fz, float(pixels_per_crop_pixel), tables)


def _measures(fxy: list[list[float]], fz: list[float], k: float, tables: _Tables) -> Measures:
    # S[a][b]: canonical axis a against observed axis b, in the y-up camera frame.
    s = [[fxy[a][0], -fxy[a][1], fz[a] * k] for a in (_S_X, _S_Y, _S_Z)]
    fit = fit_rotation(s)
    if fit is None:
        return _UNKNOWN
    r, lam = fit
    scale = lam / tables.weight_spread  # image pixels per canonical cm
    if not scale > MIN_SCALE:  # collapsed points: what is left is float32 rounding
        return _UNKNOWN
    (r00, r01, r02), (r10, r11, r12), (r20, r21, r22) = r
    yaw, pitch, roll = euler_angles(r)

    def gap(row: int) -> float:  # a 3D gap vector along the face's up axis, canonical cm
        return (r01 * fxy[row][0] - r11 * fxy[row][1] + r21 * fz[row] * k) / scale

    gaze_x = gaze_y = math.nan
    if abs(r22) >= GAZE_MIN_FACING:  # r22 = det of the image-plane 2x2 block of R
        gx = gy = 0.0
        for row, rest in ((_IRIS_L, tables.iris_left), (_IRIS_R, tables.iris_right)):
            # The iris offset in the image is the projection of (qx, qy, rest_z) in the
            # face frame: solve the 2x2 system for qx, qy.
            bx = fxy[row][0] / scale - rest[2] * r02
            by = -fxy[row][1] / scale - rest[2] * r12
            gx += (r11 * bx - r01 * by) / r22 - rest[0]
            gy += (r00 * by - r10 * bx) / r22 - rest[1]
        gaze_x = gx / (2.0 * GAZE_FULL_CM)
        gaze_y = gy / (2.0 * GAZE_FULL_CM)
    return Measures(yaw, pitch, roll, scale, gap(_EYE_L), gap(_EYE_R),
                    gap(_MOUTH) / tables.mouth_width, gaze_x, gaze_y)


Matrix3 = tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]


def fit_rotation(s: list[list[float]]) -> tuple[Matrix3, float] | None:
    """The proper rotation R maximising sum_i w_i p_i . (R c_i), and that maximum.

    s: 3x3 cross-covariance, s[a][b] = sum_i w_i c_i[a] p_i[b] (c canonical, centred
    with the weights; p observed). Returns (R, lam): R row-major, taking canonical axes
    to observed ones, and lam = sum_i w_i p_i . (R c_i) = the fit's scale times
    sum_i w_i |c_i|^2. None when no rotation is defined (NaN/inf input, or no spread).
    Horn's quaternion method: R comes from the eigenvector of the largest eigenvalue of
    a symmetric 4x4 matrix N built from s; that eigenvalue by Newton's method on N's
    characteristic polynomial from an upper bound (Theobald's QCP), the eigenvector as
    the largest row of adj(N - lam I), all in closed form.
    """
    (sxx, sxy, sxz), (syx, syy, syz), (szx, szy, szz) = s
    norm2 = (sxx * sxx + sxy * sxy + sxz * sxz + syx * syx + syy * syy + syz * syz
             + szx * szx + szy * szy + szz * szz)
    if not 0.0 < norm2 < math.inf:
        return None
    norm = math.sqrt(norm2)  # work on s / |s|: every tolerance below is then relative
    sxx, sxy, sxz, syx, syy, syz, szx, szy, szz = (
        sxx / norm, sxy / norm, sxz / norm, syx / norm, syy / norm, syz / norm,
        szx / norm, szy / norm, szz / norm)
    # N (symmetric), its upper triangle.
    n00, n01, n02, n03 = sxx + syy + szz, syz - szy, szx - sxz, sxy - syx
    n11, n12, n13 = sxx - syy - szz, sxy + syx, szx + sxz
    n22, n23 = syy - sxx - szz, syz + szy
    n33 = szz - sxx - syy
    # Characteristic polynomial x^4 + c2 x^2 + c1 x + c0 (trace 0, |s| = 1).
    c2 = -2.0
    c1 = -8.0 * (sxx * (syy * szz - syz * szy) - sxy * (syx * szz - syz * szx)
                 + sxz * (syx * szy - syy * szx))
    c0 = _adjugate_row(n00, n01, n02, n03, n11, n12, n13, n22, n23, n33)[4]  # det N
    lam = 1.7320508075688772  # sqrt(3) >= sigma1 + sigma2 + sigma3 >= the largest root
    for _ in range(60):  # from above, Newton falls monotonically onto the largest root
        lam2 = lam * lam
        slope = (4.0 * lam2 + 2.0 * c2) * lam + c1
        if not slope > 0.0:
            break
        step = ((lam2 + c2) * lam2 + c1 * lam + c0) / slope
        lam -= step
        if step < 1e-12:
            break
    q0, qx, qy, qz, _ = _adjugate_row(n00 - lam, n01, n02, n03, n11 - lam, n12, n13,
                                      n22 - lam, n23, n33 - lam)
    qn = q0 * q0 + qx * qx + qy * qy + qz * qz
    if not qn > 1e-12:  # ~0 when the largest eigenvalue repeats: no unique rotation (a face
        return None  # gives ~1: its eigenvalue gaps are ~1 once s is normalised)
    qn = 1.0 / math.sqrt(qn)
    q0, qx, qy, qz = q0 * qn, qx * qn, qy * qn, qz * qn
    r = ((q0 * q0 + qx * qx - qy * qy - qz * qz, 2.0 * (qx * qy - q0 * qz), 2.0 * (qx * qz + q0 * qy)),
         (2.0 * (qx * qy + q0 * qz), q0 * q0 - qx * qx + qy * qy - qz * qz, 2.0 * (qy * qz - q0 * qx)),
         (2.0 * (qx * qz - q0 * qy), 2.0 * (qy * qz + q0 * qx), q0 * q0 - qx * qx - qy * qy + qz * qz))
    return r, lam * norm


def _adjugate_row(a00: float, a01: float, a02: float, a03: float, a11: float, a12: float,
                  a13: float, a22: float, a23: float, a33: float
                  ) -> tuple[float, float, float, float, float]:
    """For a symmetric 4x4 A (upper triangle given): the row of adj(A) whose diagonal
    entry is the most negative, then det(A); from the 2x2 minors of rows 0-1 and 2-3.

    At A = N - lam I with lam the largest eigenvalue, adj(A) = -g q q^T (g > 0), so every
    row is the eigenvector q times -g q_j; the row with the largest q_j^2 loses least
    to rounding (q_0 alone vanishes for a half turn, e.g. an upside-down face).
    """
    s0 = a00 * a11 - a01 * a01
    s1 = a00 * a12 - a01 * a02
    s2 = a00 * a13 - a01 * a03
    s3 = a01 * a12 - a11 * a02
    s4 = a01 * a13 - a11 * a03
    s5 = a02 * a13 - a12 * a03
    c5 = a22 * a33 - a23 * a23
    c4 = a12 * a33 - a13 * a23
    c3 = a12 * a23 - a13 * a22
    c2 = a02 * a33 - a03 * a23
    c1 = a02 * a23 - a03 * a22
    c0 = a02 * a13 - a03 * a12
    det = s0 * c5 - s1 * c4 + s2 * c3 + s3 * c2 - s4 * c1 + s5 * c0
    d0 = a11 * c5 - a12 * c4 + a13 * c3
    d1 = a00 * c5 - a02 * c2 + a03 * c1
    d2 = a03 * s4 - a13 * s2 + a33 * s0
    d3 = a02 * s3 - a12 * s1 + a22 * s0
    m = min(d0, d1, d2, d3)
    if m == d0:
        return (d0, -a01 * c5 + a02 * c4 - a03 * c3, a13 * s5 - a23 * s4 + a33 * s3,
                -a12 * s5 + a22 * s4 - a23 * s3, det)
    if m == d1:
        return (-a01 * c5 + a12 * c2 - a13 * c1, d1, -a03 * s5 + a23 * s2 - a33 * s1,
                a02 * s5 - a22 * s2 + a23 * s1, det)
    if m == d2:
        return (a01 * c4 - a11 * c2 + a13 * c0, -a00 * c4 + a01 * c2 - a03 * c0, d2,
                -a02 * s4 + a12 * s2 - a23 * s0, det)
    return (-a01 * c3 + a11 * c1 - a12 * c0, a00 * c3 - a01 * c1 + a02 * c0,
            -a03 * s3 + a13 * s1 - a23 * s0, d3, det)


def euler_angles(r: Matrix3) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees with R = Rz(-roll) . Ry(yaw) . Rx(-pitch).

    R maps the canonical face into the camera frame (x right, y up, z toward the camera).
    Yaw is in -90..90; roll and pitch in -180..180.
    """
    (r00, _, _), (r10, _, _), (r20, r21, r22) = r
    roll = math.atan2(-r10, r00)
    yaw = math.atan2(-r20, math.hypot(r00, r10))
    pitch = math.atan2(-r21, r22)
    return math.degrees(yaw), math.degrees(pitch), math.degrees(roll)


def pose_matrix(yaw: float, pitch: float, roll: float) -> Matrix3:
    """R = Rz(-roll) . Ry(yaw) . Rx(-pitch) from degrees (the inverse of euler_angles):
    its columns are the face's x (image right), y (up) and z (toward the camera) axes in
    the camera frame."""
    y, p, r = math.radians(yaw), math.radians(pitch), math.radians(roll)
    cy, sy, cp, sp = math.cos(y), math.sin(y), math.cos(p), math.sin(p)
    cr, sr = math.cos(r), math.sin(r)
    # Ry(yaw) . Rx(-pitch): rows a, b, c; then Rz(-roll) mixes rows a and b.
    a, b, c = (cy, -sy * sp, sy * cp), (0.0, cp, sp), (-sy, -cy * sp, cy * cp)
    return (tuple(cr * u + sr * v for u, v in zip(a, b)),  # type: ignore[return-value]
            tuple(cr * v - sr * u for u, v in zip(a, b)), c)


# --------------------------------------------------------------------------------------
# Per-track state
# --------------------------------------------------------------------------------------

# A shut eye keeps this fraction of its open gap in the mesh (the lid contours do not
# quite meet: 0.02-0.25 at the shut frames 26-27 of tests/data/single_face.mp4, most
# near 0.2); openness maps it to 0.
EYE_SHUT_FRACTION = 0.15
# Before a track has seen an open eye, gaps are compared with this open level (canonical
# cm). Real open eyes measure 0.28 (looking down) to 0.74, shut ones 0.01-0.17: an open
# eye reads open against it (and starts the track's own level), a shut one reads shut.
EYE_LEVEL_PRIOR_CM = 0.35


class SignalParams(NamedTuple):
    """Everything the signals depend on (see the `signals.*` settings for each one)."""

    smoothing: float  # One Euro strength 0..1 as the landmarks' (0 = raw)
    eye_closed_below: float  # openness below which the eyes are closed
    eye_open_above: float  # openness above which they are open again (>= the above)
    blink_max_s: float  # a closure up to this long is a blink
    long_closure_s: float  # closed longer than this: `eyes_closed_long`
    eye_adapt_s: float  # time constant of a track's open-eye level, once settled
    gaze_dead_zone: float  # |gaze| below this reads 0

    @classmethod
    def from_settings(cls, settings: Settings) -> "SignalParams":
        closed = settings.signals_eye_closed_below
        return cls(smoothing=settings.smoothing,
                   eye_closed_below=closed,
                   eye_open_above=max(settings.signals_eye_open_above, closed),
                   blink_max_s=settings.signals_blink_max_s,
                   long_closure_s=settings.signals_long_closure_s,
                   eye_adapt_s=settings.signals_eye_adapt_s,
                   gaze_dead_zone=settings.signals_gaze_dead_zone)


class Signals(NamedTuple):
    """One face's signals for one frame (NaN = unknown this frame; see the module doc).

    pose:   (yaw, pitch, roll) degrees; yaw > 0 face turned to the image's right,
            pitch > 0 face up, roll > 0 head tilted clockwise in the image.
    eyes:   (left, right) openness, the subject's left first: about 1 open (the track's
            own open level), 0 shut, >= 0.
    mouth:  inner-lip gap over the canonical mouth width: 0 shut, 0.25-0.3 a smile
            showing teeth, 0.4+ wide open; >= 0.
    gaze:   (x, y) eye-in-head, -1..1 after the dead zone: x > 0 toward the image's
            right (for an upright face), y > 0 up.
    blinks: closures of both eyes shorter than `blink_max_s` since the track began.
    eyes_closed_s:    how long the eyes have been closed (0 while open).
    eyes_closed_long: eyes_closed_s > `long_closure_s`.
    """

    pose: tuple[float, float, float]
    eyes: tuple[float, float]
    mouth: float
    gaze: tuple[float, float]
    blinks: int
    eyes_closed_s: float
    eyes_closed_long: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: {"pose": [yaw, pitch, roll], "eyes": [left, right], "mouth": m,
        "gaze": [x, y], "blinks": n, "eyes_closed_s": s, "eyes_closed_long": b}.
        Angles rounded to 0.1 degree, the rest to 0.001; NaN becomes None (null)."""
        return {"pose": [_rounded(v, 1) for v in self.pose],
                "eyes": [_rounded(v, 3) for v in self.eyes],
                "mouth": _rounded(self.mouth, 3),
                "gaze": [_rounded(v, 3) for v in self.gaze],
                "blinks": self.blinks,
                "eyes_closed_s": _rounded(self.eyes_closed_s, 3),
                "eyes_closed_long": self.eyes_closed_long}


def _rounded(value: float, digits: int) -> float | None:
    return round(value, digits) if math.isfinite(value) else None


class EyeLevel:
    """One eye's open level and its openness: `openness(gap, dt) -> float`.

    The level is the mean gap of the frames that look open (openness above
    `eye_open_above`): a plain running mean at first (the first open frame sets it, so an
    open eye reads 1 at once), then an exponential mean with time constant `eye_adapt_s`.
    Closed and half-closed frames never pull it down.
    """

    def __init__(self, params: SignalParams) -> None:
        self.params = params
        self.level = EYE_LEVEL_PRIOR_CM
        self.frames = 0  # open frames averaged so far

    def openness(self, gap: float, dt: float) -> float:
        """gap: eyelid gap (canonical cm, NaN = unknown); dt: seconds since last frame."""
        p = self.params
        if _scaled(gap, self.level) > p.eye_open_above:  # False for NaN
            self.frames += 1
            k = min(max(1.0 / self.frames, dt / p.eye_adapt_s), 1.0)
            self.level += k * (gap - self.level)
        return _scaled(gap, self.level)


def _scaled(gap: float, level: float) -> float:
    return (gap / level - EYE_SHUT_FRACTION) / (1.0 - EYE_SHUT_FRACTION)


class BlinkCounter:
    """Closure timing on the mean openness of both eyes: `update(openness, t)`.

    Closed when it falls below `eye_closed_below`, open again when it rises above
    `eye_open_above`; a closure that ends within `blink_max_s` of its first closed frame
    is a blink. Runs on raw (unsmoothed) openness, so smoothing never hides a blink.
    NaN openness leaves the state as it is.
    """

    def __init__(self, params: SignalParams) -> None:
        self.params = params
        self.blinks = 0
        self.closed_since: float | None = None

    def update(self, openness: float, t: float) -> None:
        p = self.params
        if self.closed_since is None:
            if openness < p.eye_closed_below:
                self.closed_since = t
        elif openness > p.eye_open_above:
            if t - self.closed_since <= p.blink_max_s:
                self.blinks += 1
            self.closed_since = None

    def closed_s(self, t: float) -> float:
        return 0.0 if self.closed_since is None else t - self.closed_since


class SignalTracker:
    """A face track's signals: `update(xy, depth, pixels_per_crop_pixel, t) -> Signals`.

    Feed it the track's raw (unsmoothed) landmarks every frame; its outputs are smoothed
    with the One Euro filter at the landmarks' strength (`params.smoothing`, 0 = raw),
    each signal scaled to "face sizes" so the filter reacts as it does for landmarks.
    Create one per new track (or `reset()`), so a lost track's state is gone. `t` in
    seconds; a `t` earlier than the previous one starts over (as after `reset()`).
    """

    def __init__(self, params: SignalParams) -> None:
        self.params = params
        self._filter = self._new_filter(params)
        self._t: float | None = None  # time of the last frame
        self._last: list[float] | None = None  # last smoothed values (roll unwrapped)
        self.reset()

    @staticmethod
    def _new_filter(params: SignalParams) -> OneEuroScalars | None:
        filter_params = params_for_strength(params.smoothing)
        return OneEuroScalars(filter_params) if filter_params is not None else None

    def configure(self, params: SignalParams) -> None:
        """Apply changed settings mid-track: the blink count, closure timing and open-eye
        levels carry on; a new smoothing strength restarts the output filter."""
        if params.smoothing != self.params.smoothing:
            self._filter = self._new_filter(params)
            self._last = None
        self.params = params
        self._blinks.params = params
        for eye in self._eyes:
            eye.params = params

    def reset(self) -> None:
        self._eyes = (EyeLevel(self.params), EyeLevel(self.params))
        self._blinks = BlinkCounter(self.params)
        self._t = None
        self._last = None
        if self._filter is not None:
            self._filter.reset()

    def update(self, xy: np.ndarray, depth: np.ndarray, pixels_per_crop_pixel: float,
               t: float) -> Signals:
        """xy (478, 2) image pixels, depth (478,) -z in crop pixels, t seconds."""
        return self.step(measure(xy, depth, pixels_per_crop_pixel), t)

    def update_face(self, face: Face, t: float) -> Signals:
        return self.update(face.xy, face.depth, face.transform.pixels_per_crop_pixel, t)

    def step(self, m: Measures, t: float) -> Signals:
        """The per-track logic on one frame's measures."""
        if self._t is not None and t < self._t:
            self.reset()
        dt = 0.0 if self._t is None else t - self._t
        self._t = t
        p = self.params
        left = self._eyes[0].openness(m.eye_left, dt)
        right = self._eyes[1].openness(m.eye_right, dt)
        self._blinks.update(0.5 * (left + right), t)
        closed_s = self._blinks.closed_s(t)
        yaw, pitch, roll, left, right, mouth, gx, gy = self._smooth(
            [m.yaw, m.pitch, m.roll, left, right, m.mouth, m.gaze_x, m.gaze_y], t)
        dz = p.gaze_dead_zone
        return Signals((yaw, pitch, roll), (max(left, 0.0), max(right, 0.0)), max(mouth, 0.0),
                       (_dead_zone(gx, dz), _dead_zone(gy, dz)), self._blinks.blinks,
                       closed_s, closed_s > p.long_closure_s)

    def _smooth(self, raw: list[float], t: float) -> list[float]:
        if self._filter is None:
            return raw
        last = self._last
        if last is not None:  # keep roll continuous across +-180 for the filter
            raw[2] = last[2] + (raw[2] - last[2] + 180.0) % 360.0 - 180.0
        known = raw
        if not math.isfinite(sum(raw)):  # hold unknown values at their last smoothed ones
            if last is None:
                return raw
            known = [v if math.isfinite(v) else w for v, w in zip(raw, last)]
        units = _tables().face_units
        out = self._filter.update([v * u for v, u in zip(known, units)], t)
        smooth = [o / u for o, u in zip(out, units)]
        self._last = smooth
        result = [s if math.isfinite(v) else v for v, s in zip(raw, smooth)]
        result[2] = (result[2] + 180.0) % 360.0 - 180.0  # roll back to -180..180
        return result


def _dead_zone(g: float, dz: float) -> float:
    """0 within `dz` of the centre, then linear to +-1 (clipped); NaN stays NaN."""
    a = abs(g)
    if not a > dz:
        return 0.0 if a == a else g
    return math.copysign(min((a - dz) / (1.0 - dz), 1.0), g)
