"""The command line: `python main.py [--source PATH] [--json OUT] [--output OUT] ...`.

On the device the launcher passes no arguments; on a PC every option applies. Kept
free of PC-only imports: the device package does not ship app/pc.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from .core.settings import VIEWS, MAX_FACES_LIMIT

APP_DIR = Path(__file__).resolve().parent.parent
DEMO_SOURCE = APP_DIR / "tests" / "data" / "single_face.mp4"


class _Parser(argparse.ArgumentParser):
    """argparse with the app's contract for bad input: one `error:` line, exit code 2
    (argparse's own prints the whole usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see --help)\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def file_path(text: str) -> Path:
    """An output file's path; `-` is standard output. A path ending in a slash names a
    folder (Path() would drop the slash and write a file of that name)."""
    if text.endswith(("/", "\\")) or text in (".", ".."):
        raise argparse.ArgumentTypeError(f"{text} names a folder; give a file name")
    return Path(text)


def serve_address(text: str) -> tuple[str | None, int]:
    """`[HOST:]PORT` -> (host or None, port); port 0 takes any free one (the line
    `serving at ...` says which)."""
    from .core.settings import check_host

    host, sep, port_text = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]  # [::1]:8080
    try:
        port = int(port_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected [HOST:]PORT, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, got {port}")
    if sep and host:
        try:
            check_host(host)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
    return (host if sep and host else None), port
def host_port(text: str) -> tuple[str, int]:
    """`HOST:PORT` (an IPv6 address in brackets: `[::1]:39539`) -> (host, port)."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not host or not port_text:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        port = int(port_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number after ':', got {text!r}") \
            from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"the port must be 1..65535, got {port}")
    return host, port


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="main.py",
        description="Find faces and track MediaPipe's 478 face landmarks per face "
                    "(MaixCAM app; on a PC: webcam, video or image).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="window keys: v view, s points subset, + / - face limit, h info (HUD), "
               "b box,\n  g signals, m smoothing, w network view (WEB), o settings panel, q or Esc\n  quit, n or space "
               "next image\n  (many stills); the mouse works the buttons.\n"
               "Settings defaults live in app.yaml (settings:); changes made in the UI are\n"
               "saved in data/config.ini. Exit codes: 0 ok, 2 bad input (source, model,\n"
               "output, option) or an output that cannot be written, 130 / 143 / 129\n"
               "stopped by SIGINT (Ctrl-C) / SIGTERM / SIGHUP (outputs closed whole).\n"
               "Many stills: --source FOLDER, several paths or a quoted glob ('img/*.jpg'):\n"
               "one JSON line per image (with \"source\"), --output names a folder.")
    parser.add_argument("--source", metavar="PATH", nargs="+",
                        help="image file, video file or camera index (default: camera 0 if "
                             f"present, else the demo video {DEMO_SOURCE.relative_to(APP_DIR)}); "
                             "or many stills: a folder (its images, by name), several "
                             "paths, a glob pattern")
    parser.add_argument("--json", metavar="OUT.jsonl", type=file_path,
                        help="write one JSON line per frame (per image): faces (score, box, "
                             "478 points, points_z, signals, blendshapes, expression) and stage "
                             "times in ms; - for standard output")
    parser.add_argument("--report", metavar="OUT.bin", type=file_path,
                        help="write the Maix protocol byte stream the device sends to a "
                             "microcontroller (face reports, frame for frame); read it with "
                             "tools/face_report.py; - for standard output")
    parser.add_argument("--output", metavar="OUT.mp4|OUT.png|FOLDER", type=Path,
                        help="write the annotated video (.mp4/.mov/.avi/.mkv) or image "
                             "(.png/.jpg/...); many stills: a folder, same file names")
    parser.add_argument("--headless", action="store_true",
                        help="no window: process the source once and write the outputs "
                             "(default out/<source>_landmarks.mp4|png and .jsonl)")
    parser.add_argument("--max-faces", type=int, metavar="N",
                        choices=range(1, MAX_FACES_LIMIT + 1),
                        help=f"most faces at once, 1..{MAX_FACES_LIMIT} (default from settings)")
    parser.add_argument("--view", choices=VIEWS, help="overlay (default from settings)")
    parser.add_argument("--backend", choices=("auto", "pc", "device", "maix-pc"), default="auto",
                        help="inference/IO backend: pc = LiteRT + OpenCV; device = maix (on a "
                             "MaixCAM); maix-pc = maix IO with PC inference (MaixPy on a PC); "
                             "auto = device when maix.nn can run, else pc")
    parser.add_argument("--no-tracking", action="store_true",
                        help="run the detector on every frame (no landmark tracking)")
    parser.add_argument("--max-frames", type=positive_int, metavar="N",
                        help="stop after N frames (default: the whole source; the demo loops)")
    parser.add_argument("--serve", metavar="[HOST:]PORT", type=serve_address,
                        help="serve the live view, its signals and the controls to a browser "
                             "(HOST default: web.host in the settings); prints the URL with "
                             "its token; with --headless a video plays at its own rate, "
                             "looped, until Ctrl-C")
    parser.add_argument("--vmc", metavar="HOST:PORT", type=host_port,
                        help="send the largest face's head pose and blendshapes to a VMC "
                             "protocol receiver (VSeeFace, VMagicMirror, Warudo...), e.g. "
                             "127.0.0.1:39539 (vmc.* settings: bundle, mirror)")
    parser.add_argument("--settings", metavar="FILE", type=Path,
                        help="the INI file for settings changed in the UI (default data/config.ini)")
    return parser


def fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code
