"""Face signals, pure maths: pose on the canonical face itself, the rotation fit, eye /
mouth / gaze measures on synthetic faces, the per-track state machine (normalisation,
blinks, long closures, reset), smoothing, int and degenerate inputs.

Synthetic faces are the shipped canonical basis points (app/core/face_model.py) with
eyelids, lips and irises placed where the signals look for them, turned by a known pose
and projected orthographically, as the module assumes.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from app.core import face_model
from app.core.face import topology
from app.core.settings import Settings
from app.core.signals import (EYE_LIDS_LEFT, EYE_LIDS_RIGHT, GAZE_FULL_CM, IRIS_REST_LIFT_CM,
                              LIP_PAIRS, Measures, SignalParams, Signals, SignalTracker,
                              euler_angles, fit_rotation, measure)

BASIS = {row[0]: np.array(row[1:4]) for row in face_model.PROCRUSTES_BASIS}
VERTEX = {**BASIS, **{i: np.array(v) for i, v in face_model.CANONICAL_VERTICES.items()}}
FPS = 30.0


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """The module's convention: R = Rz(-roll) . Ry(yaw) . Rx(-pitch), degrees."""
    y, p, r = np.radians([yaw, pitch, roll])
    rz = np.array([[np.cos(r), np.sin(r), 0], [-np.sin(r), np.cos(r), 0], [0, 0, 1]])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)], [0, -np.sin(p), np.cos(p)]])
    return rz @ ry @ rx


def canonical(eye_gap=(0.6, 0.6), mouth_gap=0.0, gaze=(0.0, 0.0)) -> np.ndarray:
    """(478, 3) canonical-frame points (cm): the basis, plus eyelids `eye_gap` (left,
    right) apart, inner lips `mouth_gap` apart and irises at rest + `gaze` (in gaze
    units). Points the signals do not use sit at the basis centroid."""
    pts = np.tile(np.mean(list(BASIS.values()), axis=0), (topology.NUM_LANDMARKS, 1))
    for i, v in VERTEX.items():
        pts[i] = v
    for (a, b), pairs, gap in ((topology.EYE_CORNERS_362_263, EYE_LIDS_LEFT, eye_gap[0]),
                               (topology.EYE_CORNERS_33_133, EYE_LIDS_RIGHT, eye_gap[1])):
        for k, (upper, lower) in enumerate(pairs, start=1):
            on_line = BASIS[a] + (BASIS[b] - BASIS[a]) * k / 8
            pts[upper] = on_line + (0, gap / 2, 0)
            pts[lower] = on_line - (0, gap / 2, 0)
    middle = (VERTEX[61] + VERTEX[291]) / 2
    for k, (upper, lower) in enumerate(LIP_PAIRS):
        pts[upper] = middle + (k - 2, mouth_gap / 2, 0)
        pts[lower] = middle + (k - 2, -mouth_gap / 2, 0)
    for iris, (a, b) in ((468, topology.EYE_CORNERS_33_133), (473, topology.EYE_CORNERS_362_263)):
        pts[iris] = VERTEX[iris] + (gaze[0] * GAZE_FULL_CM, gaze[1] * GAZE_FULL_CM + IRIS_REST_LIFT_CM, 0)
    return pts


def project(pts: np.ndarray, yaw=0.0, pitch=0.0, roll=0.0, scale=12.0, centre=(320.0, 240.0),
            ppc=1.5) -> tuple[np.ndarray, np.ndarray, float]:
    """(xy, depth, pixels_per_crop_pixel) of canonical points posed and projected."""
    cam = scale * pts @ rotation(yaw, pitch, roll).T  # y up, z toward the camera
    xy = np.stack([centre[0] + cam[:, 0], centre[1] - cam[:, 1]], axis=1).astype(np.float32)
    depth = (cam[:, 2] / ppc).astype(np.float32)
    return xy, depth, ppc


def params(**changes) -> SignalParams:
    return SignalParams.from_settings(Settings().replace(**changes))


def angle_diff(a: float, b: float) -> float:
    return (a - b + 180.0) % 360.0 - 180.0


# -- the rotation fit ------------------------------------------------------------------


