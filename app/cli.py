"""The command line: `python main.py [--source PATH] [--json OUT] [--output OUT] ...`.

On the device the launcher passes no arguments; on a PC every option applies. Kept
free of PC-only imports: the device package does not ship app/pc.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .core.settings import VIEWS, MAX_FACES_LIMIT

APP_DIR = Path(__file__).resolve().parent.parent
DEMO_SOURCE = APP_DIR / "tests" / "data" / "single_face.mp4"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Find faces and track MediaPipe's 478 face landmarks per face "
                    "(MaixCAM app; on a PC: webcam, video or image).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="window keys: v view, s points subset, + / - face limit, h info (HUD), "
               "b box,\n  g signals, m smoothing, o settings panel, q or Esc quit; the mouse "
               "works the buttons.\n"
               "Settings defaults live in app.yaml (settings:); changes made in the UI are\n"
               "saved in data/config.ini. Exit codes: 0 ok, 2 bad input (source, model,\n"
               "output), 130 interrupted.")
    parser.add_argument("--source", metavar="PATH",
                        help="image file, video file or camera index (default: camera 0 if "
                             f"present, else the demo video {DEMO_SOURCE.relative_to(APP_DIR)})")
    parser.add_argument("--json", metavar="OUT.jsonl", type=Path,
                        help="write one JSON line per frame: faces (score, box, 478 points, "
                             "points_z) and stage times in ms")
    parser.add_argument("--report", metavar="OUT.bin", type=Path,
                        help="write the Maix protocol byte stream the device sends to a "
                             "microcontroller (face reports, frame for frame); read it with "
                             "tools/face_report.py")
    parser.add_argument("--output", metavar="OUT.mp4|OUT.png", type=Path,
                        help="write the annotated video (.mp4/.avi) or image (.png/.jpg)")
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
    parser.add_argument("--max-frames", type=int, metavar="N",
                        help="stop after N frames (default: the whole source; the demo loops)")
    parser.add_argument("--settings", metavar="FILE", type=Path,
                        help="the INI file for settings changed in the UI (default data/config.ini)")
    return parser


def fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code
