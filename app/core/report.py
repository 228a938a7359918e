"""Face sensor results as Maix communication protocol messages (pure: no maix).

Three layers, as MaixPy apps report results to a microcontroller:

* **Bodies** (this app's own layout, checked by receivers through `LAYOUT_VERSION`): per
  processed frame one little-endian header (layout version, frame counter, image size,
  face count, record size) and one fixed-size record per face, its columns listed once in
  `FACE_FIELDS` (struct code + scale), which drives the encoder, the decoder, the README
  table and the tests. Measurements saturate into their integer range; NaN becomes the
  column's sentinel (INT16_MIN signed, the type's maximum unsigned). Counters wrap.
  Record layout 2 (`RECORD_LAYOUT`) appends columns to layout 1's; the body's version
  byte stays 1 because nothing before them changed: a layout-1 receiver checks that byte,
  steps through the records by the header's record size and reads its 31 bytes of each.
* **Frames** (MaixCDK `maix_protocol.cpp`): `AA CA AC BB`, u32 LE length (flags + cmd +
  body + CRC), flags, cmd, body, CRC16/IBM (reflected poly 0xA001, init 0) of every byte
  before it, LE. Byte-identical to `maix.protocol.Protocol(...).encode_report/
  encode_resp_ok/encode_resp_err`, so the PC can write what the device's UART would send.
  (On the device `maix.comm.CommProtocol` frames the bodies itself.)
* **`FaceReporter`**: which messages a processed frame sends and how requests from the
  microcontroller are answered (`CMD_SET_REPORT`, `CMD_GET_FACES`).
"""
from __future__ import annotations

import functools
import math
import struct
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

import numpy as np

from .expressions.tables import EVENT_NAMES, EXPRESSION_ID, EXPRESSION_NAMES


if TYPE_CHECKING:
    from .face.faces import Face

# ---- protocol constants (MaixCDK maix_protocol.hpp) -------------------------------------

HEADER = b"\xaa\xca\xac\xbb"      # maix.protocol.HEADER 0xBBACCAAA, little-endian
PROTOCOL_VERSION = 1              # low 2 bits of flags
FLAG_RESP = 0x80                  # a response or a report (not a request)
FLAG_RESP_OK = 0x40
FLAG_REPORT = 0x20
FLAG_VERSION_MASK = 0x03
FLAGS_REPORT = FLAG_RESP | FLAG_RESP_OK | FLAG_REPORT | PROTOCOL_VERSION   # 0xE1
FLAGS_RESP_OK = FLAG_RESP | FLAG_RESP_OK | PROTOCOL_VERSION                # 0xC1
FLAGS_RESP_ERR = FLAG_RESP | PROTOCOL_VERSION                              # 0x81
FLAGS_REQUEST = PROTOCOL_VERSION                                           # 0x01

CMD_APP_MAX = 0xC8    # app commands are 0 <= cmd < CMD_APP_MAX; above are the system's
CMD_SET_REPORT = 0xF8

# This app's commands.
CMD_FACES = 0x01      # report: the face body, once per processed frame (on by default)
CMD_GET_FACES = 0x02  # request (empty body) -> resp_ok with the latest face body
CMD_LANDMARKS = 0x03  # report: landmark subset per face, at a lower rate (off by default)
CMD_BLENDSHAPES = 0x04  # report: the 52 blendshapes per face, at a lower rate (off by default)

# maix.err.Err values used in error responses (the device adapter turns them into err.Err).
ERR_ARGS = 1
ERR_NOT_IMPL = 3
ERR_NOT_READY = 4

LAYOUT_VERSION = 1    # first byte of every body; changes when a column changes meaning
RECORD_LAYOUT = 2     # the face record's columns: layout 1 (31 bytes) + expression columns

