"""The whole face pipeline on real photos and videos with the real MediaPipe models."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.core.face.faces import NUM_LANDMARKS
from app.core.face.topology import NUM_MESH
from app.core.face.geometry import box_of_points
from app.pc.sources import Source, read_image
from conftest import DATA, load_rgb

PORTRAITS = ["single_face.jpg", "0-f1-su-ph.jpg", "15-f13-anc-ph.jpg", "obama.jpg",
             "obama2.jpg", "obama3.jpg", "biden.jpg", "astronaut.png"]


def assert_on_the_face(face, image_shape, irises: bool = True):
    """478 finite points, inside the detector's (generously grown) box and the image;
    `irises`: the iris centres lie between their eye corners (not behind sunglasses)."""
    assert face.xy.shape == (NUM_LANDMARKS, 2) and face.depth.shape == (NUM_LANDMARKS,)
    assert np.isfinite(face.xy).all() and np.isfinite(face.depth).all()
    x, y, w, h = face.detection.box
    grow = 0.6 * max(w, h)
    inside = ((face.xy[:, 0] > x - grow) & (face.xy[:, 0] < x + w + grow) &
              (face.xy[:, 1] > y - grow) & (face.xy[:, 1] < y + h + grow))
    assert inside.all()
    # Iris centres sit between their eye corners, give or take a tenth of the eye's width.
    for iris, (a, b) in ((468, (33, 133)), (473, (362, 263))):
        lo, hi = sorted((face.xy[a, 0], face.xy[b, 0]))
        margin = 0.1 * (hi - lo)
        assert not irises or lo - margin < face.xy[iris, 0] < hi + margin


@pytest.mark.parametrize("name", PORTRAITS)
def test_portrait_gives_one_face_on_the_face(find_faces, name):
    rgb = load_rgb(name)
    faces = find_faces(rgb, max_faces=5)
    assert len(faces) == 1
    face = faces[0]
    assert face.valid and face.score > 0.9
    assert_on_the_face(face, rgb.shape)
    # Depth: the nose tip (4) is nearer the camera than the ears' side of the oval (234, 454).
    assert face.depth[4] > face.depth[234] and face.depth[4] > face.depth[454]
    assert len(face.points_z) == NUM_LANDMARKS


def test_multi_face_finds_all_five_largest_first(find_faces):
    rgb = load_rgb("multi_face.jpg")
    faces = find_faces(rgb, max_faces=10)
    assert len(faces) == 5
    areas = [float(np.prod(box_of_points(f.xy[:NUM_MESH])[2:])) for f in faces]
    assert areas == sorted(areas, reverse=True)
    # Five different faces: mesh boxes do not overlap.
    centres = np.array([f.xy.mean(axis=0) for f in faces])
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=2) + np.eye(5) * 1e9
    assert gaps.min() > 50
    assert min(areas) > 0
    # Behind the sunglasses (the topmost face) the irises are a guess: FaceMesh V2 puts
    # one past the outer corner of its eye.
    sunglasses = min(faces, key=lambda f: float(f.xy[:, 1].mean()))
    for face in faces:
        assert_on_the_face(face, rgb.shape, irises=face is not sunglasses)


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_max_faces_is_respected_and_keeps_the_largest(find_faces, limit):
    rgb = load_rgb("multi_face.jpg")
    everyone = find_faces(rgb, max_faces=10)
    some = find_faces(rgb, max_faces=limit)
    assert len(some) == limit
    # The faces with the largest detector boxes are the ones looked at first.
    largest = sorted(everyone, key=lambda f: f.detection.area, reverse=True)[:limit]
    want = sorted(tuple(np.round(f.xy.mean(axis=0))) for f in largest)
    assert sorted(tuple(np.round(f.xy.mean(axis=0))) for f in some) == want


def test_tiling_finds_small_faces_the_whole_frame_misses(find_faces):
    """A group photo shrunk into a wide frame: faces ~30 px across."""
    group = load_rgb("multi_face.jpg")
    canvas = np.full((1400, 2600, 3), 90, np.uint8)
    small = cv2.resize(group, (group.shape[1] * 2 // 5, group.shape[0] * 2 // 5),
                       interpolation=cv2.INTER_AREA)
    canvas[500:500 + small.shape[0], 1100:1100 + small.shape[1]] = small
    whole = find_faces(canvas, pc_tiling="off")
    tiled = find_faces(canvas, pc_tiling="on")
    assert len(tiled) == 5
    assert len(whole) < len(tiled)


def test_no_face_video_gives_no_faces(pc_tracker):
    source = Source.open(str(DATA / "no_face.mp4"))
    tracker = pc_tracker(max_faces=2)
    frames = 0
    try:
        for rgb in source.frames():
            assert tracker.update(rgb, frames / 30) == []
            assert tracker.stats.detector_runs == 1  # it kept looking
            frames += 1
    finally:
        source.close()
    assert frames > 10


@pytest.mark.parametrize("convert", ["rgba", "gray"])
def test_rgba_and_grayscale_inputs(find_faces, tmp_path, convert):
    if convert == "rgba":
        path = DATA / "32bit.png"
        assert cv2.imread(str(path), cv2.IMREAD_UNCHANGED).shape[2] == 4
    else:
        path = tmp_path / "gray.png"
        cv2.imwrite(str(path), cv2.cvtColor(cv2.imread(str(DATA / "obama.jpg")), cv2.COLOR_BGR2GRAY))
        assert cv2.imread(str(path), cv2.IMREAD_UNCHANGED).ndim == 2
    rgb = read_image(path)
    assert rgb.shape[2] == 3 and rgb.dtype == np.uint8
    faces = find_faces(rgb, max_faces=2)
    assert len(faces) == 1
    assert_on_the_face(faces[0], rgb.shape)


@pytest.mark.parametrize("name", ["obama_partial_face.jpg", "obama_partial_face2.jpg"])
def test_face_cut_by_the_border(find_faces, name):
    rgb = load_rgb(name)
    faces = find_faces(rgb, max_faces=2)
    assert len(faces) == 1
    face = faces[0]
    assert np.isfinite(face.xy).all()
    h, w = rgb.shape[:2]
    outside = ((face.xy[:, 0] < 0) | (face.xy[:, 0] >= w)).mean()
    # The face really is cut: some landmarks lie beyond the edge, most inside.
    assert 0.0 < outside < 0.5


def test_face_pushed_past_the_edge_still_has_landmarks_in_place(find_faces):
    """Shift a portrait so a quarter of the face leaves the frame: the points that stay
    inside keep their place (compared with the uncut photo)."""
    rgb = load_rgb("astronaut.png")
    full = find_faces(rgb, max_faces=1)[0]
    x0 = int(full.xy[:, 0].min() + 0.25 * np.ptp(full.xy[:, 0]))
    cut = np.ascontiguousarray(rgb[:, x0:])
    faces = find_faces(cut, max_faces=1)
    assert len(faces) == 1
    moved = faces[0].xy + np.array([x0, 0], np.float32)
    iod = np.linalg.norm(full.xy[33] - full.xy[263])
    inside = full.xy[:, 0] > x0 + 10
    error = np.linalg.norm(moved[inside] - full.xy[inside], axis=1).mean() / iod
    assert error < 0.05


def test_auto_detector_keeps_to_short_range_only_when_detecting_every_video_frame(
        pc_models):
    frame = video_frame("single_face.mp4")  # 640 x 360
    auto = pc_models(still=False, tracking=False).detector
    assert auto.models_for(640, 360) == ["short_range"]
    short = pc_models(still=False, tracking=True, pc_detector="short_range").detector
    got, want = auto.detect(frame), short.detect(frame)
    assert len(got) == len(want) == 1
    np.testing.assert_allclose(got[0].box, want[0].box, atol=1e-3)
    # Tracking (a rare detector), stills and large frames get both models.
    for tracking, still, size in ((True, False, (640, 360)), (False, True, (640, 360)),
                                  (False, False, (1280, 720))):
        auto = pc_models(still=still, tracking=tracking).detector
        assert auto.models_for(*size) == ["short_range", "full_range"]


def video_frame(name: str, index: int = 0) -> np.ndarray:
    source = Source.open(str(DATA / name))
    try:
        for i, frame in enumerate(source.frames()):
            if i == index:
                return frame
    finally:
        source.close()
    raise AssertionError(f"{name} has no frame {index}")
