"""The one place that assembles the app: settings + source kind -> models, tracker,
platform, frame loop.

launch.py, the tests, the benchmarks and the tools all build through these functions,
so every option reaches every object at construction (nothing is configured after it).
Three backends:

    device   maix.nn on the NPU (YOLO face detector + nn.FaceLandmarks), maix camera,
             display and touch                                  -> device_models/_platform
    pc       MediaPipe's models on LiteRT, OpenCV sources, a pygame window or files
                                                                -> pc_models
    maix-pc  the real maix IO of MaixPy's PC build with the PC's models (maix.nn has no
             NPU there)                                         -> maix_pc_models/_platform

Adapters are imported inside the functions: the device has no LiteRT and the PC may
have no MaixPy, and neither adapter imports the other.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Sequence

from .core.app_loop import (CaptionSource, FaceApp, Remote, RemoteFactory, Tracker,
                            expression_params, signal_params)
from .core.expressions.tracking import BlendshapeModel
from .core.persist import SettingsStore
from .core.face.pipeline import FaceDetector, FacePipeline, LandmarkModel
from .core.platform import FrameSink, Platform
from .core.settings import Settings
from .core.timing import StageClock
from .core.face.topology import SUBSETS
from .core.face.tracking import FaceTracker
from .core.ui import UiState

if TYPE_CHECKING:
    import numpy as np

    from .core.emotion import Classify
    from .core.report import FaceReporter, ReportSink

    from .core.face.faces import Face
    from .device.platform import MaixPlatform

APP_DIR = Path(__file__).resolve().parent.parent
MANIFEST = APP_DIR / "app.yaml"
# app.yaml parsed once and kept (JSON) until it changes: PyYAML stays out of a start.
MANIFEST_CACHE = APP_DIR / "data" / "app.yaml.json"


# The blendshape network's weights for numpy (tools/make_blendshape_weights.py), run
# where there is no LiteRT: the device and maix-pc.
BLENDSHAPE_WEIGHTS = Path("app") / "core" / "expressions" / "face_blendshapes.npz"  # shipped


class Models(NamedTuple):
    """A face detector and a landmark model that take the same kind of frame, and the
    blendshape network for the faces' expressions (None: no expressions)."""

    detector: FaceDetector
    landmarker: LandmarkModel
    blendshapes: BlendshapeModel | None = None


def numpy_blendshapes(path: Path) -> BlendshapeModel:
    """MediaPipe's blendshape network in numpy (app/core/expressions/network.py), loaded
    on its first evaluation; FileNotFoundError now if its weights are missing."""
    from .core.expressions.network import BlendshapeNetwork

    if not path.is_file():
        raise FileNotFoundError(f"blendshape weights not found: {path}")
    network: list[BlendshapeNetwork] = []

    def run(points: "np.ndarray") -> "np.ndarray":
        if not network:
            network.append(BlendshapeNetwork(path))
        return network[0](points)

    return run


def pc_models_dir(settings: Settings, app_dir: Path = APP_DIR) -> Path:
    """The folder of the .tflite files (pc.models_dir, relative to the app folder)."""
    folder = Path(settings.pc_models_dir)
    return folder if folder.is_absolute() else app_dir / folder


def pc_models(settings: Settings, *, still: bool, tracking: bool,
              clock: StageClock | None = None, app_dir: Path = APP_DIR) -> Models:
    """MediaPipe's models on LiteRT, taking RGB numpy frames.

    still:    the source is one image (tiling, both detectors).
    tracking: landmark tracking; without it the detector runs on every frame (pc.detector
              auto then keeps to the short-range model for video frames).
    Raises app.pc.litert.ModelError for a missing or unreadable model.
    """
    from .pc.blendshapes import LiteRtBlendshapes
    from .pc.detector import BlazeFaceDetector
    from .pc.landmarker import FaceMeshLandmarker

    folder = pc_models_dir(settings, app_dir)
    detector = BlazeFaceDetector(
        folder, variant=settings.pc_detector, threads=settings.pc_threads,
        score_threshold=settings.detector_conf_threshold,
        iou_threshold=settings.detector_iou_threshold, tiling=settings.pc_tiling,
        still=still, every_frame=not tracking)
    landmarker = FaceMeshLandmarker(folder, crop_scale=settings.pc_crop_scale,
                                     threads=settings.pc_threads, clock=clock)
    return Models(detector, landmarker, LiteRtBlendshapes(folder, settings.pc_threads))


