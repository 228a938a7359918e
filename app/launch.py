"""Runs the app: command line -> settings -> backend (app/backends.py) -> frame loop.

Settings are layered: app.yaml's defaults, then what the user changed on screen (the
device's data/config.ini through maix.app, the same INI format on a PC), then command-
line options (this run only, never saved).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from . import backends
from .backends import APP_DIR, MANIFEST, Models
from .cli import DEMO_SOURCE, build_parser, fail
from .core.manifest import read_defaults
from .core.persist import IniStore, SettingsStore, apply_saved
from .core.platform import Platform
from .core.settings import Settings
from .core.timing import StageClock

if TYPE_CHECKING:
    from .device.platform import MaixPlatform
    from .pc.sources import Source

PC_SETTINGS = APP_DIR / "data" / "config.ini"


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def run(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    defaults = read_defaults(MANIFEST, warn)
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


def _settings(defaults: Settings, store: SettingsStore, args: argparse.Namespace) -> Settings:
    """The settings of this run: saved changes over the defaults, the command line on top."""
    overrides: dict[str, Any] = {}
    if args.max_faces is not None:
        overrides["max_faces"] = args.max_faces
    if args.view is not None:
        overrides["view"] = args.view
    return apply_saved(defaults, store, warn).replace(**overrides)


# -- on maix (the device, or MaixPy on a PC) -------------------------------------------

def _run_device(args: argparse.Namespace, defaults: Settings) -> int:
    """The MaixCAM: maix.nn models, camera, display, touch and app config."""
    from .device import run_guarded
    from .device.settings_store import MaixSettingsStore

    def body(disp: Any) -> int:
        store = MaixSettingsStore()
        clock = StageClock()
        settings = _settings(defaults, store, args)
        models = backends.device_models(settings, clock)
        return _run_on_maix(backends.device_platform(models, disp), models, settings, store,
                            clock)

    return run_guarded(body)


def _run_maix_pc(args: argparse.Namespace, defaults: Settings) -> int:
    """maix camera/display/touch (MaixPy on a PC) with the PC's LiteRT models."""
    from .device import run_guarded

    source = args.source or (None if _camera_present() else str(DEMO_SOURCE))
    store = _pc_store(args)

    def body(disp: Any) -> int:
        clock = StageClock()
        settings = _settings(defaults, store, args)
        models = backends.maix_pc_models(settings, tracking=True, clock=clock)
        platform = backends.maix_pc_platform(source, disp, loop=args.source is None)
        return _run_on_maix(platform, models, settings, store, clock)

    return run_guarded(body)


def _run_on_maix(platform: "MaixPlatform", models: Models, settings: Settings,
                 store: SettingsStore, clock: StageClock) -> int:
    """The frame loop on a maix platform, with captions in the system language and face
    reports over the system's comm port."""
    from .device.captions import MaixCaptions, system_locale

    locale = system_locale()
    captions = None if locale.startswith("en") else MaixCaptions().painter
    sinks = backends.device_reporting(settings)
    try:
        app = backends.make_app(platform, models, settings, store, warn, tracking=True,
                                clock=clock, sinks=sinks, locale=locale, captions=captions)
        return app.run()
    finally:
        platform.close()
        for sink in sinks:
            sink.close()


# -- on a PC ---------------------------------------------------------------------------

def _pc_store(args: argparse.Namespace) -> IniStore:
    return IniStore(args.settings or PC_SETTINGS, warn=warn)


def _camera_present() -> bool:
    return Path("/dev/video0").exists()


@dataclass(frozen=True)
class PcOutputs:
    """Where a PC run writes: JSON lines, the annotated video or image, and the device's
    report byte stream (any of them None)."""

    json: Path | None
    media: Path | None
    report: Path | None = None


def _source_spec(args: argparse.Namespace) -> tuple[str, bool]:
    """(what to open, whether it is the default demo source, which loops)."""
    if args.source is not None:
        return args.source, False
    return ("0" if _camera_present() else str(DEMO_SOURCE)), True


def _wants_window(args: argparse.Namespace) -> bool:
    if args.headless:
        return False
    from .pc.window import display_available
    if display_available():
        return True
    print("no display: running headless", file=sys.stderr)
    return False


