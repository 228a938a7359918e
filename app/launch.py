"""Runs the app: command line -> settings -> backend (app/backends.py) -> frame loop.

Settings are layered: app.yaml's defaults, then what the user changed on screen (the
device's data/config.ini through maix.app, the same INI format on a PC), then command-
line options (this run only, never saved).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from . import backends
from .backends import APP_DIR, MANIFEST, MANIFEST_CACHE, Models
from .cli import DEMO_SOURCE, build_parser, fail
from .core.manifest import read_defaults
from .core.persist import IniStore, SettingsStore, apply_saved
from .core.platform import FrameSink, Platform
from .core.settings import Settings
from .core.timing import StageClock

if TYPE_CHECKING:
    from .core.emotion import Classify
    from .device.platform import MaixPlatform
    from .device.settings_store import MaixSettingsStore
    from .pc.outputs import ImageFolder, JsonLines, MediaWriter
    from .pc.plan import PcRun
    from .pc.report_file import ReportFile
    from .pc.sources import FrameSource
    from .pc.stop import StopRequest

PC_SETTINGS = APP_DIR / "data" / "config.ini"


def warn(message: str) -> None:
    # On a terminal, first clear a progress bar's unfinished line.
    clear = "\r\x1b[K" if sys.stderr.isatty() else ""
    print(f"{clear}warning: {message}", file=sys.stderr)


def announce(message: str) -> None:
    """A line the user needs (`serving at URL`), on stderr with the other messages."""
    clear = "\r\x1b[K" if sys.stderr.isatty() else ""
    print(f"{clear}{message}", file=sys.stderr, flush=True)


def run(argv: Sequence[str]) -> int:
    try:
        return _run(argv)
    except KeyboardInterrupt:  # Ctrl-C before a run's own stop handling is in place
        print("interrupted", file=sys.stderr)
        return 130


def _run(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    defaults = read_defaults(MANIFEST, warn, cache=MANIFEST_CACHE)
    backend = args.backend
    if backend == "auto":
        backend = "device" if _device_available() else "pc"
    problem = _backend_problem(args, backend)
    if problem is not None:
        return fail(problem)
    if backend == "device":
        return _run_device(args, defaults)
    if backend == "maix-pc":
        return _run_maix_pc(args, defaults)
    return _run_pc(args, defaults)


def _device_available() -> bool:
    from .device import maix_nn_available
    return maix_nn_available()


# The options each maix backend honours; the others are the PC's (files, frame counts).
_MAIX_OPTIONS = {"device": {"max_faces", "view", "serve", "vmc"},
                 "maix-pc": {"source", "json", "settings", "max_faces", "view", "serve", "vmc"}}
_OPTIONAL = ("source", "json", "output", "report", "headless", "no_tracking", "max_frames",
             "settings", "max_faces", "view", "serve", "vmc")


def _backend_problem(args: argparse.Namespace, backend: str) -> str | None:
    """Why `backend` cannot run these options here (None: it can). An option a backend
    would ignore is refused rather than silently dropped."""
    if backend == "pc":
        return None
    from .device import maix_available

    if not maix_available():
        return (f"--backend {backend} needs MaixPy (the maix package and its libraries), "
                "which does not import here; use --backend pc")
    for name in _OPTIONAL:
        if getattr(args, name) not in (None, False) and name not in _MAIX_OPTIONS[backend]:
            return f"--{name.replace('_', '-')} is not available with --backend {backend}"
    if backend == "maix-pc" and args.source is not None and len(args.source) > 1:
        return "--backend maix-pc takes one video or camera index as --source"
    return None


def _settings(defaults: Settings, store: "IniStore | MaixSettingsStore",
              args: argparse.Namespace) -> Settings:
    """The settings of this run: saved changes over the defaults, the command line on top."""
    overrides: dict[str, Any] = {}
    if args.max_faces is not None:
        overrides["max_faces"] = args.max_faces
    if args.view is not None:
        overrides["view"] = args.view
    if args.serve is not None:  # this run only: web.enabled is never saved from here
        host, port = args.serve
        overrides.update(web_enabled=True, web_port=port)
        if host is not None:
            overrides["web_host"] = host
    if args.vmc is not None:
        overrides.update(vmc_enabled=True, vmc_host=args.vmc[0], vmc_port=args.vmc[1])
    return apply_saved(defaults, store, warn, source=str(store.path)).replace(**overrides)


def _vmc_sinks(settings: Settings, args: argparse.Namespace) -> tuple[list[FrameSink], str | None]:
    """The VMC sender when vmc.enabled (or --vmc) is on, else none (and app/net is not
    imported). An address that cannot be used is the returned error with --vmc, and a
    warning (VMC off) when it comes from the settings."""
    if not settings.vmc_enabled:
        return [], None
    from .net.vmc import VmcError

    try:
        return [backends.vmc_sink(settings, warn)], None
    except VmcError as err:
        if args.vmc is not None:
            return [], str(err)
        warn(f"{err}; VMC is off")
        return [], None


def _close(sinks: Sequence[FrameSink]) -> None:
    for sink in sinks:
        sink.close()


def _interrupted(stop: "StopRequest", frames: int) -> int:
    """The exit code of a run a signal stopped (128 + the signal, as shells report it)."""
    if frames:
        print(f"interrupted after {frames} frames; outputs closed", file=sys.stderr)
    else:
        print("interrupted before the first frame; nothing written", file=sys.stderr)
    return 128 + (stop.signal or 2)


# -- on maix (the device, or MaixPy on a PC) -------------------------------------------

def _run_device(args: argparse.Namespace, defaults: Settings) -> int:
    """The MaixCAM: maix.nn models, camera, display, touch and app config."""
    from .device import run_guarded
    from .device.settings_store import MaixSettingsStore

    def body(disp: Any) -> int:
        store = MaixSettingsStore(warn=warn)
        clock = StageClock()
        settings = _settings(defaults, store, args)
        models = backends.device_models(settings, clock)
        platform = backends.device_platform(models, disp)
        vmc, problem = _vmc_sinks(settings, args)
        if problem is not None:
            platform.close()
            return fail(problem)
        reports = backends.device_reporting(settings)
        emotion = backends.device_emotion(warn)   # None where the system has no model
        try:
            _run_on_maix(platform, models, settings, store, clock, [*reports, *vmc], emotion)
        finally:
            _close([*reports, *vmc])
        return 0

    return run_guarded(body)


def _run_maix_pc(args: argparse.Namespace, defaults: Settings) -> int:
    """maix camera/display/touch (MaixPy on a PC) with the PC's LiteRT models."""
    from .device import run_guarded
    from .pc.files import OutputError
    from .pc.plan import PcOutputs, check_outputs
    from .pc.stop import StopRequest

    source = args.source[0] if args.source else (None if _camera_present() else str(DEMO_SOURCE))
    inputs = [source] if source is not None and not source.isdigit() else []
    try:
        check_outputs(PcOutputs(args.json, None), inputs, args.settings, many=False)
    except OutputError as err:
        return fail(str(err))
    store = _pc_store(args)

    def body(disp: Any) -> int:
        # maix is imported by now (run_guarded opened its display), and its import put in
        # a SIGINT handler that exits at once, mid-frame, with code 0: ours goes on top, so
        # Ctrl-C (and SIGTERM, SIGHUP) ends the loop between frames, outputs whole.
        with StopRequest() as stop:
            clock = StageClock()
            settings = _settings(defaults, store, args)
            models = backends.maix_pc_models(settings, tracking=True, clock=clock)
            platform = backends.maix_pc_platform(source, disp, loop=args.source is None,
                                                 stop=lambda: stop.requested)
            vmc, problem = _vmc_sinks(settings, args)
            if problem is not None:
                platform.close()
                return fail(problem)
            sinks = _open_sinks(args.json, None)
            reports = [*backends.device_reporting(settings), *vmc]
            try:
                frames = _run_on_maix(platform, models, settings, store, clock,
                                      [*sinks, *reports])
            except OSError as err:
                _discard(sinks)
                return fail(str(err))
            except BaseException:
                _discard(sinks)
                raise
            finally:
                for report in reports:
                    report.close()
            return _finish(sinks, frames, stop, f"no frame from {source or 'the camera'}")

    return run_guarded(body)


