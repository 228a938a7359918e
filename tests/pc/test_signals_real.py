"""Face signals on real faces with the real PC models: pose under rotated and mirrored
photos, signs on visibly turned and tilted heads, eyes and mouth on chosen video frames,
blinks counted over real clips, smoothing lag, and the device's integer landmarks.

What the frames show (looked at frame by frame, eye and mouth crops enlarged):
* tests/data/single_face.mp4 (72 frames, 30 fps): a man facing the camera. Exactly one
  blink: eyelids half down at frame 25, both eyes shut at 26 and 27, the image-left eye
  still shut and the other half open at 28, opening at 29, open from 30 on; every other
  frame has both eyes open (narrower while he smiles, 30-50). Mouth: lips closed 0-17,
  parting 18-20, open in a smile with teeth showing 21-68, closing 69-70, closed at 71.
* face_noface.mov and noface_face.mov hold the same clip (the face in frames 0-71 and
  97-168): the same one blink, at frames 26-28 and 122-124.
* 45-m7-di-ph.jpg: a young man whose head is turned well toward the image's left (his
  right; we see his right cheek and ear side), looking down-left.
* biden.jpg: the head tilted clockwise in the image (his eye on the image's left sits
  clearly higher than the other one).
* obama3.jpg: the chin raised, the face tilted up (his nostrils and the underside of his
  jaw show). 0-f15-hao-ph.jpg: a smiling face square to the camera.
* obama2.jpg: eyes glancing hard toward the image's left. obama.jpg: looking straight
  into the camera. 0-f1-su-ph.jpg: surprise, mouth wide open. 15-f13-anc-ph.jpg: lips
  pressed together.
"""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from app.core.face.geometry import box_of_points
from app.core.settings import Settings
from app.core.signals import SignalParams, SignalTracker, measure
from app.core.face.smoothing import LandmarkSmoother, params_for_strength
from conftest import load_rgb, load_video

PORTRAITS = ["astronaut.png", "obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg",
             "single_face.jpg", "0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg",
             "45-m7-di-ph.jpg"]
ANGLES = (20, -20, 35, -35)
FPS = 30.0


def params(smoothing: float = 0.0) -> SignalParams:
    return SignalParams.from_settings(Settings().replace(smoothing=smoothing))


def still_face(pc_tracker, rgb):
    """The face of a still as the app's tracker sees it on a video of that still: the
    detector's crop, then two crops from the landmarks (so the crop no longer depends on
    the detector's keypoints, which move with the picture's rotation)."""
    tracker = pc_tracker(max_faces=1, smoothing=0.0)
    for i in range(3):
        faces = tracker.update(rgb, i / FPS)
    assert len(faces) == 1
    return faces[0]


def signals_of(face):
    return measure(face.xy, face.depth, face.transform.pixels_per_crop_pixel)


def rotated(rgb: np.ndarray, degrees_ccw: float) -> np.ndarray:
    """The picture turned counter-clockwise on a canvas big enough to keep all of it."""
    h, w = rgb.shape[:2]
    side = int(math.ceil(math.hypot(h, w)))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees_ccw, 1.0)
    m[:, 2] += ((side - w) / 2, (side - h) / 2)
    return cv2.warpAffine(rgb, m, (side, side), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(128, 128, 128))


def angle_diff(a: float, b: float) -> float:
    return (a - b + 180.0) % 360.0 - 180.0


@pytest.fixture(scope="module")
def portrait_poses(pc_tracker):
    """{name: {variant: Measures}} for each portrait, rotated and mirrored."""
    out = {}
    for name in PORTRAITS:
        rgb = load_rgb(name)
        variants = {"upright": rgb, "mirror": np.ascontiguousarray(rgb[:, ::-1])}
        variants.update({t: rotated(rgb, t) for t in ANGLES})
        out[name] = {k: signals_of(still_face(pc_tracker, v)) for k, v in variants.items()}
    return out


@pytest.mark.parametrize("name", PORTRAITS)
def test_rotating_the_photo_moves_roll_by_the_angle_and_nothing_else(portrait_poses, name):
    poses = portrait_poses[name]
    m0 = poses["upright"]
    for t in ANGLES:
        m = poses[t]
        assert abs(angle_diff(m.roll, m0.roll - t)) <= 3.0, (t, m.roll, m0.roll)
        assert abs(m.yaw - m0.yaw) <= 4.0, (t, m.yaw, m0.yaw)
        assert abs(m.pitch - m0.pitch) <= 4.0, (t, m.pitch, m0.pitch)