def svd_rotation(s: np.ndarray) -> np.ndarray:
    """Reference: the proper rotation maximising sum p . (R c), by SVD (det forced +1)."""
    u, _, vt = np.linalg.svd(s.T)
    return u @ np.diag([1.0, 1.0, np.sign(np.linalg.det(u @ vt))]) @ vt


def test_fit_rotation_matches_svd_including_half_turns_and_reflections():
    rng = np.random.default_rng(0)
    for k in range(3000):
        if k % 3 == 0:  # near a half turn about a random axis: each quaternion part leads
            axis = rng.normal(size=3)
            axis /= np.linalg.norm(axis)
            s = np.diag(rng.uniform(0.2, 2, 3)) @ (2 * np.outer(axis, axis) - np.eye(3))
            s = s + rng.normal(0, 0.01, (3, 3))
        else:  # anything, half of them with det < 0 (the best rotation is no reflection)
            s = rng.normal(size=(3, 3)) * 10.0 ** rng.uniform(-3, 3)
        r, lam = fit_rotation(s.tolist())
        r = np.array(r)
        np.testing.assert_allclose(r, svd_rotation(s), atol=1e-9)
        assert np.linalg.det(r) == pytest.approx(1.0, abs=1e-12)
        assert lam == pytest.approx(np.trace(s @ r), rel=1e-9)


@pytest.mark.parametrize("s", [np.zeros((3, 3)), np.full((3, 3), np.nan),
                               np.diag([np.inf, 1.0, 1.0]), np.diag([1.0, 0.0, 0.0])])
def test_fit_rotation_is_none_when_undefined(s):
    """No spread, NaN, inf, or all points on a line (a rotation about it is free)."""
    assert fit_rotation(s.tolist()) is None


# -- pose on the canonical face --------------------------------------------------------

POSES = [(0, 0, 0), (30, 0, 0), (-30, 0, 0), (0, 25, 0), (0, -25, 0), (0, 0, 40), (0, 0, -40),
         (25, -15, 40), (-60, 30, -170), (45, 40, 120), (10, 10, 180), (-80, -5, 5),
         (5, -70, -90)]


@pytest.mark.parametrize("pose", POSES)
def test_known_pose_comes_back(pose):
    m = measure(*project(canonical(), *pose))
    assert abs(m.yaw - pose[0]) < 0.5
    assert abs(m.pitch - pose[1]) < 0.5
    assert abs(angle_diff(m.roll, pose[2])) < 0.5
    assert m.scale == pytest.approx(12.0, rel=1e-4)


def test_signs_follow_the_image():
    """yaw > 0: nose toward the image's right; pitch > 0: nose up; roll > 0: clockwise."""
    xy0, _, _ = project(canonical())
    nose, eye_a, eye_b = 4, 33, 263  # nose tip; outer eye corners (image left, right)
    xy, d, k = project(canonical(), yaw=20)
    assert xy[nose, 0] > xy0[nose, 0] and measure(xy, d, k).yaw > 0
    xy, d, k = project(canonical(), pitch=20)
    assert xy[nose, 1] < xy0[nose, 1] and measure(xy, d, k).pitch > 0  # image y is down
    xy, d, k = project(canonical(), roll=20)
    assert xy[eye_a, 1] < xy[eye_b, 1] and measure(xy, d, k).roll > 0  # left eye up


def rotate_image_points(xy: np.ndarray, degrees_ccw: float, centre=(100.0, 50.0)) -> np.ndarray:
    """Points of a picture rotated counter-clockwise on screen (image y down)."""
    t = math.radians(degrees_ccw)
    c, s = math.cos(t), math.sin(t)
    d = xy - centre
    return np.stack([centre[0] + c * d[:, 0] + s * d[:, 1],
                     centre[1] - s * d[:, 0] + c * d[:, 1]], axis=1).astype(np.float32)


