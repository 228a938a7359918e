"""The device IO layer (app/device/platform.py) on real maix images, display and app
state, with the PC backend (LiteRT) standing in for maix.nn, which has no NPU on a PC.

Runs inside the MaixPy root, where the SDL display is the dummy driver.
"""
from __future__ import annotations

import numpy as np
import pytest

from tests.device._frames import DATA, MODELS, NEEDS_MAIX, video_frames

pytest.importorskip("maix.image", reason=NEEDS_MAIX)
pytest.importorskip("ai_edge_litert", reason="the PC backend (ai-edge-litert) stands in for maix.nn")

from maix import app, display, err, image, nn  # noqa: E402

from app.core.pipeline import FacePipeline  # noqa: E402
from app.core.platform import Frame, Touch  # noqa: E402
from app.core.topology import NUM_MESH  # noqa: E402
from app.device import maix_available, maix_nn_available  # noqa: E402
from app.device.inference import RgbDetector, RgbLandmarker  # noqa: E402
from app.device.platform import MaixPlatform, VideoSource  # noqa: E402
from app.pc.detector import BlazeFaceDetector  # noqa: E402
from app.pc.landmarker import AttentionLandmarker  # noqa: E402

VIDEO = DATA / "single_face.mp4"
FRAMES = 100  # the clip has 72: the source loops, as a looping demo would
NOSE_TIP = 4


@pytest.fixture(scope="module")
def pc_models():
    return BlazeFaceDetector(MODELS), AttentionLandmarker(MODELS)


@pytest.fixture(scope="module")
def disp():
    return display.Display()


def test_maix_imports_but_has_no_npu_here():
    assert maix_available()
    assert not maix_nn_available()  # x86_64: MaixPy's PC build
    with pytest.raises(RuntimeError, match="not support this platform"):
        nn.YOLOv8(model=str(DATA / "single_face.jpg"))


def test_100_video_frames_through_maix_images_land_on_the_face(pc_models, disp):
    detector, landmarker = pc_models
    maix_pipeline = FacePipeline(RgbDetector(detector), RgbLandmarker(landmarker))
    numpy_pipeline = FacePipeline(detector, landmarker)
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

            (face,) = maix_pipeline.process(frame.native, max_faces=1)
            (ref,) = numpy_pipeline.process(expected, max_faces=1)
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
            drawer.draw_face(frame.native, face.points, NUM_MESH + 10, face.points_z)
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
        assert platform.touch() is None  # no touch screen given
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
    from app.device.platform import open_touch

    platform = MaixPlatform(VideoSource(VIDEO), disp, open_touch())
    try:
        touch = platform.touch()
        assert touch is None or isinstance(touch, Touch)
    finally:
        platform.close()


def test_build_maix_pc_runs_a_video_with_the_pc_models(disp, tmp_path, monkeypatch):
    from app.core.settings import Settings
    from app.core.timing import StageClock
    from app.device import build_maix_pc
    from tests.device._frames import ROOT

    monkeypatch.chdir(tmp_path)  # the settings store's ./data
    clock = StageClock()
    platform, detector, landmarker, store = build_maix_pc(
        Settings(), clock, str(VIDEO), app_dir=ROOT, size=(320, 224), disp=disp)
    pipeline = FacePipeline(detector, landmarker, clock=clock)
    try:
        for _ in range(5):
            frame = platform.read()
            assert frame is not None and frame.size == (320, 224)
            faces = pipeline.process(frame.native, max_faces=1)
            assert len(faces) == 1 and faces[0].valid
            platform.show(frame)
        assert isinstance(store.load(), dict)  # maix caches the config process-wide
        assert {"detect", "landmark"} <= set(clock.ms())
    finally:
        platform.close()