def _default_outputs(spec: str) -> PcOutputs:
    """out/<source>_landmarks.(png|mp4) and .jsonl: a run without a window and without
    outputs named would otherwise be wasted work."""
    from .pc.sources import IMAGE_SUFFIXES

    stem = f"camera{spec}" if spec.isdigit() else Path(spec).stem
    suffix = ".png" if Path(spec).suffix.lower() in IMAGE_SUFFIXES else ".mp4"
    out = APP_DIR / "out"
    out.mkdir(exist_ok=True)
    outputs = PcOutputs(out / f"{stem}_landmarks.jsonl", out / f"{stem}_landmarks{suffix}")
    print(f"writing {outputs.media} and {outputs.json}", file=sys.stderr)
    return outputs


@dataclass(frozen=True)
class PcRun:
    """What a PC run decided before its first frame."""

    source: "Source"
    outputs: PcOutputs
    window: bool  # a window (else headless: files only)
    loop: bool  # rewind at the end (the demo video)
    tracking: bool  # landmark tracking (off for stills and --no-tracking)
    max_frames: int | None


def _run_pc(args: argparse.Namespace, defaults: Settings) -> int:
    """LiteRT models and OpenCV sources, in a window or headless (files out)."""
    from .pc.litert import ModelError
    from .pc.sources import Source, SourceError

    spec, demo = _source_spec(args)
    if demo and not spec.isdigit() and not DEMO_SOURCE.exists():
        return fail(f"no camera, and the demo video {DEMO_SOURCE.relative_to(APP_DIR)} is not "
                    "fetched yet: run ./build.sh setup, or pass --source")
    window = _wants_window(args)
    try:
        source = Source.open(spec)
    except SourceError as err:
        return fail(str(err))
    outputs = PcOutputs(args.json, args.output, args.report)
    if not window and outputs == PcOutputs(None, None):
        outputs = _default_outputs(spec)
    run = PcRun(source, outputs, window, loop=demo,
                tracking=not args.no_tracking and not source.still, max_frames=args.max_frames)
    store = _pc_store(args)
    settings = _settings(defaults, store, args)
    clock = StageClock()
    try:
        models = backends.pc_models(settings, still=source.still, tracking=run.tracking,
                                    clock=clock)
    except ModelError as err:
        source.close()
        return fail(str(err))
    return _run_pc_loop(run, models, settings, store, clock)


def _run_pc_loop(run: PcRun, models: Models, settings: Settings, store: SettingsStore,
                 clock: StageClock) -> int:
    """Open the outputs and the platform, run the frame loop, close everything.
    A stop signal ends the run between frames: exit code 128 + the signal's number."""
    from .core.platform import FrameSink
    from .pc.headless import HeadlessPlatform
    from .pc.outputs import JsonLines, MediaWriter
    from .pc.report_file import ReportFile
    from .pc.stop import StopRequest
    from .pc.window import WindowPlatform

    frames = 0
    with StopRequest() as stop:
        sinks: list[FrameSink] = []
        try:
            if run.outputs.json is not None:
                sinks.append(JsonLines(run.outputs.json))
            if run.outputs.report is not None:
                port = ReportFile(run.outputs.report, backends.face_reporter(settings))
                sinks.append(backends.reporting_sink(port, settings))
            platform: Platform
            if run.window:
                platform = WindowPlatform(run.source, stop, loop=run.loop,
                                          max_frames=run.max_frames)
            else:
                media = MediaWriter(run.outputs.media, run.source.fps) if run.outputs.media else None
                platform = HeadlessPlatform(run.source, media, stop, max_frames=run.max_frames)
            app = backends.make_app(platform, models, settings, store, warn,
                                    tracking=run.tracking, clock=clock, sinks=sinks)
            try:
                app.run()
            finally:
                frames = app.frames
                platform.close()
        except OSError as err:
            return fail(str(err))
        finally:
            run.source.close()
            for sink in sinks:
                sink.close()
    if stop.requested:
        print(f"interrupted after {frames} frames; outputs closed", file=sys.stderr)
        return 128 + (stop.signal or 2)
    return 0