# ---- the face record --------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One column of the face record.

    key:     the FaceReport attribute (and receivers' JSON key) the column belongs to;
             consecutive columns with one key form a tuple (box, pose, eyes, gaze).
    name:    the column's own name (C accessor field).
    code:    struct code, little-endian.
    scale:   stored integer = round(value * scale).
    counter: wraps modulo 2**bits (ids, counts, bits) instead of saturating; no sentinel.
    labels:  the names its values stand for: an id column (not a counter) holds the index
             of its name, or the sentinel for None; a bits column (a counter) holds bit i
             for labels[i] (tables.EXPRESSION_NAMES / EVENT_NAMES).
    since:   the record layout that added the column (`RECORD_LAYOUT`).
    """

    key: str
    name: str
    code: str
    scale: int
    unit: str
    doc: str
    counter: bool = False
    labels: tuple[str, ...] = ()
    since: int = 1

    @property
    def bits(self) -> int:
        return struct.calcsize("<" + self.code) * 8

    @property
    def signed(self) -> bool:
        return self.code.islower()

    @property
    def sentinel(self) -> int:
        """The stored value that means NaN (not measured)."""
        return -(1 << (self.bits - 1)) if self.signed else (1 << self.bits) - 1

    @property
    def limits(self) -> tuple[int, int]:
        """Saturation range of stored values: the type's range minus the sentinel."""
        if self.signed:
            return -(1 << (self.bits - 1)) + 1, (1 << (self.bits - 1)) - 1
        return 0, (1 << self.bits) - 2


FACE_FIELDS: tuple[Field, ...] = (
    Field("track_id", "track_id", "H", 1, "", "tracker id, wraps at 65536; 65535 = -1, not tracked",
          counter=True),
    Field("box", "x", "h", 1, "px", "box left edge, image pixels"),
    Field("box", "y", "h", 1, "px", "box top edge"),
    Field("box", "w", "H", 1, "px", "box width"),
    Field("box", "h", "H", 1, "px", "box height"),
    Field("score", "score", "H", 1000, "", "face presence, 0..1"),
    Field("pose", "yaw", "h", 100, "deg", "head yaw"),
    Field("pose", "pitch", "h", 100, "deg", "head pitch"),
    Field("pose", "roll", "h", 100, "deg", "head roll"),
    Field("eyes", "eye_left", "H", 1000, "", "left eye openness, ~0 closed .. ~1 open"),
    Field("eyes", "eye_right", "H", 1000, "", "right eye openness"),
    Field("mouth", "mouth", "H", 1000, "", "mouth openness, ~0 closed .. ~1 open"),
    Field("gaze", "gaze_x", "h", 1000, "", "gaze, -1..1 horizontal"),
    Field("gaze", "gaze_y", "h", 1000, "", "gaze, -1..1 vertical"),
    Field("blinks", "blinks", "H", 1, "", "blinks counted for this face, wraps at 65536",
          counter=True),
    Field("flags", "flags", "B", 1, "", "bit 0: eyes closed for long; other bits reserved (0)",
          counter=True),
    Field("expression", "expression", "B", 1, "",
          "named expression id (table below); 255 = none (expressions off or not yet read)",
          labels=EXPRESSION_NAMES, since=2),
    Field("expression_score", "expression_score", "B", 255, "",
          "how sure that expression is, 0..1 (1.0 reads 254/255)", since=2),
    Field("events", "events", "B", 1, "", "events active this frame, bit i = event i (table below)",
          counter=True, labels=EVENT_NAMES, since=2),
    Field("emotion", "emotion", "B", 1, "",
          "the device's face-emotion classifier: expression id of its label; 255 = none "
          "(no /root/models/face_emotion.mud, a PC, or not yet classified)",
          labels=EXPRESSION_NAMES, since=2),
    Field("emotion_score", "emotion_score", "B", 255, "", "the classifier's score, 0..1",
          since=2),
)

FLAG_EYES_CLOSED_LONG = 0x01

# version, frame counter, image width, image height, face count, record size
FACE_HEADER = struct.Struct("<BIHHBB")
FACE_RECORD = struct.Struct("<" + "".join(f.code for f in FACE_FIELDS))
# Each record layout's leading columns (layout 1 = the 31 bytes every receiver reads).
RECORD_STRUCTS: dict[int, struct.Struct] = {
    layout: struct.Struct("<" + "".join(f.code for f in FACE_FIELDS if f.since <= layout))
    for layout in range(1, RECORD_LAYOUT + 1)}
FACE_RECORD_V1 = RECORD_STRUCTS[1]

# version, frame counter, image width, image height, face count, points per face;
# then per face: track_id u16 + points x (x, y) int16 in quarter pixels.
LANDMARK_HEADER = struct.Struct("<BIHHBH")
LANDMARK_TRACK = struct.Struct("<H")
LANDMARK_SCALE = 4            # stored = round(px * 4): quarter pixels, |px| <= 8191.75
LANDMARK_SENTINEL = -32768    # a NaN point

# version, frame counter, face count, blendshapes per face (52); then per face:
# track_id u16 + the blendshapes as u8, round(value x 255), in tables.BLENDSHAPE_NAMES order.
BLENDSHAPE_HEADER = struct.Struct("<BIBB")
BLENDSHAPE_SCALE = 255        # stored = round(clip(value, 0, 1) * 255); NaN (never made) = 0

MAX_FACES = 255               # the header's face count is a u8


@dataclass(frozen=True)
class FaceReport:
    """What the sensor says about one tracked face in one frame (units as `FACE_FIELDS`).

    box:   (x, y, w, h) image pixels, pixel centres at integers.
    score: face presence 0..1.
    pose:  (yaw, pitch, roll) degrees.
    eyes:  (left, right) openness, ~0 closed .. ~1 open (may exceed 1 slightly).
    mouth: openness ~0..1+.
    gaze:  (x, y) in -1..1.
    blinks: blinks counted for this face so far.
    flags: bitfield, `FLAG_EYES_CLOSED_LONG` = bit 0.
    expression: the named expression (tables.EXPRESSION_NAMES), None when not read.
    expression_score: 0..1.
    events: the events active on this frame (tables.EVENT_NAMES).
    emotion, emotion_score: the device's face-emotion classifier's label (one of
                 EXPRESSION_NAMES) and score; None / NaN where there is none (a PC).
    A signal not measured is NaN (sent as the column's sentinel).
    """

    track_id: int
    box: tuple[float, float, float, float]
    score: float
    pose: tuple[float, float, float] = (math.nan, math.nan, math.nan)
    eyes: tuple[float, float] = (math.nan, math.nan)
    mouth: float = math.nan
    gaze: tuple[float, float] = (math.nan, math.nan)
    blinks: int = 0
    flags: int = 0
    expression: str | None = None
    expression_score: float = math.nan
    events: tuple[str, ...] = ()
    emotion: str | None = None
    emotion_score: float = math.nan

    def row(self) -> tuple[float, ...]:
        """The record's columns in `FACE_FIELDS` order, unscaled; names as their ids (NaN
        for None) and events as their bits."""
        return (self.track_id, *self.box, self.score, *self.pose, *self.eyes, self.mouth,
                *self.gaze, self.blinks, self.flags, _label_id(self.expression),
                self.expression_score, _event_bits(self.events), _label_id(self.emotion),
                self.emotion_score)


def _label_id(name: str | None) -> float:
    if name is None:
        return math.nan
    try:
        return EXPRESSION_ID[name]
    except KeyError:
        raise ValueError(f"expression {name!r} has no id in tables.EXPRESSION_NAMES") from None


def _event_bits(events: Sequence[str]) -> int:
    bits = 0
    for name in events:
        try:
            bits |= 1 << EVENT_NAMES.index(name)
        except ValueError:
            raise ValueError(f"event {name!r} has no bit in tables.EVENT_NAMES") from None
    return bits


@functools.lru_cache(maxsize=1)
def _face_rules() -> tuple[tuple[int, int, int, int, int], ...]:
    """Per column of FACE_FIELDS: (scale, low, high, sentinel, modulus); modulus 0 for a
    saturating column."""
    return tuple((f.scale, *f.limits, f.sentinel, (1 << f.bits) if f.counter else 0)
                 for f in FACE_FIELDS)


def _quantise(row: tuple[float, ...], rules: tuple[tuple[int, int, int, int, int], ...]
              ) -> list[int]:
    """One record's stored integers: counters wrap, NaN (v != v) becomes the sentinel,
    the rest saturates (infinities too, before round() could overflow) or rounds half to
    even. One comprehension per face: cheaper than numpy's per-call cost for the 1-10
    faces of a frame (~8 us a face against ~40 us a frame on a PC)."""
    return [int(v) % mod if mod else sent if v != v else lo if v * s <= lo else
            hi if v * s >= hi else round(v * s)
            for v, (s, lo, hi, sent, mod) in zip(row, rules)]


def _u16(value: int) -> int:
    return min(max(int(value), 0), 0xFFFF)


def encode_faces(faces: Sequence[FaceReport], frame: int,
                 image_size: tuple[int, int]) -> bytes:
    """The CMD_FACES body: header + one `FACE_RECORD` per face.

    frame: processed-frame counter (wraps at 2**32); image_size: (width, height) px.
    """
    if len(faces) > MAX_FACES:
        raise ValueError(f"{len(faces)} faces: a body holds at most {MAX_FACES}")
    size = FACE_RECORD.size
    buf = bytearray(FACE_HEADER.size + len(faces) * size)
    FACE_HEADER.pack_into(buf, 0, LAYOUT_VERSION, frame & 0xFFFFFFFF, _u16(image_size[0]),
                          _u16(image_size[1]), len(faces), size)
    rules = _face_rules()
    for i, face in enumerate(faces):
        FACE_RECORD.pack_into(buf, FACE_HEADER.size + i * size, *_quantise(face.row(), rules))
    return bytes(buf)


def encode_landmarks(track_ids: Sequence[int], points: Sequence[np.ndarray], frame: int,
                     image_size: tuple[int, int]) -> bytes:
    """The CMD_LANDMARKS body: header + per face its track id and K (x, y) points.

    points: per face a (K, 2) array in image pixels (the same K for every face, e.g.
    topology.SUBSET_5 or SUBSET_68 of Face.xy); stored as int16 quarter pixels.
    """
    if len(track_ids) != len(points):
        raise ValueError(f"{len(track_ids)} track ids for {len(points)} point sets")
    if len(points) > MAX_FACES:
        raise ValueError(f"{len(points)} faces: a body holds at most {MAX_FACES}")
    stack = (np.asarray(points, np.float64).reshape(len(points), -1, 2) if len(points)
             else np.zeros((0, 0, 2)))
    k = stack.shape[1]
    q = np.rint(stack * LANDMARK_SCALE)
    q = np.where(np.isnan(q), LANDMARK_SENTINEL, np.clip(q, -32767, 32767)).astype("<i2")
    parts = [LANDMARK_HEADER.pack(LAYOUT_VERSION, frame & 0xFFFFFFFF, _u16(image_size[0]),
                                  _u16(image_size[1]), len(points), k)]
    for track_id, face_points in zip(track_ids, q):
        parts.append(LANDMARK_TRACK.pack(track_id & 0xFFFF))
        parts.append(face_points.tobytes())
    return b"".join(parts)


def encode_blendshapes(track_ids: Sequence[int], blendshapes: Sequence[np.ndarray],
                       frame: int) -> bytes:
    """The CMD_BLENDSHAPES body: header + per face its track id and its K (52)
    blendshapes as u8, round(value x 255) after clipping to 0..1."""
    if len(track_ids) != len(blendshapes):
        raise ValueError(f"{len(track_ids)} track ids for {len(blendshapes)} blendshape sets")
    if len(blendshapes) > MAX_FACES:
        raise ValueError(f"{len(blendshapes)} faces: a body holds at most {MAX_FACES}")
    stack = (np.asarray(blendshapes, np.float64).reshape(len(blendshapes), -1)
             if len(blendshapes) else np.zeros((0, 0)))
    k = stack.shape[1]
    if k > 255:
        raise ValueError(f"{k} blendshapes per face: a body holds at most 255")
    q = np.rint(np.clip(np.nan_to_num(stack, nan=0.0), 0.0, 1.0) * BLENDSHAPE_SCALE)
    q = q.astype(np.uint8)
    parts = [BLENDSHAPE_HEADER.pack(LAYOUT_VERSION, frame & 0xFFFFFFFF, len(blendshapes), k)]
    for track_id, values in zip(track_ids, q):
        parts.append(LANDMARK_TRACK.pack(track_id & 0xFFFF))
        parts.append(values.tobytes())
    return b"".join(parts)


# ---- decoding (the inverse; receivers have their own copies: tools/, docs/protocol/) ----


@dataclass(frozen=True)
class FaceFrame:
    """A decoded CMD_FACES body."""

    version: int
    frame: int
    image_size: tuple[int, int]
    faces: tuple[FaceReport, ...]


@dataclass(frozen=True, eq=False)
class LandmarkFrame:
    """A decoded CMD_LANDMARKS body; points (faces, K, 2) float px, NaN where missing."""

    version: int
    frame: int
    image_size: tuple[int, int]
    track_ids: tuple[int, ...]
    points: np.ndarray


@dataclass(frozen=True, eq=False)
class BlendshapeFrame:
    """A decoded CMD_BLENDSHAPES body; values (faces, K) float 0..1 (multiples of 1/255)."""

    version: int
    frame: int
    track_ids: tuple[int, ...]
    values: np.ndarray


def _check_version(version: int) -> None:
    if version != LAYOUT_VERSION:
        raise ValueError(f"layout version {version}, this decoder reads {LAYOUT_VERSION}")


def _value(f: Field, stored: int) -> Any:
    if f.labels:
        if f.counter:  # bits: the names of the bits set (bits without a name: "bitN")
            return tuple(f.labels[i] if i < len(f.labels) else f"bit{i}"
                         for i in range(f.bits) if stored >> i & 1)
        if stored == f.sentinel:
            return None
        return f.labels[stored] if stored < len(f.labels) else f"#{stored}"
    if f.counter:
        return -1 if f.name == "track_id" and stored == 0xFFFF else stored
    return math.nan if stored == f.sentinel else stored / f.scale


def decode_faces(body: bytes) -> FaceFrame:
    """A CMD_FACES body (also the resp_ok body of CMD_GET_FACES) back to values."""
    if len(body) < FACE_HEADER.size:
        raise ValueError(f"face body of {len(body)} bytes: shorter than its header")
    version, frame, width, height, count, stride = FACE_HEADER.unpack_from(body)
    _check_version(version)
    if stride < FACE_RECORD_V1.size or len(body) != FACE_HEADER.size + count * stride:
        raise ValueError(f"face body of {len(body)} bytes for {count} records of {stride}")
    # the newest layout this record size holds: layout 1's records leave the later
    # columns at their defaults (None, NaN, no events)
    record = max((s for s in RECORD_STRUCTS.values() if s.size <= stride), key=lambda s: s.size)
    faces = []
    for i in range(count):
        stored = record.unpack_from(body, FACE_HEADER.size + i * stride)
        values: dict[str, list[Any]] = {}
        for f, s in zip(FACE_FIELDS, stored):
            values.setdefault(f.key, []).append(_value(f, s))
        faces.append(FaceReport(**{k: v[0] if len(v) == 1 else tuple(v)  # type: ignore[arg-type]
                                   for k, v in values.items()}))
    return FaceFrame(version, frame, (width, height), tuple(faces))


def decode_landmarks(body: bytes) -> LandmarkFrame:
    """A CMD_LANDMARKS body back to values."""
    if len(body) < LANDMARK_HEADER.size:
        raise ValueError(f"landmark body of {len(body)} bytes: shorter than its header")
    version, frame, width, height, count, k = LANDMARK_HEADER.unpack_from(body)
    _check_version(version)
    stride = LANDMARK_TRACK.size + 4 * k
    if len(body) != LANDMARK_HEADER.size + count * stride:
        raise ValueError(f"landmark body of {len(body)} bytes for {count} faces of {k} points")
    ids, points = [], np.empty((count, k, 2))
    for i in range(count):
        offset = LANDMARK_HEADER.size + i * stride
        (track,) = LANDMARK_TRACK.unpack_from(body, offset)
        ids.append(-1 if track == 0xFFFF else track)
        raw = np.frombuffer(body, "<i2", 2 * k, offset + LANDMARK_TRACK.size).reshape(k, 2)
        points[i] = np.where(raw == LANDMARK_SENTINEL, np.nan, raw / LANDMARK_SCALE)
    return LandmarkFrame(version, frame, (width, height), tuple(ids), points)


def decode_blendshapes(body: bytes) -> BlendshapeFrame:
    """A CMD_BLENDSHAPES body back to values."""
    if len(body) < BLENDSHAPE_HEADER.size:
        raise ValueError(f"blendshape body of {len(body)} bytes: shorter than its header")
    version, frame, count, k = BLENDSHAPE_HEADER.unpack_from(body)
    _check_version(version)
    stride = LANDMARK_TRACK.size + k
    if len(body) != BLENDSHAPE_HEADER.size + count * stride:
        raise ValueError(f"blendshape body of {len(body)} bytes for {count} faces of {k}")
    ids, values = [], np.empty((count, k))
    for i in range(count):
        offset = BLENDSHAPE_HEADER.size + i * stride
        (track,) = LANDMARK_TRACK.unpack_from(body, offset)
        ids.append(-1 if track == 0xFFFF else track)
        values[i] = np.frombuffer(body, np.uint8, k, offset + LANDMARK_TRACK.size)
    return BlendshapeFrame(version, frame, tuple(ids), values / BLENDSHAPE_SCALE)


# ---- protocol frames --------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


def crc16_ibm(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/ARC ("IBM" in maix): reflected poly 0xA001, init 0, as maix.protocol.crc16_IBM.
    A table loop: fine for the PC path (on the device maix computes it in report())."""
    table = _crc_table()
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def encode_frame(flags: int, cmd: int, payload: bytes, length: int | None = None) -> bytes:
    """`AA CA AC BB`, u32 LE `length` (default: flags + cmd + payload + CRC), flags, cmd,
    payload, CRC16/IBM LE of everything before it."""
    if length is None:
        length = len(payload) + 4
    head = HEADER + struct.pack("<IBB", length, flags, cmd & 0xFF) + payload
    return head + struct.pack("<H", crc16_ibm(head))


def encode_report(cmd: int, body: bytes) -> bytes:
    """= maix.protocol.Protocol(...).encode_report(cmd, body) (what comm.report sends)."""
    return encode_frame(FLAGS_REPORT, cmd, body)


def encode_request(cmd: int, body: bytes = b"") -> bytes:
    """A request as a microcontroller sends it (flags = protocol version only)."""
    return encode_frame(FLAGS_REQUEST, cmd, body)


@dataclass(frozen=True)
class Response:
    """The answer to one request: resp_ok(cmd, body) when `error` is 0, else
    resp_err(cmd, err.Err(error), message)."""

    cmd: int
    body: bytes = b""
    error: int = 0
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.error == 0

    def encode(self) -> bytes:
        """The bytes CommProtocol.resp_ok / resp_err send (= maix.protocol.Protocol's
        encode_resp_ok / encode_resp_err).

        An error response's payload is the error code byte then the message, and MaixCDK's
        `encode` writes its length as message + 4: one byte short of the frame it sends.
        Receivers follow that code (the only sender), not the protocol document."""
        if self.ok:
            return encode_frame(FLAGS_RESP_OK, self.cmd, self.body)
        text = self.message.encode("utf-8")
        return encode_frame(FLAGS_RESP_ERR, self.cmd, bytes([self.error & 0xFF]) + text,
                            length=len(text) + 4)


# ---- the reporting state machine ------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """When a report command is sent: when `on`, on every processed frame (`every_frame`,
    the protocol's "event" reporting) or else every `period_s` seconds (the protocol's
    timer: on the first processed frame at or after each due time)."""

    on: bool
    every_frame: bool = True
    period_s: float = 0.0


Message = tuple[int, bytes]   # (cmd, body) to report
Blendshapes = Sequence[tuple[int, np.ndarray]]   # per face: (track id, (52,) values)


class FaceReporter:
    """Which messages each processed frame sends; the answers to requests. No IO.

    Per frame `frame(faces, image_size)` returns the (cmd, body) pairs to report: the face
    body on every processed frame, with 0 faces too (so the receiver sees a face leave),
    and the landmark and blendshape bodies when they are on and due. `request(cmd, body)`
    answers:

    * CMD_SET_REPORT, body `on` (1 byte, as MaixPy's comm_protocol_yolov5 example: the
      face report on/off) or `cmd, on` (2 bytes) or `cmd, on, event, timer_ms u32`
      (7 bytes, MaixCDK's protocol document: event 1 = every processed frame, else every
      timer_ms) -> resp_ok `01`;
    * CMD_GET_FACES, empty body -> resp_ok with the latest face body;
    * anything else -> resp_err ERR_NOT_IMPL; a malformed body -> resp_err ERR_ARGS.
    """

    def __init__(self, landmark_period_s: float = 0.2,
                 clock: Callable[[], float] = time.monotonic,
                 blendshape_period_s: float = 0.1) -> None:
        self.clock = clock
        self.schedules: dict[int, Schedule] = {
            CMD_FACES: Schedule(on=True),
            CMD_LANDMARKS: Schedule(on=False, every_frame=False, period_s=landmark_period_s),
            CMD_BLENDSHAPES: Schedule(on=False, every_frame=False,
                                      period_s=blendshape_period_s),
        }
        self._next_due: dict[int, float] = {}   # periodic reports: when the next is due
        self.frame_index = 0           # processed frames so far = the next body's counter
        self.latest: bytes | None = None

    def due(self, cmd: int) -> bool:
        """Whether report `cmd` goes out with the next frame (e.g. to skip gathering
        landmarks that will not be sent)."""
        schedule = self.schedules[cmd]
        if not schedule.on:
            return False
        return schedule.every_frame or self.clock() >= self._next_due.get(cmd, -math.inf)

    def frame(self, faces: Sequence[FaceReport], image_size: tuple[int, int],
              landmarks: Sequence[np.ndarray] | None = None,
              blendshapes: Blendshapes | None = None) -> list[Message]:
        """The messages for one processed frame. landmarks: per face (same order as
        `faces`) a (K, 2) array of image pixels, or None when not gathered; blendshapes:
        (track id, (52,) values) of the faces that have them, or None when not
        gathered."""
        body = encode_faces(faces, self.frame_index, image_size)
        self.latest = body
        messages: list[Message] = []
        if self._take(CMD_FACES):
            messages.append((CMD_FACES, body))
        if landmarks is not None and self._take(CMD_LANDMARKS):
            ids = [f.track_id for f in faces]
            messages.append((CMD_LANDMARKS,
                             encode_landmarks(ids, landmarks, self.frame_index, image_size)))
        if blendshapes is not None and self._take(CMD_BLENDSHAPES):
            messages.append((CMD_BLENDSHAPES, encode_blendshapes(
                [track for track, _ in blendshapes], [v for _, v in blendshapes],
                self.frame_index)))
        self.frame_index += 1
        return messages

    def _take(self, cmd: int) -> bool:
        if not self.due(cmd):
            return False
        schedule = self.schedules[cmd]
        if not schedule.every_frame:
            # Anchored to the due times, not to the frames that happened to carry the
            # report: the period holds on average. After a stall, no burst to catch up.
            now = self.clock()
            due = self._next_due.get(cmd, now) + schedule.period_s
            self._next_due[cmd] = due if due > now else now + schedule.period_s
        return True

    def request(self, cmd: int, body: bytes) -> Response:
        """The answer to a request from the microcontroller."""
        if cmd == CMD_SET_REPORT:
            return self._set_report(body)
        if cmd == CMD_GET_FACES:
            if body:
                return Response(cmd, error=ERR_ARGS, message="CMD_GET_FACES takes no body")
            if self.latest is None:
                return Response(cmd, error=ERR_NOT_READY, message="no frame processed yet")
            return Response(cmd, self.latest)
        return Response(cmd, error=ERR_NOT_IMPL, message=f"unknown command 0x{cmd:02X}")

    def _set_report(self, body: bytes) -> Response:
        def error(code: int, message: str) -> Response:
            return Response(CMD_SET_REPORT, error=code, message=message)

        if len(body) == 1:
            target, on, rest = CMD_FACES, body[0], b""
        elif len(body) in (2, 7):
            target, on, rest = body[0], body[1], body[2:]
        else:
            return error(ERR_ARGS, "CMD_SET_REPORT body: on | cmd on | cmd on event timer_ms")
        if target not in self.schedules:
            return error(ERR_NOT_IMPL, f"command 0x{target:02X} has no active reporting")
        if on > 1 or (rest and rest[0] > 1):
            return error(ERR_ARGS, "on_off and event are 0 or 1")
        schedule = self.schedules[target]
        if rest:
            event, (timer_ms,) = bool(rest[0]), struct.unpack("<I", rest[1:])
            if on and not event and timer_ms == 0:
                return error(ERR_ARGS, "event 0 and timer 0: nothing to report")
            schedule = Schedule(bool(on), event, timer_ms / 1000.0)
        else:
            schedule = Schedule(bool(on), schedule.every_frame, schedule.period_s)
        self.schedules[target] = schedule
        self._next_due.pop(target, None)   # a periodic report starts with the next frame
        return Response(CMD_SET_REPORT, b"\x01")   # as MaixPy's comm_protocol_yolov5 example


class ReportSink(Protocol):
    """Where a platform sends each frame's reports: the device's UART
    (app.device.comm.MaixCommReporter) or a file on a PC (app.pc.report_file.ReportFile).
    `reporter` decides what is sent."""

    reporter: FaceReporter

    def send_frame(self, faces: Sequence[FaceReport], image_size: tuple[int, int],
                   landmarks: Sequence[np.ndarray] | None = None,
                   blendshapes: Blendshapes | None = None) -> None: ...

    def close(self) -> None: ...


def face_report(face: "Face") -> FaceReport:
    """A tracked face as its record: the box around its 468 mesh landmarks, its presence
    score, its signals (NaN when they were not measured), its expression and the device
    classifier's emotion (None when not read)."""
    x, y, w, h = (float(v) for v in face.mesh_box)
    report = FaceReport(face.track_id, (x, y, w, h), float(face.score))
    s = face.signals
    if s is not None:
        report = replace(report, pose=s.pose, eyes=s.eyes, mouth=s.mouth, gaze=s.gaze,
                         blinks=s.blinks,
                         flags=FLAG_EYES_CLOSED_LONG if s.eyes_closed_long else 0)
    e = face.expression
    if e is not None:
        report = replace(report, expression=e.name, expression_score=float(e.score),
                         events=tuple(e.events))
    m = face.emotion
    if m is not None:
        report = replace(report, emotion=m.label, emotion_score=float(m.score))
    return report


class ReportingSink:
    """A FrameSink (app.core.platform) reporting each processed frame's faces through
    `port`; the landmark report, when the microcontroller turned it on and it is due,
    carries `points` (landmark indices, e.g. topology.SUBSET_5) of each face, the
    blendshape report the blendshapes of each face that has them."""

    wants_signals = True

    def __init__(self, port: ReportSink, points: Sequence[int]) -> None:
        self.port = port
        self.points = np.asarray(points, np.intp)

    def write(self, index: int, image_size: tuple[int, int], faces: Sequence["Face"],
              stage_ms: Any) -> None:
        reports = [face_report(face) for face in faces]
        landmarks = None
        if self.port.reporter.due(CMD_LANDMARKS):
            landmarks = [face.xy[self.points] for face in faces]
        blendshapes = None
        if self.port.reporter.due(CMD_BLENDSHAPES):
            blendshapes = [(face.track_id, face.expression.blendshapes) for face in faces
                           if face.expression is not None]
        self.port.send_frame(reports, image_size, landmarks, blendshapes)

    def close(self) -> None:
        self.port.close()


# Bandwidth: 8N1 framing sends 10 bits per byte.
FRAMING_BYTES = len(HEADER) + 4 + 1 + 1 + 2   # header, length, flags, cmd, CRC


def face_frame_bytes(faces: int) -> int:
    """Bytes on the wire for one CMD_FACES report with `faces` records."""
    return FRAMING_BYTES + FACE_HEADER.size + faces * FACE_RECORD.size


def blendshape_frame_bytes(faces: int, shapes: int = 52) -> int:
    """Bytes on the wire for one CMD_BLENDSHAPES report with `faces` faces."""
    return FRAMING_BYTES + BLENDSHAPE_HEADER.size + faces * (LANDMARK_TRACK.size + shapes)


def faces_that_fit(baud: int = 115200, fps: float = 30.0) -> int:
    """How many faces one CMD_FACES report per frame can carry at `baud` and `fps`."""
    budget = baud / 10.0 / fps
    return max(0, int((budget - face_frame_bytes(0)) // FACE_RECORD.size))


def link_load(faces: int, fps: float = 30.0, blendshape_hz: float = 0.0,
              baud: int = 115200) -> float:
    """The share of an 8N1 link at `baud` taken by CMD_FACES every frame plus
    CMD_BLENDSHAPES `blendshape_hz` times a second, `faces` faces each, frames included."""
    per_second = face_frame_bytes(faces) * fps + blendshape_frame_bytes(faces) * blendshape_hz
    return per_second / (baud / 10.0)