def _run_on_maix(platform: "MaixPlatform", models: Models, settings: Settings,
                 store: SettingsStore, clock: StageClock,
                 sinks: Sequence[FrameSink] = (), emotion: "Classify | None" = None) -> int:
    """The frame loop on a maix platform, with captions in the system language, results
    to `sinks` (face reports over the system's comm port, JSON lines, VMC), faces
    classified by `emotion` when given; returns the number of frames processed."""
    from .device.captions import MaixCaptions, system_locale

    locale = system_locale()
    captions = None if locale.startswith("en") else MaixCaptions().painter
    try:
        app = backends.make_app(platform, models, settings, store, warn, tracking=True,
                                clock=clock, locale=locale, captions=captions, sinks=sinks,
                                emotion=emotion,
                                remote=backends.web_remote(warn, announce, maix_jpeg=True))
        app.run()
        return app.frames
    finally:
        platform.close()


# -- on a PC ---------------------------------------------------------------------------

def _pc_store(args: argparse.Namespace) -> IniStore:
    return IniStore(args.settings or PC_SETTINGS, warn=warn)


def _pixel_limit(defaults: Settings, args: argparse.Namespace) -> int:
    """pc.max_image_pixels, needed before the source opens, so before the settings file
    is checked (plan) and loaded with its warnings: read here without a word."""
    def quiet(_: str) -> None:
        pass
    path = Path(args.settings or PC_SETTINGS)
    if not path.is_file():  # a folder, a pipe...: plan refuses it with its message
        return defaults.pc_max_image_pixels
    store = IniStore(path, warn=quiet)
    return apply_saved(defaults, store, quiet, source="").pc_max_image_pixels


