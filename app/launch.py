"""Wiring: settings -> backend -> tracker -> renderer -> loop. Picks device or PC."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from .core.faces import Face
from .core.manifest import load_settings
from .core.pipeline import FacePipeline
from .core.settings import Settings
from .core.timing import StageClock
from .core.tracking import FaceTracker

APP_DIR = Path(__file__).resolve().parent.parent
MANIFEST = APP_DIR / "app.yaml"


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def make_tracker(pipeline: FacePipeline, settings: Settings, tracking: bool = True) -> FaceTracker:
    return FaceTracker(pipeline, max_faces=settings.max_faces,
                       detector_interval=settings.detector_interval,
                       smoothing=settings.smoothing, tracking=tracking)


def run(argv: Sequence[str]) -> int:
    from .pc.cli import build_parser, fail

    args = build_parser().parse_args(list(argv))
    settings = load_settings(MANIFEST, warn)
    overrides = {}
    if args.max_faces is not None:
        overrides["max_faces"] = args.max_faces
    if args.view is not None:
        overrides["view"] = args.view
    settings = settings.replace(**overrides)
    if args.backend in ("device",) or (args.backend == "auto" and _device_available()):
        from .device.app import run_device
        return run_device(settings, APP_DIR)
    return _run_pc(args, settings, fail)


def _device_available() -> bool:
    try:
        from .device import maix_nn_available
    except ImportError:
        return False
    return maix_nn_available()


def _run_pc(args, settings: Settings, fail) -> int:
    from .pc.detector import BlazeFaceDetector
    from .pc.landmarker import MeshIrisLandmarker
    from .pc.litert import ModelError
    from .pc.sources import Source, SourceError
    from .pc.batch import process
    from .pc.cli import DEMO_SOURCE

    spec = args.source
    if spec is None:
        spec = "0" if _camera_present() else str(DEMO_SOURCE)
    try:
        source = Source.open(spec)
    except SourceError as err:
        return fail(str(err))
    clock = StageClock()
    models_dir = Path(settings.pc_models_dir)
    if not models_dir.is_absolute():
        models_dir = APP_DIR / models_dir
    try:
        detector = BlazeFaceDetector(models_dir, settings.pc_detector, settings.pc_threads,
                                     settings.detector_conf_threshold,
                                     settings.detector_iou_threshold)
        landmarker = MeshIrisLandmarker(models_dir, settings.pc_crop_scale, settings.pc_threads,
                                        clock=clock)
    except ModelError as err:
        source.close()
        return fail(str(err))
    pipeline = FacePipeline(detector, landmarker, settings.landmarks_conf_threshold, clock)
    tracker = make_tracker(pipeline, settings, tracking=not args.no_tracking and not source.still)
    detector.tiling = settings.pc_tiling
    detector.still = source.still

    def draw(rgb, faces: Sequence[Face], ms) -> None:
        from .core.render.renderer import draw_faces
        draw_faces(rgb, faces, settings)

    try:
        process(source, tracker, clock, draw, args.json, args.output)
    except KeyboardInterrupt:
        return 130
    except OSError as err:
        return fail(str(err))
    finally:
        source.close()
    return 0


def _camera_present() -> bool:
    return Path("/dev/video0").exists()