@pytest.mark.parametrize("t", [-35, -20, 20, 35, 170])
def test_rotating_the_picture_ccw_lowers_roll_by_the_angle(t):
    xy, d, k = project(canonical(), 25, -10, 15)
    m0 = measure(xy, d, k)
    m = measure(rotate_image_points(xy, t), d, k)
    assert angle_diff(m.roll, m0.roll - t) == pytest.approx(0.0, abs=1e-3)
    assert m.yaw == pytest.approx(m0.yaw, abs=1e-3) and m.pitch == pytest.approx(m0.pitch, abs=1e-3)


def mirror_index() -> np.ndarray:
    """Landmark i -> its mirror twin, for the points the signals use (by canonical x)."""
    perm = np.arange(topology.NUM_LANDMARKS)
    pairs = [(a, b) for a in BASIS for b in BASIS
             if np.allclose(BASIS[a] * (-1, 1, 1), BASIS[b], atol=1e-4)]
    pairs += [(468, 473), (473, 468), (61, 291), (291, 61)]
    pairs += [p for lr in zip(EYE_LIDS_LEFT, EYE_LIDS_RIGHT) for a, b in zip(*lr)
              for p in ((a, b), (b, a))]
    pairs += [(u, LIP_PAIRS[4 - k][0]) for k, (u, _) in enumerate(LIP_PAIRS)]
    pairs += [(lo, LIP_PAIRS[4 - k][1]) for k, (_, lo) in enumerate(LIP_PAIRS)]
    for a, b in pairs:
        perm[a] = b
    return perm


def test_a_mirrored_picture_negates_yaw_roll_and_gaze_x():
    pts = canonical(eye_gap=(0.5, 0.7), gaze=(0.4, 0.3))
    xy, d, k = project(pts, 25, -10, 15)
    perm = mirror_index()
    mirrored = xy[perm] * (-1, 1) + (639, 0)
    m0, m = measure(xy, d, k), measure(mirrored.astype(np.float32), d[perm], k)
    assert (m.yaw, m.pitch, m.roll) == pytest.approx((-m0.yaw, m0.pitch, -m0.roll), abs=1e-3)
    assert (m.eye_left, m.eye_right) == pytest.approx((m0.eye_right, m0.eye_left), abs=1e-4)
    assert (m.gaze_x, m.gaze_y) == pytest.approx((-m0.gaze_x, m0.gaze_y), abs=1e-3)


# -- eyes, mouth, gaze on synthetic faces ----------------------------------------------


@pytest.mark.parametrize("pose", [(0, 0, 0), (35, 0, 0), (0, 25, 0), (-30, -20, 60)])
def test_eye_mouth_and_gaze_measures_do_not_move_with_the_head(pose):
    pts = canonical(eye_gap=(0.5, 0.2), mouth_gap=1.2, gaze=(0.5, -0.25))
    m = measure(*project(pts, *pose, scale=7.0))
    assert (m.eye_left, m.eye_right) == pytest.approx((0.5, 0.2), abs=1e-3)
    assert m.mouth == pytest.approx(1.2 / math.dist(VERTEX[61], VERTEX[291]), abs=1e-3)
    assert (m.gaze_x, m.gaze_y) == pytest.approx((0.5, -0.25), abs=1e-3)


def test_gaze_signs():
    """x > 0: irises toward the image's right (upright face); y > 0: irises up."""
    xy0 = project(canonical())[0]
    xy, d, k = project(canonical(gaze=(0.6, 0.0)))
    assert (xy[[468, 473], 0] > xy0[[468, 473], 0]).all() and measure(xy, d, k).gaze_x > 0
    xy, d, k = project(canonical(gaze=(0.0, 0.6)))
    assert (xy[[468, 473], 1] < xy0[[468, 473], 1]).all() and measure(xy, d, k).gaze_y > 0


def test_gaze_is_nan_edge_on_but_the_pose_is_not():
    m = measure(*project(canonical(), yaw=85))
    assert math.isnan(m.gaze_x) and math.isnan(m.gaze_y)
    assert m.yaw == pytest.approx(85, abs=0.5)


# -- inputs: ints, borders, degenerate -------------------------------------------------


