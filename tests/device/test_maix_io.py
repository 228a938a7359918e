"""The device IO layer (app/device/platform.py) on real maix images, display and app
state, with the PC backend (LiteRT) standing in for maix.nn, which has no NPU on a PC.

Runs inside the MaixPy root, where the SDL display is the dummy driver.
"""
from __future__ import annotations

import numpy as np
import pytest

from tests.device._frames import DATA, NEEDS_MAIX, ROOT, maix_points, video_frames

pytest.importorskip("maix.image", reason=NEEDS_MAIX)
pytest.importorskip("ai_edge_litert", reason="the PC backend (ai-edge-litert) stands in for maix.nn")

from maix import app, display, err, image, nn  # noqa: E402

from app import backends  # noqa: E402
from app.core.platform import Frame, Touch  # noqa: E402
from app.core.settings import Settings  # noqa: E402
from app.core.timing import StageClock  # noqa: E402
from app.core.face.topology import NUM_MESH  # noqa: E402
from app.device import maix_available, maix_nn_available  # noqa: E402
from app.device.inference import RgbDetector, RgbLandmarker  # noqa: E402
from app.device.platform import MaixPlatform, VideoSource, touch_readings  # noqa: E402

VIDEO = DATA / "single_face.mp4"
FRAMES = 100  # the clip has 72: the source loops, as a looping demo would
NOSE_TIP = 4


@pytest.fixture(scope="module")
def pc_models():
    return backends.pc_models(Settings(), still=False, tracking=True, app_dir=ROOT)


@pytest.fixture(scope="module")
def disp():
    return display.Display()


def test_maix_imports_but_has_no_npu_here():
    assert maix_available()
    assert not maix_nn_available()  # x86_64: MaixPy's PC build
    with pytest.raises(RuntimeError, match="not support this platform"):
        nn.YOLOv8(model=str(DATA / "single_face.jpg"))


def test_100_video_frames_through_maix_images_land_on_the_face(pc_models, disp):
    wrapped = backends.Models(RgbDetector(pc_models.detector), RgbLandmarker(pc_models.landmarker))
    settings = Settings(max_faces=1, smoothing=0.0)
    maix_tracker = backends.make_tracker(wrapped, settings, tracking=False)
    numpy_tracker = backends.make_tracker(pc_models, settings, tracking=False)
    reference = list(video_frames(VIDEO.name))
    platform = MaixPlatform(VideoSource(VIDEO, loop=True), disp)
    drawer = nn.FaceLandmarks("")
    try:
        for i in range(FRAMES):
            frame = platform.read()
            assert frame is not None, f"the looping source ended at frame {i}"
            assert isinstance(frame.native, image.Image)
            assert frame.native.format() == image.Format.FMT_RGB888
            assert (frame.native.width(), frame.native.height()) == frame.size
            # Lossless: the maix image holds exactly the decoded frame.
            expected = reference[i % len(reference)]
            assert np.array_equal(image.image2cv(frame.native, ensure_bgr=False, copy=True),
                                  expected)

            (face,) = maix_tracker.update(frame.native, i / 30)
            (ref,) = numpy_tracker.update(expected, i / 30)
            np.testing.assert_array_equal(face.xy, ref.xy)  # same pixels, same result
            # On the face: the mesh inside the detector box (25% margin), the nose tip in it.
            x, y, w, h = face.detection.box
            mesh = face.xy[:NUM_MESH]
            inside = ((mesh[:, 0] > x - w / 4) & (mesh[:, 0] < x + w * 1.25)
                      & (mesh[:, 1] > y - h / 4) & (mesh[:, 1] < y + h * 1.25))
            assert inside.mean() > 0.95, (i, inside.mean())
            nx, ny = face.xy[NOSE_TIP]
            assert x < nx < x + w and y < ny < y + h, (i, face.xy[NOSE_TIP], face.detection.box)

            # Drawing in either view shows in the other: the renderer draws into frame.rgb.
            px, py = int(nx), int(ny)
            frame.rgb[py, px] = (1, 254, 3)
            assert image.image2cv(frame.native, False, True)[py, px].tolist() == [1, 254, 3]
            drawer.draw_face(frame.native, maix_points(face.xy), NUM_MESH + 10, face.points_z)
            platform.show(frame)
        assert disp.show(frame.native) == err.Err.ERR_NONE
    finally:
        platform.close()


def test_camera_frames_share_memory_with_their_numpy_view():
    """What CameraSource builds from a camera image: image2cv(copy=False) is a view."""
    img = image.Image(320, 224, image.Format.FMT_RGB888, bg=image.COLOR_BLACK)
    frame = Frame(img, image.image2cv(img, ensure_bgr=False, copy=False))
    frame.rgb[10:20, 30:40] = (200, 100, 50)
    img.draw_rect(0, 0, 4, 4, image.COLOR_RED, -1)
    native = image.image2cv(img, ensure_bgr=False, copy=True)
    assert native[15, 35].tolist() == [200, 100, 50]
    assert frame.rgb[1, 1].tolist() == [255, 0, 0]
    assert frame.size == (320, 224)