def maix_pc_models(settings: Settings, *, tracking: bool, clock: StageClock | None = None,
                   app_dir: Path = APP_DIR) -> Models:
    """The PC's models behind maix images (MaixPy on a PC: video frames, never stills),
    with the device's numpy blendshape network."""
    from .device.inference import RgbDetector, RgbLandmarker

    models = pc_models(settings, still=False, tracking=tracking, clock=clock, app_dir=app_dir)
    return Models(RgbDetector(models.detector), RgbLandmarker(models.landmarker),
                  device_blendshapes(app_dir))


def device_models(settings: Settings, clock: StageClock | None = None) -> Models:
    """maix.nn on the NPU: the device's YOLO face detector and nn.FaceLandmarks.
    Raises DeviceError (missing model, old MaixPy)."""
    from .device.inference import MaixFaceDetector, MaixLandmarker, require_face_landmarks

    require_face_landmarks()
    detector = MaixFaceDetector.load(settings.device_detector_model,
                                     conf_threshold=settings.detector_conf_threshold,
                                     iou_threshold=settings.detector_iou_threshold)
    landmarker = MaixLandmarker.load(settings.device_landmarks_model,
                                     crop_scale=settings.device_crop_scale, clock=clock)
    return Models(detector, landmarker, device_blendshapes(APP_DIR))


def device_blendshapes(app_dir: Path) -> BlendshapeModel | None:
    """The numpy blendshape network, or None (said once on stderr: the app runs without
    expressions) when its weights are not installed with the app."""
    try:
        return numpy_blendshapes(app_dir / BLENDSHAPE_WEIGHTS)
    except FileNotFoundError as err:
        import sys

        print(f"warning: {err}; expressions are off", file=sys.stderr)
        return None


def device_platform(models: Models, disp: Any) -> "MaixPlatform":
    """The camera at the detector's input size and format (no resize before the NPU),
    shown on `disp`. Raises DeviceError (no camera)."""
    from .device.inference import MaixFaceDetector
    from .device.platform import MaixPlatform

    detector = models.detector
    assert isinstance(detector, MaixFaceDetector), "the device platform needs maix.nn models"
    width, height = detector.input_size
    return MaixPlatform.with_camera(width, height, detector.input_format, disp)


DEFAULT_MAIX_PC_CAMERA = (640, 480)


def maix_pc_platform(source: str | None, disp: Any, *, loop: bool,
                     size: tuple[int, int] | None = None,
                     stop: Callable[[], bool] | None = None) -> "MaixPlatform":
    """maix IO on a PC. `source`: None or a camera index -> the maix camera (V4L2) at
    `size` or 640x480; a path -> that video file decoded into maix images (resized to
    `size` if given; `loop` rewinds at the end). `stop`: also end the run when it says
    so (a stop signal: maix's own SIGINT handler exits mid-frame)."""
    from .device.platform import MaixPlatform

    if source is None or source.isdigit():
        width, height = size or DEFAULT_MAIX_PC_CAMERA
        return MaixPlatform.with_camera(width, height, disp=disp, stop=stop)
    return MaixPlatform.with_video(source, size, loop, disp, stop=stop)


def pc_settings(settings: Settings) -> Settings:
    """The settings as the PC backend runs them: its own expression rate (the blendshape
    network on LiteRT costs a PC ~1 ms, the device's numpy ~0.1 s)."""
    return settings.replace(expressions_rate_hz=settings.pc_expressions_rate_hz)


def make_tracker(models: Models, settings: Settings, *, tracking: bool,
                 clock: StageClock | None = None, sinks: Sequence[FrameSink] = (),
                 remote: bool = False) -> FaceTracker:
    """The tracker over `models`, as the app runs it (`tracking=False`: stills, or the
    detector on every frame; `remote`: a network view sends the faces' signals)."""
    pipeline = FacePipeline(models.detector, models.landmarker,
                            settings.landmarks_conf_threshold, clock)
    return FaceTracker(pipeline, max_faces=settings.max_faces,
                       detector_interval=settings.detector_interval,
                       smoothing=settings.smoothing,
                       signals=signal_params(settings, sinks, remote),
                       tracking=tracking, expressions=expression_params(settings, sinks, remote),
                       blendshapes=models.blendshapes)


def photo_faces(rgb: "np.ndarray", settings: Settings) -> list["Face"]:
    """The faces the app finds in one photo with the PC models (for tools and benches;
    a run over many photos builds the models and the tracker once instead)."""
    models = pc_models(settings, still=True, tracking=False)
    return make_tracker(models, settings, tracking=False).update(rgb, 0.0)