def test_int_landmarks_as_the_device_gives_them():
    """Device faces: integer x, y and integer z (crop pixels); a 150 px face."""
    for pose in [(0, 0, 0), (30, -15, 20), (-40, 20, -30)]:
        xy, d, k = project(canonical(), *pose, scale=12.0, ppc=1.4)
        m = measure(np.rint(xy).astype(np.int32), np.rint(d).astype(np.int32), k)
        assert abs(m.yaw - pose[0]) < 1.5 and abs(m.pitch - pose[1]) < 1.5
        assert abs(angle_diff(m.roll, pose[2])) < 1.0
        assert isinstance(m.yaw, float)


def test_a_face_past_the_image_border_is_still_a_face():
    m = measure(*project(canonical(), 20, 5, -10, centre=(-40.0, 700.0)))
    assert (m.yaw, m.pitch, m.roll) == pytest.approx((20, 5, -10), abs=1e-3)


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # inf * 0 in the product
@pytest.mark.parametrize("case", ["collapsed", "line", "nan", "inf"])
def test_degenerate_landmarks_give_nan_not_an_error(case):
    xy, d, k = project(canonical())
    if case == "collapsed":
        xy, d = np.full_like(xy, 7.0), np.zeros_like(d)
    elif case == "line":
        xy[:, 1], d[:] = 10.0, 0.0
    elif case == "nan":
        xy[4] = np.nan
    else:
        d[33] = np.inf
    m = measure(xy, d, k)
    assert all(math.isnan(v) for v in m)
    tracker = SignalTracker(params())
    s = tracker.update(xy, d, k, 0.0)
    assert math.isnan(s.pose[0]) and math.isnan(s.eyes[0]) and s.blinks == 0


def test_euler_angles_of_the_identity():
    assert euler_angles(((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))) == (0.0, 0.0, 0.0)


# -- per-track state -------------------------------------------------------------------


def frame(gap_left: float, gap_right: float | None = None, **kw) -> Measures:
    """Measures of a still, frontal face with these eyelid gaps (canonical cm)."""
    values = dict(yaw=0.0, pitch=0.0, roll=0.0, scale=10.0, eye_left=gap_left,
                  eye_right=gap_left if gap_right is None else gap_right, mouth=0.0,
                  gaze_x=0.0, gaze_y=0.0)
    values.update(kw)
    return Measures(**values)


def run(tracker: SignalTracker, gaps, t0: float = 0.0) -> list[Signals]:
    return [tracker.step(frame(g), t0 + i / FPS) for i, g in enumerate(gaps)]


def blink(open_gap: float, frames_closed: int, shut_gap: float = 0.05) -> list[float]:
    return [open_gap] * 10 + [shut_gap] * frames_closed + [open_gap] * 10


def test_open_eyes_read_one_from_the_first_frame_and_shut_eyes_zero():
    for level in (0.3, 0.6, 0.9):  # small, usual and large eyes
        tracker = SignalTracker(params(smoothing=0.0))
        out = run(tracker, [level] * 5 + [level * 0.1] * 3)
        assert out[0].eyes == pytest.approx((1.0, 1.0), abs=1e-6)
        assert all(s.eyes[0] > 0.95 for s in out[:5])
        assert all(s.eyes[0] < 0.05 for s in out[5:])


def test_a_track_that_starts_with_shut_eyes_reads_shut_then_learns_when_they_open():
    tracker = SignalTracker(params(smoothing=0.0))
    out = run(tracker, [0.05] * 20 + [0.7] * 20)
    assert all(s.eyes[0] < 0.1 for s in out[:20])
    assert out[19].eyes_closed_s > 0.5
    assert all(s.eyes[0] == pytest.approx(1.0, abs=0.05) for s in out[21:])


def test_the_open_level_warms_up_then_follows_slowly_and_ignores_closures():
    p = params(smoothing=0.0, signals_eye_adapt_s=2.0)
    tracker = SignalTracker(p)
    rng = np.random.default_rng(1)
    run(tracker, 0.6 + rng.normal(0, 0.02, 60))  # 2 s of noisy open eyes
    assert tracker._eyes[0].level == pytest.approx(0.6, abs=0.01)
    run(tracker, [0.05] * 90, t0=2.0)  # 3 s shut: the level stays
    assert tracker._eyes[0].level == pytest.approx(0.6, abs=0.01)
    out = run(tracker, [0.45] * 300, t0=5.0)  # 10 s narrower: followed in a few seconds
    assert out[0].eyes[0] == pytest.approx((0.45 / 0.6 - 0.15) / 0.85, abs=0.02)
    assert out[60].eyes[0] > out[0].eyes[0] + 0.1
    assert out[-1].eyes[0] == pytest.approx(1.0, abs=0.02)
    tracker.step(frame(0.7), 60.0)  # after a long gap the level moves at most to the frame
    assert tracker._eyes[0].level == pytest.approx(0.7)