def test_platform_state_touch_and_exit(disp):
    platform = MaixPlatform(VideoSource(VIDEO), disp)
    try:
        assert platform.display_size == (disp.width(), disp.height())
        assert platform.touches() == [] and platform.keys() == []  # no touch screen given
        assert not platform.exit_requested()
        platform.request_exit()
        assert platform.exit_requested()
    finally:
        app.set_exit_flag(False)
        platform.close()
    assert not app.need_exit()


def test_video_source_ends_and_resizes():
    source = VideoSource(VIDEO, size=(320, 224))
    count = 0
    while (frame := source.read()) is not None:
        assert frame.size == (320, 224) and frame.native.width() == 320
        count += 1
    source.close()
    assert count == len(list(video_frames(VIDEO.name)))


def test_touch_reads_the_sdl_mouse_as_a_touch(disp):
    """MaixPy's PC build: the SDL mouse never says events are pending; one read() gives
    the current state."""
    from app.device.platform import open_touch

    platform = MaixPlatform(VideoSource(VIDEO), disp, open_touch())
    try:
        touches = platform.touches()
        assert len(touches) == 1 and isinstance(touches[0], Touch)
    finally:
        platform.close()


class KernelTouchScreen:
    """MaixCAM's TouchScreen over a queue of kernel event frames (MaixCDK
    TouchScreen_MaixCam): `available(0)` says whether a frame is pending, `read0()` takes
    one frame, `read()` takes frames up to the next press/release (or all of a drag) and
    returns the latest state; either returns the last state when nothing is pending."""

    def __init__(self) -> None:
        self.pending: list[tuple[int, int, int]] = []
        self.state = [0, 0, 0]

    def available(self, timeout: int = 0) -> bool:
        return bool(self.pending)

    def read0(self) -> list[int]:
        if self.pending:
            self.state = list(self.pending.pop(0))
        return list(self.state)

    def read(self) -> list[int]:
        while self.pending:
            before = self.state[2]
            self.state = list(self.pending.pop(0))
            if self.state[2] != before:
                break
        return list(self.state)


def test_every_event_frame_of_a_quick_tap_reaches_the_ui():
    """A press and its release both between two frames (a quick tap at 8 fps), then a
    second tap: four readings, in order, none lost."""
    ts = KernelTouchScreen()
    ts.pending = [(100, 50, 1), (101, 50, 1), (101, 51, 0), (300, 200, 1), (300, 200, 0)]
    got = touch_readings(ts)  # type: ignore[arg-type]
    assert [(t.x, t.y, t.pressed) for t in got] == [
        (100, 50, True), (101, 50, True), (101, 51, False), (300, 200, True), (300, 200, False)]
    assert touch_readings(ts) == [Touch(300, 200, False)]  # nothing pending: the state
    ts.pending = [(5, 5, 1)] * 500  # a flooding device cannot stall a frame
    assert len(touch_readings(ts)) == 64


def test_maix_pc_backend_runs_a_video_with_the_pc_models(disp, tmp_path, monkeypatch):
    from app.device.settings_store import MaixSettingsStore

    monkeypatch.chdir(tmp_path)  # the settings store's ./data
    clock = StageClock()
    settings = Settings(max_faces=1)
    models = backends.maix_pc_models(settings, tracking=True, clock=clock, app_dir=ROOT)
    platform = backends.maix_pc_platform(str(VIDEO), disp, loop=False, size=(320, 224))
    tracker = backends.make_tracker(models, settings, tracking=True, clock=clock)
    try:
        for i in range(5):
            frame = platform.read()
            assert frame is not None and frame.size == (320, 224)
            faces = tracker.update(frame.native, i / 30)
            assert len(faces) == 1 and faces[0].valid
            # the device's numpy blendshape network, on landmarks from maix images
            expression = faces[0].expression
            assert expression is not None and expression.blendshapes.shape == (52,)
            assert expression.name == "neutral"  # the man talks before he smiles
            platform.show(frame)
        assert isinstance(MaixSettingsStore().load(), dict)  # maix caches it process-wide
        assert {"detect", "landmark"} <= set(clock.ms())
        assert tracker.stats.blendshape_runs <= 1
    finally:
        platform.close()


def test_maix_pc_honours_the_tiling_setting():
    """pc.tiling reaches the detector under maix-pc too (it was once silently off): a
    group photo shrunk into a wide maix image, faces ~30 px across, which only the tiles
    find."""
    import cv2

    from tests.device._frames import load_frame

    group = load_frame("multi_face.jpg")
    small = cv2.resize(group, (group.shape[1] * 2 // 5, group.shape[0] * 2 // 5),
                       interpolation=cv2.INTER_AREA)
    canvas = np.full((1400, 2600, 3), 90, np.uint8)
    canvas[500:500 + small.shape[0], 1100:1100 + small.shape[1]] = small
    img = image.cv2image(canvas, bgr=False, copy=True)
    found = {}
    for tiling in ("on", "off"):
        models = backends.maix_pc_models(Settings(pc_tiling=tiling), tracking=True, app_dir=ROOT)
        found[tiling] = len(models.detector.detect(img))
    assert found["on"] == 5 and found["off"] < 5, found
