"""A PC run decided before its first frame: what is read, what is written, window or
not. Every check that can refuse the run is made here, before any output is opened, so
a refused run has written nothing (an existing output is never truncated for nothing).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..core.persist import not_a_regular_file
from .files import (STDOUT, OutputError, check_distinct, check_folder_writable,
                    check_output_file, file_key)
from .outputs import check_media_suffix, image_target
from .sources import (DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, FrameSource, Source, Stills,
                      many_stills)


@dataclass(frozen=True)
class PcOutputs:
    """Where a PC run writes: JSON lines, the annotated video or image, and the report
    byte stream the device would send (any of them None); with many stills, `media` is a
    folder of annotated images."""

    json: Path | None
    media: Path | None
    report: Path | None = None


@dataclass(frozen=True)
class PcRun:
    """What a PC run decided before its first frame."""

    source: FrameSource
    outputs: PcOutputs
    window: bool  # a window (else headless: files only)
    loop: bool  # rewind at the end (the demo video)
    tracking: bool  # landmark tracking (off for stills and --no-tracking)
    max_frames: int | None
    serve: bool = False  # --serve: frames go to a browser (headless: looped, paced)


@dataclass(frozen=True)
class Request:
    """What the command line asked of a PC run (paths as given)."""

    sources: Sequence[str]  # one image / video / camera index, or many stills
    json: Path | None
    output: Path | None
    settings: Path | None  # --settings (None: the default file, not checked here)
    window: bool
    demo: bool  # the default source (it loops)
    no_tracking: bool
    max_frames: int | None
    report: Path | None = None
    reads: Sequence[tuple[str, Path]] = ()  # (what, path): files the app reads, never outputs
    max_image_pixels: int = DEFAULT_MAX_PIXELS  # stills over this are refused unread
    serve: bool = False  # --serve: frames go to a browser, the source loops


def plan(request: Request, out_dir: Path, warn: Callable[[str], None]) -> PcRun:
    """Open the source and check every output. SourceError or OutputError: the message
    is the run's one `error:` line; nothing has been written."""
    stills = many_stills(request.sources, warn)
    if stills is not None:
        stills = once_each(stills, warn)
    inputs = stills if stills is not None else [s for s in request.sources if not s.isdigit()]
    if request.window and request.output is not None:
        raise OutputError("--output writes files without a window: add --headless "
                          "(--json works in the window too)")
    source: FrameSource = Stills(stills, warn, request.max_image_pixels) \
        if stills is not None else Source.open(request.sources[0], request.max_image_pixels)
    outputs = PcOutputs(request.json, request.output, request.report)
    default = not request.window and not request.serve and outputs == PcOutputs(None, None)
    if default:
        outputs = default_outputs(request.sources, stills is not None, out_dir)
    try:
        if default:
            out_dir.mkdir(exist_ok=True)
        check_outputs(outputs, inputs, request.settings, many=stills is not None,
                      reads=request.reads)
    except (OutputError, OSError) as err:
        source.close()
        raise OutputError(str(err)) from err
    if default:
        print(f"writing {outputs.media} and {outputs.json}", file=sys.stderr)
    tracking = not request.no_tracking and not source.still
    return PcRun(source, outputs, request.window, loop=request.demo or request.serve,
                 tracking=tracking, max_frames=request.max_frames, serve=request.serve)


def default_outputs(sources: Sequence[str], many: bool, out_dir: Path) -> PcOutputs:
    """out/<source>_landmarks.(png|mp4) and .jsonl (many stills: a folder and .jsonl): a
    run without a window and without outputs named would otherwise be wasted work."""
    spec = sources[0]
    if many:
        stem = Path(spec).name if len(sources) == 1 and Path(spec).is_dir() else "images"
        media = out_dir / f"{stem}_landmarks"
    else:
        stem = f"camera{spec}" if spec.isdigit() else Path(spec).stem
        media = out_dir / f"{stem}_landmarks{'.png' if _is_image(spec) else '.mp4'}"
    return PcOutputs(out_dir / f"{stem}_landmarks.jsonl", media)


def _is_image(spec: str) -> bool:
    return Path(spec).suffix.lower() in IMAGE_SUFFIXES


def once_each(paths: list[str], warn: Callable[[str], None]) -> list[str]:
    """`paths` with a file given twice (also through a link) kept once, with a warning."""
    kept: dict[tuple, str] = {}
    for path in paths:
        key = file_key(Path(path))
        first = kept.get(key)
        if first is None:
            kept[key] = path
        else:
            warn(f"{path} is given twice: read once" if first == path else
                 f"{path} and {first} are the same file: read once")
    return list(kept.values())


def check_outputs(outputs: PcOutputs, inputs: Sequence[str], settings: Path | None, *,
                  many: bool, reads: Sequence[tuple[str, Path]] = ()) -> None:
    """Every output may be written and none is an input, a file the app reads or another
    output. `--json -` and `--report -` are standard output (not both)."""
    named = [("--source", Path(path)) for path in inputs]
    if outputs.json == STDOUT and outputs.report == STDOUT:
        raise OutputError("--json - and --report - both name standard output; give one a "
                          "file name")
    for role, path in (("--json", outputs.json), ("--report", outputs.report)):
        if path is not None and path != STDOUT:
            check_output_file(path, role)
            named.append((role, path))
    if outputs.media is not None and many:
        named += [("--output", target) for target in folder_targets(outputs.media, inputs)]
    elif outputs.media is not None:
        check_output_file(outputs.media, "--output")
        check_media_suffix(outputs.media)
        named.append(("--output", outputs.media))
    if settings is not None:
        reason = not_a_regular_file(settings)
        if reason is not None:
            raise OutputError(f"--settings {settings} {reason}; give a file name")
        named.append(("--settings", settings))
    check_distinct(named, reads)


def folder_targets(folder: Path, inputs: Sequence[str]) -> list[Path]:
    """The files many stills will write into `folder` (created at the start if missing),
    each checked: no two inputs share a name, none replaces something that is not a
    regular file."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"--output {folder} is a file: with many images --output names "
                          "a folder")
    check_folder_writable(folder if folder.is_dir() else folder.parent, f"--output {folder}")
    targets: dict[Path, str] = {}
    for source in inputs:
        target = image_target(folder, source)
        if target in targets:
            raise OutputError(f"{targets[target]} and {source} have the same name: both "
                              f"would be written to {target}")
        reason = not_a_regular_file(target)
        if reason is not None:
            raise OutputError(f"--output: {target} {reason}")
        targets[target] = source
    return list(targets)
