"""Face Landmarks for MaixCAM: entry point on the device (launcher) and on a PC.

On a MaixCAM the launcher runs `python3 main.py` in the app folder: the device backend
(maix camera, display, touch, maix.nn) is used. On a PC the same loop runs on LiteRT
and OpenCV: `python main.py --help`.
"""
import sys


def main() -> int:
    from app.launch import run
    return run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