@pytest.mark.parametrize("name", PORTRAITS)
def test_mirroring_the_photo_negates_yaw_and_roll(portrait_poses, name):
    m0, m = portrait_poses[name]["upright"], portrait_poses[name]["mirror"]
    assert abs(m.yaw + m0.yaw) <= 3.0
    assert abs(m.roll + m0.roll) <= 3.0
    assert abs(m.pitch - m0.pitch) <= 4.0


def test_pose_signs_on_visibly_turned_and_tilted_heads(portrait_poses):
    turned = portrait_poses["45-m7-di-ph.jpg"]["upright"]  # turned to the image's left
    assert turned.yaw < -20.0
    tilted = portrait_poses["biden.jpg"]["upright"]  # tilted clockwise
    assert tilted.roll > 5.0
    raised = portrait_poses["obama3.jpg"]["upright"]  # chin up: nostrils and jaw show
    assert raised.pitch > 5.0
    frontal = portrait_poses["0-f15-hao-ph.jpg"]["upright"]  # square to the camera
    assert abs(frontal.yaw) < 5.0 and abs(frontal.roll) < 5.0


def test_gaze_on_real_eyes(portrait_poses):
    """obama2 glances hard to the image's left; obama looks into the camera. Gaze is
    eye-in-head: rotating the photo leaves it, mirroring negates x, within the landmark
    model's own iris noise. FaceMesh V2 reads obama2's hard glance the same both ways
    (-1.16 upright, +1.16 mirrored), but it is least mirror-symmetric where the irises are
    hardest to see: 45-m7's head is turned 20 degrees and his eyes look down-left (0.48
    apart mirrored, 0.43 under rotation), 15-f13's lids are low (0.44 mirrored). Every
    other portrait is within 0.26 mirrored and 0.15 rotated (measured here)."""
    def gaze(m):  # raw measures through a tracker: dead zone, clipping
        return SignalTracker(params()).step(m, 0.0).gaze

    glance = portrait_poses["obama2.jpg"]
    assert gaze(glance["upright"])[0] < -0.9 and gaze(glance["mirror"])[0] > 0.9
    assert gaze(portrait_poses["obama.jpg"]["upright"]) == (0.0, 0.0)
    hard = {"45-m7-di-ph.jpg": 0.5, "15-f13-anc-ph.jpg": 0.5}
    for name in PORTRAITS:
        m0 = portrait_poses[name]["upright"]
        bound = hard.get(name, 0.3)
        for t in ANGLES:
            m = portrait_poses[name][t]
            assert abs(m.gaze_x - m0.gaze_x) < bound and abs(m.gaze_y - m0.gaze_y) < bound, (name, t)
        assert abs(portrait_poses[name]["mirror"].gaze_x + m0.gaze_x) < bound, name


def test_mouth_on_real_photos(portrait_poses):
    assert portrait_poses["0-f1-su-ph.jpg"]["upright"].mouth > 0.25  # wide open
    for name in ("15-f13-anc-ph.jpg", "45-m7-di-ph.jpg", "biden.jpg"):  # closed
        assert portrait_poses[name]["upright"].mouth < 0.03, name


# -- the clip: eyes, mouth, blinks -----------------------------------------------------


def run_clip(pc_tracker, name: str, smoothing: float):
    """The app's path: the tracker (landmark smoothing `smoothing`) measures each face's
    signals on its track's raw landmarks. -> per frame Signals, or None without a face."""
    tracker = pc_tracker(max_faces=1, smoothing=smoothing)
    out = []
    for i, frame in enumerate(load_video(name)):
        faces = tracker.update(frame, i / FPS)
        out.append(faces[0].signals if faces else None)
    return out


@pytest.fixture(scope="module")
def clip_raw(pc_tracker):
    return run_clip(pc_tracker, "single_face.mp4", 0.0)


OPEN_FRAMES = list(range(0, 24)) + list(range(31, 72))
SHUT_FRAMES = [26, 27]


