"""Wiring: settings -> backend -> tracker -> app loop. Picks the device or the PC.

Settings are layered: app.yaml's defaults, then what the user changed on screen (the
device's data/config.ini through maix.app, the same INI format on a PC), then command-
line options (this run only, never saved).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from .cli import APP_DIR, DEMO_SOURCE, build_parser, fail
from .core.manifest import load_settings as load_manifest_settings
from .core.persist import IniStore, SettingsStore, load_settings
from .core.pipeline import FacePipeline
from .core.settings import Settings
from .core.timing import StageClock
from .core.tracking import FaceTracker
from .core.ui import UiState

MANIFEST = APP_DIR / "app.yaml"
PC_SETTINGS = APP_DIR / "data" / "config.ini"


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def make_tracker(pipeline: FacePipeline, settings: Settings, tracking: bool = True) -> FaceTracker:
    return FaceTracker(pipeline, max_faces=settings.max_faces,
                       detector_interval=settings.detector_interval,
                       smoothing=settings.smoothing, tracking=tracking)


def command_line_overrides(args: argparse.Namespace) -> dict:
    overrides = {}
    if args.max_faces is not None:
        overrides["max_faces"] = args.max_faces
    if args.view is not None:
        overrides["view"] = args.view
    return overrides


def run(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    defaults = load_manifest_settings(MANIFEST, warn)
    backend = args.backend
    if backend == "auto":
        backend = "device" if _device_available() else "pc"
    if backend == "device":
        return _run_device(args, defaults)
    if backend == "maix-pc":
        return _run_maix_pc(args, defaults)
    return _run_pc(args, defaults)


def _device_available() -> bool:
    from .device import maix_nn_available
    return maix_nn_available()


def _settings(defaults: Settings, store: SettingsStore, args: argparse.Namespace) -> tuple[Settings, Settings]:
    """(persisted settings, settings for this run with the command line on top)."""
    saved = load_settings(defaults, store, warn)
    return saved, saved.replace(**command_line_overrides(args))


def _loop(platform, detector, landmarker, store, clock, settings, keys=None, tracking=True,
          locale: str = "en", captions=None) -> int:
    from .core.app_loop import FaceApp
    pipeline = FacePipeline(detector, landmarker, settings.landmarks_conf_threshold, clock)
    app = FaceApp(platform, make_tracker(pipeline, settings, tracking),
                  UiState(settings, locale=locale), store, clock, warn, keys=keys,
                  captions=captions)
    return app.run()


def _maix_captions():
    """(system locale, caption painter source) on maix; English without a CJK font."""
    from .device.captions import MaixCaptions, system_locale
    locale = system_locale()
    if locale.startswith("en"):
        return "en", None
    return locale, MaixCaptions().painter


def _run_device(args: argparse.Namespace, defaults: Settings) -> int:
    """The MaixCAM: maix.nn models, camera, display, touch and app config."""
    from .device import build
    from .device.settings_store import MaixSettingsStore

    store = MaixSettingsStore()

    def assemble(settings: Settings, clock: StageClock, disp):
        platform, detector, landmarker, _ = build(settings, clock, disp)
        return platform, detector, landmarker

    return _run_on_maix(args, defaults, store, assemble)


def _run_maix_pc(args: argparse.Namespace, defaults: Settings) -> int:
    """maix camera/display/touch (MaixPy on a PC) with the PC's LiteRT models."""
    from .device import build_maix_pc

    source = args.source or (None if _camera_present() else str(DEMO_SOURCE))

    def assemble(settings: Settings, clock: StageClock, disp):
        platform, detector, landmarker, _ = build_maix_pc(
            settings, clock, source, APP_DIR, loop=args.source is None, disp=disp)
        return platform, detector, landmarker

    return _run_on_maix(args, defaults, _pc_store(args), assemble)


