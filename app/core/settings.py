"""Every tunable of the app, its default and its valid range, loaded from app.yaml.

`app.yaml`'s `settings:` section holds the defaults (nested YAML, e.g.
`detector: {conf_threshold: 0.5}`); what the user changes on screen is stored as flat
dotted keys (`detector.conf_threshold = 0.6`) and layered on top. Loading never crashes:
an unknown key or a bad value is reported as a warning and the default is kept.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterable, Mapping


class View(str, Enum):
    """Overlay styles; the values are the strings stored in `Settings.view`."""

    MESH = "mesh"
    POINTS = "points"
    DEPTH = "depth"


VIEWS = tuple(view.value for view in View)
SUBSET_SIZES = (478, 146, 68, 5)
PC_DETECTORS = ("auto", "both", "full_range", "short_range")
TILING_MODES = ("auto", "on", "off")
REPORT_SUBSETS = (5, 68)
MAX_FACES_LIMIT = 10


def _setting(key: str, default: Any, *, lo: float | None = None, hi: float | None = None,
             choices: tuple[Any, ...] | None = None, doc: str = "",
             check: Callable[[Any], None] | None = None) -> Any:
    meta = {"key": key, "lo": lo, "hi": hi, "choices": choices, "doc": doc, "check": check}
    return field(default=default, metadata=meta)


def check_host(text: str) -> None:
    """ValueError unless `text` is an IPv4 or IPv6 address (what a server binds to; a
    name would be resolved to who knows which address)."""
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"expected an IP address such as 0.0.0.0 or 127.0.0.1, "
                         f"got {_shown(text)}") from None


# Stills over this many pixels are refused before decoding: 16 MP is 48 MB of RGB, and a
# few copies of it still fit a 256 MB MaixCAM.
MAX_IMAGE_PIXELS = 16_000_000

# Blendshape evaluations a second per tracked face. The device runs the network in numpy
# on its C906 (bench/riscv_cost.sh: 71.5 million RISC-V instructions an
# evaluation), so its rate keeps that work under 15% of the CPU's time for the default
# two faces (README, "Device cost in RISC-V instructions"); a PC runs it on LiteRT
# (~10 million x86 instructions, ~1 ms) and replaces it with pc.expressions_rate_hz.
EXPRESSION_RATE_HZ = 0.5
PC_EXPRESSION_RATE_HZ = 10.0


@dataclass(frozen=True)
class Settings:
    # What is shown (changed on screen, persisted).
    view: str = _setting("view", "mesh", choices=VIEWS, doc="overlay: mesh, points or depth")
    points_subset: int = _setting("points_subset", 478, choices=SUBSET_SIZES,
                                  doc="points view: all 478 or the 146/68/5 subsets")
    max_faces: int = _setting("max_faces", 2, lo=1, hi=MAX_FACES_LIMIT,
                              doc="most faces tracked at once, largest first")
    show_box: bool = _setting("show_box", False, doc="draw detector box, score and keypoints")
    show_hud: bool = _setting("show_hud", True, doc="draw fps, face count and stage times")
    show_signals: bool = _setting("show_signals", True,
                                  doc="draw head-pose axes, eye and mouth gauges, blinks")
    smoothing: float = _setting("smoothing", 0.5, lo=0.0, hi=1.0,
                                doc="landmark smoothing strength, 0 = raw model output")
    # Detector.
    detector_conf_threshold: float = _setting("detector.conf_threshold", 0.5, lo=0.01, hi=0.99,
                                              doc="keep detections scoring above this")
    detector_iou_threshold: float = _setting("detector.iou_threshold", 0.45, lo=0.05, hi=0.95,
                                             doc="non-maximum suppression overlap")
    detector_interval: int = _setting("detector.interval", 10, lo=1, hi=120,
                                      doc="frames between detector runs while tracking")
    # Landmark model.
    landmarks_conf_threshold: float = _setting("landmarks.conf_threshold", 0.5, lo=0.01, hi=0.99,
                                               doc="face presence score needed to keep a face")
    # Device (maix.nn); an empty detector path picks the model shipped for the device.
    device_detector_model: str = _setting("device.detector_model", "",
                                          doc="face detector .mud ('' = by device)")
    device_landmarks_model: str = _setting("device.landmarks_model",
                                           "/root/models/face_landmarks.mud",
                                           doc="nn.FaceLandmarks .mud")
    device_crop_scale: float = _setting("device.crop_scale", 1.2, lo=1.0, hi=3.0,
                                        doc="crop side / YOLO box side (maix default 1.2)")
    # PC (LiteRT, MediaPipe models).
    pc_models_dir: str = _setting("pc.models_dir", "models/pc",
                                  doc="folder of the .tflite files, relative to the app")
    pc_detector: str = _setting("pc.detector", "auto", choices=PC_DETECTORS,
                                doc="BlazeFace model(s): both = short + full range; auto = both, "
                                    "but short range alone when detecting every video frame")
    pc_crop_scale: float = _setting("pc.crop_scale", 1.5, lo=1.0, hi=3.0,
                                    doc="crop side / BlazeFace box side (MediaPipe: 1.5)")
    pc_tiling: str = _setting("pc.tiling", "auto", choices=TILING_MODES,
                              doc="also detect on overlapping tiles (auto: stills and frames over 960 px)")
    pc_threads: int = _setting("pc.threads", 2, lo=1, hi=16, doc="LiteRT CPU threads")
    pc_max_image_pixels: int = _setting(
        "pc.max_image_pixels", MAX_IMAGE_PIXELS, lo=10_000, hi=1_000_000_000,
        doc="a still whose header gives more pixels is refused before it is decoded "
            "(16 MP: a few copies fit a 256 MB MaixCAM)")
    pc_expressions_rate_hz: float = _setting(
        "pc.expressions_rate_hz", PC_EXPRESSION_RATE_HZ, lo=0.5, hi=60.0,
        doc="expressions.rate_hz on a PC (the blendshape network on LiteRT, ~1 ms): it "
            "replaces the device's rate there")
    # Face signals (app/core/signals.py). Openness: 1 = the track's own open eye, 0 = shut.
    signals_eye_closed_below: float = _setting(
        "signals.eye_closed_below", 0.35, lo=0.05, hi=0.9,
        doc="eyes count as closed when their mean openness falls below this")
    signals_eye_open_above: float = _setting(
        "signals.eye_open_above", 0.55, lo=0.1, hi=1.0,
        doc="...and open again above this (hysteresis; taken as eye_closed_below if lower); "
            "frames above it also teach a track its open-eye level")
    signals_blink_max_s: float = _setting(
        "signals.blink_max_s", 0.5, lo=0.05, hi=2.0,
        doc="a closure that ends within this many seconds is a blink")
    signals_long_closure_s: float = _setting(
        "signals.long_closure_s", 1.0, lo=0.1, hi=60.0,
        doc="eyes closed longer than this many seconds are flagged")
    signals_eye_adapt_s: float = _setting(
        "signals.eye_adapt_s", 20.0, lo=1.0, hi=600.0,
        doc="memory of a track's open-eye level in seconds: its open frames are averaged "
            "from the first one, then with this time constant")
    signals_gaze_dead_zone: float = _setting(
        "signals.gaze_dead_zone", 0.15, lo=0.0, hi=0.9,
        doc="gaze within this of the centre reads 0 (gaze is -1..1)")
    # Expressions (app/core/expressions/): MediaPipe's 52 blendshapes per tracked face,
    # read as named expressions and events against the track's own neutral baseline.
    # Every threshold is on a shape's rise above that baseline (0..1); a score turns on
    # at its threshold and off below it minus `hysteresis`.
    expressions_enabled: bool = _setting(
        "expressions.enabled", True,
        doc="evaluate the blendshapes and read expressions per face (when drawn or written)")
    expressions_rate_hz: float = _setting(
        "expressions.rate_hz", EXPRESSION_RATE_HZ, lo=0.5, hi=60.0,
        doc="blendshape evaluations a second per tracked face on the device (numpy on its "
            "CPU: the cost driver; a PC uses pc.expressions_rate_hz); the tracks take "
            "turns; stills evaluate every face")
    expressions_baseline_s: float = _setting(
        "expressions.baseline_s", 1.0, lo=0.0, hi=60.0,
        doc="a track's first seconds averaged as its neutral face (then it follows shapes "
            "that fall below it); 0 = no baseline, the raw scores")
    expressions_happy_above: float = _setting(
        "expressions.happy_above", 0.5, lo=0.05, hi=1.0,
        doc="'happy' when the smile (mouthSmileLeft/Right mean) rises this far")
    expressions_surprise_above: float = _setting(
        "expressions.surprise_above", 0.3, lo=0.05, hi=1.0,
        doc="'surprise' when the brows and the jaw (or wide eyes) both rise this far")
    expressions_smile_above: float = _setting(
        "expressions.smile_above", 0.5, lo=0.05, hi=1.0, doc="event 'smile' at this smile")
    expressions_mouth_open_above: float = _setting(
        "expressions.mouth_open_above", 0.35, lo=0.05, hi=1.0,
        doc="event 'mouth_open' at this jawOpen")
    expressions_brows_up_above: float = _setting(
        "expressions.brows_up_above", 0.3, lo=0.05, hi=1.0,
        doc="event 'brows_up' at this browInnerUp (or browOuterUp mean)")
    expressions_wink_above: float = _setting(
        "expressions.wink_above", 0.4, lo=0.05, hi=1.0,
        doc="events 'wink_left'/'wink_right' when one eyeBlink exceeds the other by this")
    expressions_hysteresis: float = _setting(
        "expressions.hysteresis", 0.1, lo=0.0, hi=0.5,
        doc="a score on stays on until it falls this far below its threshold")
    expressions_min_duration_s: float = _setting(
        "expressions.min_duration_s", 0.2, lo=0.0, hi=5.0,
        doc="an expression or event changes only after the change has held this long")
    # Reports to a microcontroller (app/core/report.py): the landmark report is off until
    # the microcontroller turns it on (CMD_SET_REPORT).
    report_landmark_points: int = _setting(
        "report.landmark_points", 5, choices=REPORT_SUBSETS,
        doc="landmarks per face in the landmark report: 5 (irises, nose, mouth corners) or 68")
    report_landmark_period_s: float = _setting(
        "report.landmark_period_s", 0.2, lo=0.05, hi=10.0,
        doc="seconds between landmark reports (when the microcontroller turns them on)")
    report_blendshape_period_s: float = _setting(
        "report.blendshape_period_s", 0.1, lo=0.05, hi=10.0,
        doc="seconds between blendshape reports (when the microcontroller turns them on); "
            "a face's blendshapes are as fresh as its expression rate")
    # The network view (app/net/web): a page, an MJPEG stream, events and control.
    web_enabled: bool = _setting("web.enabled", False,
                                 doc="serve the live view and controls to a browser (WEB)")
    web_host: str = _setting("web.host", "0.0.0.0", check=check_host,
                             doc="address the server binds to (0.0.0.0: every network)")
    web_port: int = _setting("web.port", 8080, lo=1, hi=65535, doc="TCP port of the server")
    web_max_clients: int = _setting("web.max_clients", 3, lo=1, hi=16,
                                    doc="most viewers at once (open streams and event feeds)")
    web_max_fps: float = _setting("web.max_fps", 10.0, lo=0.5, hi=60.0,
                                  doc="most stream frames per second (JPEG-encoded)")
    # Face capture for avatar software over the VMC protocol (app/core/vmc, app/net/vmc.py).
    vmc_enabled: bool = _setting(
        "vmc.enabled", False,
        doc="send the largest face's head pose and blendshapes to a VMC receiver (OSC/UDP)")
    vmc_host: str = _setting(
        "vmc.host", "127.0.0.1",
        doc="the VMC receiver's address (the PC running VSeeFace, VMagicMirror, Warudo...); "
            "a broadcast address such as 192.168.1.255 reaches every PC on the network")
    vmc_port: int = _setting("vmc.port", 39539, lo=1, hi=65535,
                             doc="the VMC receiver's UDP port (the protocol's usual 39539)")
    vmc_bundle: bool = _setting(
        "vmc.bundle", True,
        doc="one OSC bundle per frame; false: one UDP datagram per message (for receivers "
            "that reject bundles)")
    vmc_mirror: bool = _setting(
        "vmc.mirror", True,
        doc="the avatar moves as the subject's mirror image; false: as the camera sees the "
            "subject")

    def replace(self, **changes: Any) -> "Settings":
        return dataclasses.replace(self, **changes)

    def to_flat(self) -> dict[str, Any]:
        """`{dotted key: value}` for every setting."""
        return {f.metadata["key"]: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class SettingSpec:
    name: str  # the dataclass field
    key: str  # the dotted key in app.yaml / the config file
    default: Any
    lo: float | None
    hi: float | None
    choices: tuple[Any, ...] | None
    doc: str
    check: Callable[[Any], None] | None = None  # raises ValueError on a bad value


SPECS: dict[str, SettingSpec] = {
    f.metadata["key"]: SettingSpec(f.name, f.metadata["key"], f.default, f.metadata["lo"],
                                   f.metadata["hi"], f.metadata["choices"], f.metadata["doc"],
                                   f.metadata["check"])
    for f in dataclasses.fields(Settings)
}


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{"a": {"b": 1}}` -> `{"a.b": 1}`."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _number(raw: Any) -> float:
    """A finite number from a YAML value or a config string; ValueError otherwise.
    `inf`, `1e400` (which parses as inf) and NaN are refused: an int() of them raises
    OverflowError, and no setting means anything at infinity."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ValueError(f"expected a number, got {_shown(raw)}")
    try:
        value = float(raw.strip() if isinstance(raw, str) else raw)
    except (ValueError, OverflowError):  # OverflowError: an int beyond float's range
        raise ValueError(f"expected a number, got {_shown(raw)}") from None
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {_shown(raw)}")
    return value