@pytest.mark.parametrize("strength", [0.0, 0.5, 1.0])
def test_a_150_ms_blink_counts_at_any_smoothing(strength):
    tracker = SignalTracker(params(smoothing=strength))
    out = run(tracker, blink(0.6, frames_closed=4))  # 4-5 frames at 30 fps ~ 150 ms
    assert out[-1].blinks == 1
    assert [s.blinks for s in out].index(1) == 10 + 4  # counted on the reopening frame
    assert not any(s.eyes_closed_long for s in out)


def test_closure_timing_blink_limit_and_long_closure_flag():
    p = params(smoothing=0.0, signals_blink_max_s=0.5, signals_long_closure_s=1.0)
    tracker = SignalTracker(p)
    out = run(tracker, blink(0.6, frames_closed=14))  # 14 frames = 0.47 s: a blink
    assert out[-1].blinks == 1
    out = run(tracker, blink(0.6, frames_closed=18), t0=2.0)  # 0.6 s: not a blink
    assert out[-1].blinks == 1 and not any(s.eyes_closed_long for s in out)
    out = run(tracker, blink(0.6, frames_closed=45), t0=4.0)  # 1.5 s: flagged
    closed_s = [s.eyes_closed_s for s in out]
    assert closed_s[10] == 0.0 and closed_s[11] == pytest.approx(1 / FPS)
    flagged = [s.eyes_closed_long for s in out]
    assert flagged.index(True) == 10 + 31  # first frame closed > 1.0 s
    assert not flagged[-1] and out[-1].blinks == 1 and out[-1].eyes_closed_s == 0.0


def test_one_eye_shut_is_not_a_blink():
    tracker = SignalTracker(params(smoothing=0.0))
    out = [tracker.step(frame(0.6, 0.05 if 10 <= i < 14 else 0.6), i / FPS) for i in range(30)]
    assert out[-1].blinks == 0


def test_hysteresis_counts_a_fluttering_closure_once():
    tracker = SignalTracker(params(smoothing=0.0))
    # Shut, then wavering between the two thresholds before opening: one blink.
    gaps = [0.6] * 10 + [0.05, 0.05, 0.3, 0.2, 0.3, 0.05, 0.6, 0.6]
    assert run(tracker, gaps)[-1].blinks == 1


def test_a_new_track_starts_from_nothing_and_reset_forgets():
    p = params(smoothing=0.5)
    tracker = SignalTracker(p)
    run(tracker, blink(0.9, 4) + blink(0.9, 4))
    assert tracker.step(frame(0.9), 2.0).blinks == 2
    assert SignalTracker(p).step(frame(0.3), 0.0).blinks == 0
    tracker.reset()
    s = tracker.step(frame(0.3), 2.1)
    assert s.blinks == 0 and s.eyes == pytest.approx((1.0, 1.0))  # 0.3 is this face's open
    s = tracker.step(frame(0.9), 1.0)  # time went back: a new clip, a fresh start
    assert s.blinks == 0 and s.eyes == pytest.approx((1.0, 1.0))


def test_configure_keeps_the_count_and_levels_and_applies_new_thresholds():
    tracker = SignalTracker(params(smoothing=0.5))
    run(tracker, blink(0.6, 4))
    tracker.configure(params(smoothing=1.0, signals_blink_max_s=0.1))
    out = run(tracker, blink(0.6, 4), t0=1.0)  # 4 frames closed: now too long for a blink
    assert out[0].blinks == 1 and out[-1].blinks == 1
    assert out[0].eyes[0] == pytest.approx(1.0, abs=0.01)  # level kept, filter restarted