def _run_on_maix(args: argparse.Namespace, defaults: Settings, store: SettingsStore,
                 assemble) -> int:
    """Build inside maix's guard (errors shown on screen, as official apps do) and loop."""
    from .device import run_guarded

    def body(disp) -> int:
        clock = StageClock()
        _, settings = _settings(defaults, store, args)
        platform, detector, landmarker = assemble(settings, clock, disp)
        locale, captions = _maix_captions()
        try:
            return _loop(platform, detector, landmarker, store, clock, settings,
                         locale=locale, captions=captions)
        finally:
            platform.close()

    return run_guarded(body)


def _pc_store(args: argparse.Namespace) -> IniStore:
    return IniStore(args.settings or PC_SETTINGS, warn=warn)


def _run_pc(args: argparse.Namespace, defaults: Settings) -> int:
    from .pc.batch import process
    from .pc.detector import BlazeFaceDetector
    from .pc.landmarker import AttentionLandmarker
    from .pc.litert import ModelError
    from .pc.sources import IMAGE_SUFFIXES, Source, SourceError

    headless = args.headless
    spec = args.source
    demo = spec is None
    if demo:
        spec = "0" if _camera_present() else str(DEMO_SOURCE)
    if not headless:
        from .pc.window import display_available
        if not display_available():
            headless = True
            print("no display: running headless", file=sys.stderr)
    if demo and spec == str(DEMO_SOURCE) and not DEMO_SOURCE.exists():
        return fail(f"no camera, and the demo video {DEMO_SOURCE.relative_to(APP_DIR)} is not "
                    "fetched yet: run ./build.sh setup, or pass --source")
    try:
        source = Source.open(spec)
    except SourceError as err:
        return fail(str(err))
    if headless and args.json is None and args.output is None:
        # Headless with nowhere to write would be wasted work: default to out/.
        stem = Path(spec).stem if not spec.isdigit() else f"camera{spec}"
        suffix = ".png" if Path(spec).suffix.lower() in IMAGE_SUFFIXES else ".mp4"
        args.output = APP_DIR / "out" / f"{stem}_landmarks{suffix}"
        args.json = APP_DIR / "out" / f"{stem}_landmarks.jsonl"
        args.output.parent.mkdir(exist_ok=True)
        print(f"writing {args.output} and {args.json}", file=sys.stderr)
    store = _pc_store(args)
    _, settings = _settings(defaults, store, args)
    clock = StageClock()
    models_dir = Path(settings.pc_models_dir)
    if not models_dir.is_absolute():
        models_dir = APP_DIR / models_dir
    try:
        detector = BlazeFaceDetector(models_dir, settings.pc_detector, settings.pc_threads,
                                     settings.detector_conf_threshold,
                                     settings.detector_iou_threshold)
        landmarker = AttentionLandmarker(models_dir, settings.pc_crop_scale, settings.pc_threads,
                                         clock=clock)
    except ModelError as err:
        source.close()
        return fail(str(err))
    detector.tiling = settings.pc_tiling
    detector.still = source.still
    tracking = not args.no_tracking and not source.still
    detector.every_frame = not tracking
    if not headless:
        from .pc.window import WindowPlatform
        platform = WindowPlatform(source, loop=demo, max_frames=args.max_frames)
        try:
            return _loop(platform, detector, landmarker, store, clock, settings,
                         keys=platform.key, tracking=tracking)
        except KeyboardInterrupt:
            return 130
        finally:
            platform.close()

    from .core.render.renderer import Renderer
    from .core.render.view import ViewState
    pipeline = FacePipeline(detector, landmarker, settings.landmarks_conf_threshold, clock)
    tracker = make_tracker(pipeline, settings, tracking)
    renderer, view = Renderer(), ViewState.from_settings(settings)

    def draw(rgb, faces, ms) -> None:
        renderer.draw(rgb, faces, view)

    try:
        process(source, tracker, clock, draw, args.json, args.output, max_frames=args.max_frames)
    except KeyboardInterrupt:
        return 130
    except OSError as err:
        return fail(str(err))
    finally:
        source.close()
    return 0


def _camera_present() -> bool:
    return Path("/dev/video0").exists()