def _camera_present() -> bool:
    return Path("/dev/video0").exists()


def _source_specs(args: argparse.Namespace) -> tuple[list[str], bool]:
    """(what to open, whether it is the default demo source, which loops)."""
    if args.source is not None:
        return list(args.source), False
    return ["0" if _camera_present() else str(DEMO_SOURCE)], True


def _files_read(args: argparse.Namespace, defaults: Settings) -> list[tuple[str, Path]]:
    """The files a PC run reads besides its source, which no output may replace."""
    reads = [("app.yaml", MANIFEST), ("app.yaml's cache", MANIFEST_CACHE)]
    if args.settings is None:  # given, it is checked as --settings
        reads.append(("the settings file", PC_SETTINGS))
    models = backends.pc_models_dir(defaults)
    if models.is_dir():
        reads += [("a model", path) for path in models.rglob("*") if path.is_file()]
    return reads


def _wants_window(args: argparse.Namespace) -> bool:
    if args.headless:
        return False
    from .pc.window import display_available
    if display_available():
        return True
    print("no display: running headless", file=sys.stderr)
    return False


def _run_pc(args: argparse.Namespace, defaults: Settings) -> int:
    """LiteRT models and OpenCV sources, in a window or headless (files out). Every
    input and output is checked before the first byte is written (app/pc/plan.py)."""
    from .pc.files import OutputError
    from .pc.litert import ModelError
    from .pc.plan import Request, plan
    from .pc.sources import SourceError, silence_opencv_logs
    from .pc.stop import StopRequest

    silence_opencv_logs()
    specs, demo = _source_specs(args)
    if demo and not specs[0].isdigit() and not DEMO_SOURCE.exists():
        return fail(f"no camera, and the demo video {DEMO_SOURCE.relative_to(APP_DIR)} is not "
                    "fetched yet: run ./build.sh setup, or pass --source")
    # From here a stop signal (Ctrl-C, SIGTERM, SIGHUP) is a request, honoured between
    # frames, or once the models are loaded: never a traceback, never a cut file.
    with StopRequest() as stop:
        request = Request(specs, args.json, args.output, args.settings,
                          window=_wants_window(args), demo=demo, no_tracking=args.no_tracking,
                          max_frames=args.max_frames, report=args.report,
                          reads=_files_read(args, defaults),
                          max_image_pixels=_pixel_limit(defaults, args),
                          serve=args.serve is not None)
        try:
            run = plan(request, APP_DIR / "out", warn)
        except (SourceError, OutputError) as err:
            return fail(str(err))
        try:
            store = _pc_store(args)
            settings = backends.pc_settings(_settings(defaults, store, args))
            if not run.window and args.serve is None:
                # a run that processes files once serves nobody, whatever the settings say
                settings = settings.replace(web_enabled=False)
            clock = StageClock()
            models = backends.pc_models(settings, still=run.source.still,
                                        tracking=run.tracking, clock=clock)
        except ModelError as err:
            run.source.close()
            return fail(str(err))
        vmc, problem = _vmc_sinks(settings, args)
        if problem is not None:
            run.source.close()
            return fail(problem)
        try:
            if stop.requested:
                run.source.close()
                return _interrupted(stop, 0)
            return _run_pc_loop(run, models, settings, store, clock, stop, vmc)
        finally:
            _close(vmc)