def test_unknown_frames_leave_the_state_alone():
    tracker = SignalTracker(params(smoothing=0.5))
    run(tracker, [0.6] * 10 + [0.05] * 3)
    s = tracker.step(frame(math.nan, yaw=math.nan, pitch=math.nan, roll=math.nan,
                           mouth=math.nan, gaze_x=math.nan, gaze_y=math.nan), 13 / FPS)
    assert math.isnan(s.pose[0]) and math.isnan(s.eyes[0]) and math.isnan(s.gaze[0])
    assert s.eyes_closed_s > 0  # still closed, still timing
    out = run(tracker, [0.6] * 3, t0=14 / FPS)
    assert out[0].blinks == 1 and all(math.isfinite(v) for v in out[0].pose)


# -- smoothing -------------------------------------------------------------------------


def test_strength_zero_is_the_raw_signal():
    tracker = SignalTracker(params(smoothing=0.0))
    m = frame(0.6, yaw=12.3, pitch=-4.5, roll=170.0, mouth=0.2, gaze_x=0.7, gaze_y=-0.4)
    s = tracker.step(m, 0.0)
    assert s.pose == (12.3, -4.5, 170.0) and s.mouth == 0.2
    assert s.gaze == pytest.approx(((0.7 - 0.15) / 0.85, -(0.4 - 0.15) / 0.85))


def test_smoothing_steadies_noise_and_follows_a_step():
    rng = np.random.default_rng(2)
    raw, smooth = SignalTracker(params(smoothing=0.0)), SignalTracker(params(smoothing=0.5))
    yaw_raw, yaw_smooth = [], []
    for i in range(120):
        m = frame(0.6, yaw=(0.0 if i < 60 else 30.0) + rng.normal(0, 1.0))
        yaw_raw.append(raw.step(m, i / FPS).pose[0])
        yaw_smooth.append(smooth.step(m, i / FPS).pose[0])
    assert np.std(yaw_smooth[20:60]) < 0.5 * np.std(yaw_raw[20:60])
    assert abs(np.mean(yaw_smooth[100:]) - 30.0) < 1.0  # within a second of the step


def test_roll_smooths_across_plus_minus_180():
    tracker = SignalTracker(params(smoothing=1.0))
    for i in range(60):
        s = tracker.step(frame(0.6, roll=179.0 if i % 2 else -179.0), i / FPS)
        assert abs(s.pose[2]) > 175.0  # never pulled toward 0 by averaging +-179
        assert -180.0 <= s.pose[2] < 180.0


@pytest.mark.parametrize("raw, expected", [(0.1, 0.0), (-0.15, 0.0), (0.575, 0.5), (-1.0, -1.0),
                                           (3.0, 1.0), (math.nan, math.nan)])
def test_gaze_dead_zone(raw, expected):
    s = SignalTracker(params(smoothing=0.0, signals_gaze_dead_zone=0.15)).step(
        frame(0.6, gaze_x=raw), 0.0)
    if math.isnan(expected):
        assert math.isnan(s.gaze[0])
    else:
        assert s.gaze[0] == pytest.approx(expected)


# -- params and output -----------------------------------------------------------------


def test_params_come_from_settings_with_the_hysteresis_kept_valid():
    p = SignalParams.from_settings(Settings())
    assert p.smoothing == Settings().smoothing and p.eye_open_above > p.eye_closed_below
    p = params(signals_eye_closed_below=0.6, signals_eye_open_above=0.4)
    assert p.eye_open_above == 0.6


def test_as_dict_is_the_json_shape_with_nan_as_null():
    tracker = SignalTracker(params(smoothing=0.0))
    s = tracker.step(frame(0.6, yaw=10.04, gaze_x=math.nan), 0.0)
    d = s.as_dict()
    assert list(d)[:5] == ["pose", "eyes", "mouth", "gaze", "blinks"]
    assert d["pose"] == [10.0, 0.0, 0.0] and d["eyes"] == [1.0, 1.0] and d["blinks"] == 0
    assert d["gaze"][0] is None
    json.loads(json.dumps(d, allow_nan=False))