def test_shut_and_open_eyes_on_the_clip(clip_raw):
    for i in SHUT_FRAMES:
        assert max(clip_raw[i].eyes) < 0.3, (i, clip_raw[i].eyes)
    for i in OPEN_FRAMES:
        assert min(clip_raw[i].eyes) > 0.6, (i, clip_raw[i].eyes)
    shut = max(max(clip_raw[i].eyes) for i in SHUT_FRAMES)
    assert shut < 0.3 * min(min(clip_raw[i].eyes) for i in OPEN_FRAMES)


def test_closed_and_open_mouth_on_the_clip(clip_raw):
    closed = [clip_raw[i].mouth for i in list(range(0, 18)) + [71]]
    opened = [clip_raw[i].mouth for i in range(21, 69)]
    assert max(closed) < 0.03
    assert min(opened) > 0.15


@pytest.mark.parametrize("name, blink_frames", [("single_face.mp4", (26, 30)),
                                                ("face_noface.mov", (26, 30)),
                                                ("noface_face.mov", (122, 126))])
@pytest.mark.parametrize("smoothing", [0.0, 0.5, 1.0])
def test_the_one_blink_is_counted_once(pc_tracker, name, blink_frames, smoothing):
    out = run_clip(pc_tracker, name, smoothing)
    counts = [s.blinks if s is not None else None for s in out]
    first, last = blink_frames
    seen = [i for i, c in enumerate(counts) if c == 1]
    assert seen and first <= seen[0] <= last  # counted as the eyes reopen
    assert all(c in (None, 0) for c in counts[:seen[0]])
    assert all(c in (None, 1) for c in counts[seen[0]:])
    assert not any(s.eyes_closed_long for s in out if s is not None)


def test_smoothed_signals_lag_no_more_than_the_smoothed_landmarks(pc_tracker):
    """On the clip at the default and the strongest smoothing, each smoothed signal stays
    as close to its raw value as the same signal measured on the tracker's smoothed
    landmarks does (what the app draws): the signals add no lag of their own."""
    frames = load_video("single_face.mp4")
    tracker = pc_tracker(max_faces=1, smoothing=0.0)
    raw = [tracker.update(f, i / FPS)[0] for i, f in enumerate(frames)]
    for strength in (0.5, 1.0):
        ours, reference = SignalTracker(params(strength)), SignalTracker(params(0.0))
        smoother = LandmarkSmoother(params_for_strength(strength))
        base = SignalTracker(params(0.0))
        dev_ours, dev_ref = [], []
        for i, face in enumerate(raw):
            t = i / FPS
            box = box_of_points(face.xy[:468])
            xyd = smoother.update(np.concatenate([face.xy, face.depth[:, None]], 1), t,
                                  float(max(box[2], box[3])))
            r = base.update_face(face, t)
            s = ours.update_face(face, t)
            lm = reference.update(xyd[:, :2], xyd[:, 2], face.transform.pixels_per_crop_pixel, t)
            pick = lambda x: np.array([*x.pose, *x.eyes, x.mouth])  # noqa: E731
            dev_ours.append(np.abs(pick(s) - pick(r)))
            dev_ref.append(np.abs(pick(lm) - pick(r)))
        ours_mean, ref_mean = np.mean(dev_ours, 0), np.mean(dev_ref, 0)
        # yaw, pitch, roll (degrees), eyes, mouth: within 30% (+ a noise floor) of the
        # landmarks' own deviation from the raw signal.
        floor = np.array([0.1, 0.1, 0.1, 0.01, 0.01, 0.005])
        assert (ours_mean <= 1.3 * ref_mean + floor).all(), (strength, ours_mean, ref_mean)


def test_device_integer_landmarks_give_the_same_signals(pc_tracker):
    """The device gives int x, y and int z (maix's points and points_z); on real faces
    that moves pose by about a degree and the eyes and mouth by little."""
    for name in ("astronaut.png", "45-m7-di-ph.jpg", "biden.jpg"):
        face = still_face(pc_tracker, load_rgb(name))
        k = face.transform.pixels_per_crop_pixel
        m = measure(face.xy, face.depth, k)
        mi = measure(face.xy.astype(np.int32), np.asarray(face.points_z, np.int32), k)
        assert abs(mi.yaw - m.yaw) < 2.0 and abs(mi.pitch - m.pitch) < 2.0
        assert abs(mi.roll - m.roll) < 1.0
        assert abs(mi.eye_left - m.eye_left) < 0.1 and abs(mi.mouth - m.mouth) < 0.03
