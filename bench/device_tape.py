"""maix stand-ins that play a tape, for counting the device's CPU work on a PC.

MaixPy's PC build has the real maix image, display, touch, FaceLandmarks.crop_image and
draw_face, but no NPU. Only the two NPU forwards and the camera are stood in for:

- camera.Camera: the tape's frames (320x224 RGB), a fresh maix image per read, as the
  camera gives; after the last frame it sets the app's exit flag, so every loop runs
  exactly the tape's frames;
- nn.YOLOv8 / nn.YOLO11: the frame's detections, built into an `nn.Objects` per call
  (the real detect builds one too);
- nn.FaceLandmarks: the real `crop_image` and `draw_face`; `detect` answers from the
  tape in call order, as a real `nn.FaceLandmarksObject`, and checks that each call
  asks about the crop it was recorded for (the loops are deterministic).

This module imports nothing that the interpreter has not loaded already but pickle, so
that a counted run pays exactly for the imports of the loop it runs; maix is patched
the moment the loop imports it (an import hook). When recording (bench/device_replay.py),
`detect` asks an oracle (frame, crop, abs, rel) -> (points, points_z, score) and writes
the tape.
"""
from __future__ import annotations

import pickle
import sys
from importlib.machinery import PathFinder


class Tape:
    """frames: raw RGB888 bytes at `size`; detections: per frame [(x, y, w, h, score,
    [10 keypoint ints])]; answers: [((crop, abs, rel), points, points_z, score)]."""

    def __init__(self, size: tuple[int, int], frames: list[bytes],
                 detections: list[list[tuple]]) -> None:
        self.size, self.frames, self.detections = size, frames, detections
        self.answers: list[tuple] = []

    def save(self, path: str) -> None:
        with open(path, "wb") as f:
            pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def load(path: str) -> "Tape":
        with open(path, "rb") as f:
            tape = pickle.load(f)
        assert isinstance(tape, Tape)
        return tape


class Player:
    """The state of one run: which frame, which answer next, recording or playing."""

    tape: Tape
    oracle = None
    index = -1
    served = 0


def install(tape: Tape, oracle=None) -> None:
    """Patch maix with the stand-ins as soon as it is imported (now, if it already is)."""
    Player.tape, Player.oracle, Player.index, Player.served = tape, oracle, -1, 0
    if "maix" in sys.modules:
        _patch(sys.modules["maix"])
    else:
        sys.meta_path.insert(0, _PatchOnImport())


class _PatchOnImport:
    """A meta path finder that only wraps maix's loader."""

    def find_spec(self, name, path=None, target=None):
        if name != "maix":
            return None
        sys.meta_path.remove(self)
        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        execute = loader.exec_module

        def exec_module(module) -> None:
            execute(module)
            _patch(module)

        loader.exec_module = exec_module
        return spec


def _patch(maix) -> None:
    from maix import app, camera, image, nn

    real_face_landmarks = nn.FaceLandmarks
    frame_w, frame_h = Player.tape.size

    class Camera:
        def __init__(self, w: int = frame_w, h: int = frame_h, fmt=None, *args, **kwargs):
            assert (w, h) == (frame_w, frame_h), f"the tape's frames are {frame_w}x{frame_h}"

        def width(self) -> int:
            return frame_w

        def height(self) -> int:
            return frame_h

        def read(self, *args, **kwargs):
            frames = Player.tape.frames
            Player.index = min(Player.index + 1, len(frames) - 1)
            if Player.index == len(frames) - 1:
                app.set_exit_flag(True)  # the last frame: every loop stops after it
            return image.from_bytes(frame_w, frame_h, image.Format.FMT_RGB888,
                                    frames[Player.index], copy=True)

        def close(self) -> None:
            pass

    class Yolo:
        def __init__(self, model: str = "", dual_buff: bool = True) -> None:
            pass

        def input_width(self) -> int:
            return frame_w

        def input_height(self) -> int:
            return frame_h

        def input_format(self):
            return image.Format.FMT_RGB888

        def detect(self, img, conf_th: float = 0.5, iou_th: float = 0.45, sort: int = 0):
            objects = nn.Objects()
            for x, y, w, h, score, points in Player.tape.detections[Player.index]:
                if score > conf_th:
                    objects.add(x, y, w, h, 0, score, points)
            return objects

    class FaceLandmarks:
        def __init__(self, model: str = "") -> None:
            self.real = real_face_landmarks("")
            self._crop: tuple = ()

        def input_width(self, detect: bool = True) -> int:
            return 256

        def input_height(self, detect: bool = True) -> int:
            return 256

        def crop_image(self, img, x, y, w, h, points, new_width=-1, new_height=-1,
                       scale=1.2):
            new_width = 256 if new_width < 0 else new_width
            new_height = 256 if new_height < 0 else new_height
            self._crop = (int(x), int(y), int(w), int(h), tuple(int(v) for v in points[:4]),
                          new_width, new_height, float(scale))
            return self.real.crop_image(img, x, y, w, h, points, new_width, new_height, scale)

        def draw_face(self, img, points, num, points_z=[], r_min=2, r_max=4):  # noqa: B006
            self.real.draw_face(img, points, num, points_z, r_min, r_max)

        def detect(self, img, conf_th: float = 0.5, landmarks_abs: bool = True,
                   landmarks_rel: bool = False):
            key = (self._crop, landmarks_abs, landmarks_rel)
            if Player.oracle is not None:
                points, points_z, score = Player.oracle(Player.index, *key)
                Player.tape.answers.append((key, points, points_z, score))
            else:
                recorded, points, points_z, score = Player.tape.answers[Player.served]
                assert recorded == key, f"forward {Player.served}: not the recorded crop"
                Player.served += 1
            obj = nn.FaceLandmarksObject()
            obj.points, obj.points_z, obj.score = points, points_z, score
            obj.valid = score >= conf_th
            return obj

    camera.Camera = Camera
    nn.YOLOv8 = nn.YOLO11 = Yolo
    nn.FaceLandmarks = FaceLandmarks