def reporting_sink(port: "ReportSink", settings: Settings) -> FrameSink:
    """Face reports through `port` (the device's UART, or a file on a PC)."""
    from .core.report import ReportingSink

    return ReportingSink(port, SUBSETS[settings.report_landmark_points])


def face_reporter(settings: Settings) -> "FaceReporter":
    from .core.report import FaceReporter  # only when results leave the device

    return FaceReporter(landmark_period_s=settings.report_landmark_period_s,
                        blendshape_period_s=settings.report_blendshape_period_s)


def device_reporting(settings: Settings) -> list[FrameSink]:
    """Reports over the system's comm port (maix.comm), or none when the system has no
    port for them (said once on stderr, as whether they are on)."""
    from .device.comm import MaixCommReporter, open_comm

    port = open_comm()  # says once whether reports go out
    if port is None:
        return []  # and the report module is not even imported
    return [reporting_sink(MaixCommReporter(face_reporter(settings), port), settings)]


def emotion_rate_hz(settings: Settings) -> float:
    """Tracks' emotion classifications a second (the device's face-emotion classifier):
    the expression rate."""
    return float(settings.expressions_rate_hz)


def device_emotion(warn: Callable[[str], None]) -> "Classify | None":
    """Sipeed's face-emotion classifier where the system has its model, else None."""
    from .device.emotion import MaixEmotionClassifier

    return MaixEmotionClassifier.load(log=warn)


def web_remote(warn: Callable[[str], None], announce: Callable[[str], None], *,
               maix_jpeg: bool = False, required: bool = False) -> RemoteFactory:
    """Starts the network view (app/net/web) when WEB is turned on; says its URL with
    `announce` (`serving at http://HOST:PORT/?token=TOKEN`). app/net is imported only
    then: with WEB off the app runs exactly as without it. `maix_jpeg`: the stream's
    JPEGs come from maix (the MaixCAM's hardware encoder), else from cv2. An address
    that cannot be bound is a warning (the app runs on without it), or, if `required`
    (--serve), an OSError with the reason."""
    def start(settings: Settings) -> Remote | None:
        from .net.web import start_web_view

        encode = None
        if maix_jpeg:
            from .device.jpeg import maix_jpeg as device_encoder

            encode = device_encoder()
        problems: list[str] = []
        view = start_web_view(settings, problems.append if required else warn, encode)
        if problems:
            raise OSError(problems[0])
        if view is not None:
            announce(f"serving at {view.url}")
        return view

    return start


def draw_address(rgb: "np.ndarray", url: str) -> None:
    """The network view's URL on the screen, as a QR code and text."""
    from .core.render.address import draw_address as draw

    draw(rgb, url)
def vmc_sink(settings: Settings, warn: Callable[[str], None]) -> FrameSink:
    """Face capture for avatar software: the largest face to the VMC receiver at
    vmc.host:vmc.port. Raises app.net.vmc.VmcError when that address cannot be used.
    Imported only when asked for: with VMC off, app/net is never loaded."""
    from .net.vmc import VmcSender

    return VmcSender(settings.vmc_host, settings.vmc_port, bundle=settings.vmc_bundle,
                     mirror=settings.vmc_mirror, warn=warn)


def make_app(platform: Platform, models: Models, settings: Settings, store: SettingsStore,
             warn: Callable[[str], None], *, tracking: bool, clock: StageClock,
             sinks: Sequence[FrameSink] = (), locale: str = "en",
             captions: CaptionSource | None = None,
             emotion: "Classify | None" = None,
             remote: RemoteFactory | None = None) -> FaceApp:
    """The frame loop: `models` tracked on `platform`'s frames, UI state from `settings`
    (changes saved in `store`), results to `sinks`. `clock` must be the one the models
    were built with, so their stage times reach the HUD and the JSON lines. `emotion`
    classifies tracked faces (the device's face-emotion model) at the expression rate.
    `remote` starts the network view when WEB is on (web_remote; None: no network view)."""
    tracker: Tracker = make_tracker(models, settings, tracking=tracking, clock=clock,
                                    sinks=sinks,
                                    remote=remote is not None and settings.web_enabled)
    if emotion is not None:
        from .core.emotion import EmotionSchedule, EmotionTracker

        tracker = EmotionTracker(tracker, emotion, EmotionSchedule(emotion_rate_hz(settings)),
                                 clock)
    return FaceApp(platform, tracker, UiState(settings, locale=locale), store, clock, warn,
                   sinks=sinks, captions=captions, remote=remote,
                   address=draw_address if remote is not None else None)