def _open_sinks(json: Path | None, source: "FrameSource | None") -> list["JsonLines"]:
    """The JSON lines sink, if asked for (many stills: each line names its image and is
    in place as soon as its image is done)."""
    from .pc.outputs import JsonLines

    if json is None:
        return []
    if source is None:
        return [JsonLines(json)]
    return [JsonLines(json, source_of=lambda: source.current, in_place=True)]


def _open_media(run: "PcRun") -> "MediaWriter | ImageFolder | None":
    from .pc.outputs import ImageFolder, MediaWriter

    media = run.outputs.media
    if media is None or run.window:
        return None
    if run.source.many:
        source = run.source
        return ImageFolder(media, name_of=lambda: source.current)
    return MediaWriter(media, run.source.fps)


def _run_pc_loop(run: "PcRun", models: Models, settings: Settings, store: SettingsStore,
                 clock: StageClock, stop: "StopRequest",
                 senders: Sequence[FrameSink] = ()) -> int:
    """Open the outputs and the platform, run the frame loop, put the outputs in place
    (or drop them, on a failure: a previous file of that name stays as it was).
    A stop signal ends the run between frames: exit code 128 + the signal's number."""
    from .pc.report_file import ReportFile
    from .pc.window import WindowError

    files: list[JsonLines | MediaWriter | ImageFolder | ReportFile] = []
    frames = 0
    try:
        sinks: list[FrameSink] = []
        jsonl = _open_sinks(run.outputs.json, run.source if run.source.many else None)
        files += jsonl
        sinks += jsonl
        if run.outputs.report is not None:
            port = ReportFile(run.outputs.report, backends.face_reporter(settings),
                              in_place=run.source.many)
            files.append(port)
            sinks.append(backends.reporting_sink(port, settings))
        sinks += senders  # network senders (VMC): closed by the caller
        media = _open_media(run)
        files += [media] if media is not None else []
        platform = _pc_platform(run, media, stop)
        app = backends.make_app(platform, models, settings, store, warn,
                                tracking=run.tracking, clock=clock, sinks=sinks,
                                remote=backends.web_remote(warn, announce,
                                                           required=run.serve))
        try:
            app.run()
        finally:
            frames = app.frames
            platform.close()
    except (OSError, WindowError) as err:
        _discard(files)
        return fail(str(err))
    except BaseException:
        _discard(files)
        raise
    finally:
        run.source.close()
    return _finish(files, frames, stop, f"none of the {run.source.frame_count} images could "
                   "be read" if run.source.many else f"no frame in {run.source.name}")


def _pc_platform(run: "PcRun", media: "MediaWriter | ImageFolder | None",
                 stop: "StopRequest") -> Platform:
    from .pc.headless import HeadlessPlatform
    from .pc.window import WindowPlatform

    if run.window:
        return WindowPlatform(run.source, stop, loop=run.loop, max_frames=run.max_frames)
    return HeadlessPlatform(run.source, media, stop, max_frames=run.max_frames,
                            serve=run.serve)


def _finish(files: Sequence["JsonLines | MediaWriter | ImageFolder | ReportFile"], frames: int,
            stop: "StopRequest", nothing_read: str) -> int:
    """The exit code of a run whose loop ended: its outputs put in place (all or none);
    without a single frame, none is (`nothing_read` is the error, unless a signal came)."""
    if frames == 0:
        _discard(files)
        return _interrupted(stop, 0) if stop.requested else fail(nothing_read)
    failed = _commit(files)
    if failed is not None:
        return failed
    return _interrupted(stop, frames) if stop.requested else 0


def _commit(files: Sequence["JsonLines | MediaWriter | ImageFolder | ReportFile"]) -> int | None:
    """Put the outputs in place together: each finished first (a video's index written
    and checked), then all renamed. If one cannot be finished, none is put in place and
    the exit code is returned (None: all in place)."""
    try:
        for output in files:
            output.finish()
        for output in files:
            output.commit()
    except OSError as err:
        _discard(files)
        return fail(str(err))
    return None


def _discard(files: Sequence["JsonLines | MediaWriter | ImageFolder | ReportFile"]) -> None:
    for output in files:
        output.discard()