def _shown(raw: Any) -> str:
    """`raw` for a message, cut short (a hostile file may hold a megabyte on one line)."""
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_value(spec: SettingSpec, raw: Any) -> Any:
    """Convert `raw` (YAML value or config-file string) to the spec's type; ValueError if
    bad (wrong type, not finite, out of range, not one of the choices)."""
    kind = type(spec.default)
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower() if isinstance(raw, (str, int)) else ""
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"expected true/false, got {_shown(raw)}")
    if kind is int:
        number = _number(raw)
        if not number.is_integer():
            raise ValueError(f"expected a whole number, got {_shown(raw)}")
        value: Any = int(number)
    elif kind is float:
        value = _number(raw)
    else:
        if isinstance(raw, (Mapping, list)):
            raise ValueError(f"expected text, got {type(raw).__name__}")
        value = "" if raw is None else str(raw)
    if spec.choices is not None and value not in spec.choices:
        raise ValueError(f"expected one of {', '.join(map(str, spec.choices))}, got {_shown(raw)}")
    if spec.lo is not None and value < spec.lo or spec.hi is not None and value > spec.hi:
        raise ValueError(f"expected {spec.lo:g}..{spec.hi:g}, got {_shown(raw)}")
    if spec.check is not None:
        spec.check(value)
    return value


# A damaged or hostile file may hold thousands of bad entries: the first few are named,
# the rest counted in one line.
MAX_WARNINGS = 5


class CappedWarnings:
    """`warn` for the first `limit` messages; `close()` reports how many more were held back."""

    def __init__(self, warn: Callable[[str], None], source: str, what: str,
                 limit: int = MAX_WARNINGS) -> None:
        self.warn = warn
        self.source = source
        self.what = what
        self.limit = limit
        self.count = 0

    def __call__(self, message: str) -> None:
        self.count += 1
        if self.count <= self.limit:
            self.warn(message)

    def close(self) -> None:
        if self.count > self.limit:
            self.warn(f"{self.source}: {self.count - self.limit} more {self.what} not shown")


def apply(base: Settings, flat: Mapping[str, Any], source: str,
          warn: Callable[[str], None]) -> Settings:
    """`base` with every valid `flat` entry applied; each bad entry is reported via `warn`
    (the first MAX_WARNINGS of them, then a count)."""
    changes: dict[str, Any] = {}
    capped = CappedWarnings(warn, source, "bad or unknown settings")
    for key, raw in flat.items():
        spec = SPECS.get(key)
        if spec is None:
            capped(f"{source}: unknown setting {_shown(key)} ignored")
            continue
        try:
            changes[spec.name] = parse_value(spec, raw)
        except ValueError as err:
            capped(f"{source}: setting '{key}': {err}; using {getattr(base, spec.name)!r}")
    capped.close()
    return base.replace(**changes)


def from_manifest(manifest: Mapping[str, Any], warn: Callable[[str], None],
                  source: str = "app.yaml") -> Settings:
    """Defaults from the `settings:` section of a parsed app.yaml."""
    section = manifest.get("settings") if isinstance(manifest, Mapping) else None
    if section is None:
        return Settings()
    if not isinstance(section, Mapping):
        warn(f"{source}: 'settings' must be a mapping; using built-in defaults")
        return Settings()
    return apply(Settings(), flatten(section), source, warn)


def describe() -> Iterable[str]:
    """One line per setting, for --help and the README."""
    for spec in SPECS.values():
        rng = (f" [{'|'.join(map(str, spec.choices))}]" if spec.choices else
               f" [{spec.lo:g}..{spec.hi:g}]" if spec.lo is not None and spec.hi is not None else "")
        yield f"{spec.key} = {spec.default!r}{rng}: {spec.doc}"
