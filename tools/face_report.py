#!/usr/bin/env python3
"""Decode what Face Landmarks+ reports over the Maix communication protocol: JSON lines.

    python3 face_report.py FILE            a file written by `main.py --report FILE`
    python3 face_report.py -               stdin (e.g. `cat /dev/ttyUSB0 | ...`)
    python3 face_report.py /dev/ttyUSB0    a serial port wired to the MaixCAM's UART
                           [--baud 115200] (needs pyserial: `pip install pyserial`)

One JSON object per message on stdout, e.g. a face report:

    {"cmd": 1, "name": "CMD_FACES", "kind": "report", "flags": 225, "version": 1,
     "frame": 42, "image": [320, 224], "faces": [{"track_id": 3, "box": [96, 40, 120, 150],
     "score": 0.97, "pose": [-4.5, 2.1, 0.8], "eyes": [0.91, 0.88], "mouth": 0.12,
     "gaze": [0.1, -0.05], "blinks": 17, "flags": 0, "expression": "happy",
     "expression_score": 0.83, "events": ["smile"], "emotion": null, "emotion_score": null}]}

A record of layout 1 (31 bytes, an older app) has no expression keys; a blendshape report
gives per face its track id and {"browDownLeft": 0.02, ...} (3 decimals).

Values are scaled back to their units (degrees, pixels, 0..1 ratios); a value the sensor
did not measure is null. Other messages keep their body as hex ("body"); error responses
give "error" (maix err.Err code) and "message". Garbage, split or merged chunks and
corrupted frames are skipped up to the next frame header; what was skipped is said on
stderr, never on stdout.

Self-contained on purpose (Python 3.8+ standard library, pyserial only for a serial port)
so that it can be copied alone to a Raspberry Pi. It shares no code with the app: the
app's tests run it on streams made by the real MaixPy encoder to keep both in agreement.
Layout: README.md "Reporting to a microcontroller"; C decoder: docs/protocol/.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import stat
import struct
import sys
from typing import Callable, Dict, Iterator, List, Optional, Tuple

HEADER = b"\xaa\xca\xac\xbb"
PROTOCOL_VERSION = 1
LAYOUT_VERSION = 1        # the bodies' first byte
RECORD_LAYOUT = 2         # the face record's columns this tool knows (told by record size)
MAX_FRAME = 8192          # longer "frames" are corrupted lengths: rejected at once

CMD_FACES, CMD_GET_FACES, CMD_LANDMARKS, CMD_SET_REPORT = 0x01, 0x02, 0x03, 0xF8
CMD_BLENDSHAPES = 0x04
CMD_NAMES = {
    CMD_FACES: "CMD_FACES", CMD_GET_FACES: "CMD_GET_FACES", CMD_LANDMARKS: "CMD_LANDMARKS",
    CMD_BLENDSHAPES: "CMD_BLENDSHAPES", 0xF8: "CMD_SET_REPORT", 0xF9: "CMD_APP_LIST", 0xFA: "CMD_START_APP",
    0xFB: "CMD_EXIT_APP", 0xFC: "CMD_CUR_APP_INFO", 0xFD: "CMD_APP_INFO", 0xFE: "CMD_KEY",
    0xFF: "CMD_TOUCH",
}

# Named expressions' ids and the events' bits (app/core/expressions/tables.py).
EXPRESSION_NAMES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
EVENT_NAMES = ("wink_left", "wink_right", "smile", "mouth_open", "brows_up")
# MediaPipe's 52 blendshapes, in the CMD_BLENDSHAPES body's order.
BLENDSHAPE_NAMES = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft",
    "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight",
    "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft",
    "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen",
    "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower",
    "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight",
)

# The face record, column by column: (JSON key, column, struct code, scale, counter,
# labels, record layout that added it). Consecutive columns with one key form a list.
# Counters wrap and have no sentinel; other columns store NaN as INT16_MIN (signed) or
# the type's maximum (unsigned). With labels, an id column gives the name of its value
# (null for the sentinel) and a bits column (a counter) the names of its bits set.
FACE_FIELDS = (
    ("track_id", "track_id", "H", 1, True, (), 1),
    ("box", "x", "h", 1, False, (), 1), ("box", "y", "h", 1, False, (), 1),
    ("box", "w", "H", 1, False, (), 1), ("box", "h", "H", 1, False, (), 1),
    ("score", "score", "H", 1000, False, (), 1),
    ("pose", "yaw", "h", 100, False, (), 1), ("pose", "pitch", "h", 100, False, (), 1),
    ("pose", "roll", "h", 100, False, (), 1),
    ("eyes", "eye_left", "H", 1000, False, (), 1), ("eyes", "eye_right", "H", 1000, False, (), 1),
    ("mouth", "mouth", "H", 1000, False, (), 1),
    ("gaze", "gaze_x", "h", 1000, False, (), 1), ("gaze", "gaze_y", "h", 1000, False, (), 1),
    ("blinks", "blinks", "H", 1, True, (), 1),
    ("flags", "flags", "B", 1, True, (), 1),
    ("expression", "expression", "B", 1, False, EXPRESSION_NAMES, 2),
    ("expression_score", "expression_score", "B", 255, False, (), 2),
    ("events", "events", "B", 1, True, EVENT_NAMES, 2),
    ("emotion", "emotion", "B", 1, False, EXPRESSION_NAMES, 2),
    ("emotion_score", "emotion_score", "B", 255, False, (), 2),
)
FACE_HEADER = struct.Struct("<BIHHBB")       # version, frame, width, height, faces, record size
FACE_RECORD = struct.Struct("<" + "".join(f[2] for f in FACE_FIELDS))
# each record layout's columns: a record is read by the newest layout its size holds
RECORD_STRUCTS = tuple(struct.Struct("<" + "".join(f[2] for f in FACE_FIELDS if f[6] <= n))
                       for n in range(1, RECORD_LAYOUT + 1))
LANDMARK_HEADER = struct.Struct("<BIHHBH")   # version, frame, width, height, faces, points
LANDMARK_SCALE = 4                           # int16 quarter pixels
BLENDSHAPE_HEADER = struct.Struct("<BIBB")   # version, frame, faces, blendshapes per face
BLENDSHAPE_SCALE = 255                       # u8, value x 255
NOT_TRACKED = 0xFFFF                         # track id -1


def _sentinel(code: str) -> int:
    bits = struct.calcsize("<" + code) * 8
    return -(1 << (bits - 1)) if code.islower() else (1 << bits) - 1


SENTINELS = tuple(_sentinel(f[2]) for f in FACE_FIELDS)


def _crc_table() -> List[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


CRC_TABLE = _crc_table()


def crc16_ibm(data: bytes) -> int:
    """CRC-16/ARC (maix "crc16_IBM"): reflected poly 0xA001, init 0."""
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc


def implausible(buf: bytearray) -> bool:
    """A frame header (and, for a face or landmark body, the body's own header) that no
    sender writes, told from the bytes already there: reject it at once instead of
    waiting for the body a corrupted length promised (seconds of nothing on a live link).
    False: plausible so far (the CRC decides)."""
    flags, cmd = buf[8], buf[9]
    if flags & 0x1C or (not flags & 0x80 and flags & 0x60):  # reserved bits; kind bits
        return True
    length = struct.unpack_from("<I", buf, 4)[0]
    kind = _kind(flags)
    if kind == "resp_err":  # its code byte and a short message
        return length > 4 + 1 + 255
    body = None
    if (cmd, kind) in ((CMD_FACES, "report"), (CMD_GET_FACES, "resp_ok")):
        body = FACE_HEADER
    elif (cmd, kind) == (CMD_LANDMARKS, "report"):
        body = LANDMARK_HEADER
    elif (cmd, kind) == (CMD_BLENDSHAPES, "report"):
        if len(buf) < 10 + BLENDSHAPE_HEADER.size:
            return length < 4 + BLENDSHAPE_HEADER.size
        _version, _frame, count, k = BLENDSHAPE_HEADER.unpack_from(buf, 10)
        return length != 4 + BLENDSHAPE_HEADER.size + count * (2 + k)
    elif (cmd, kind) == (CMD_GET_FACES, "request"):
        return length != 4
    elif (cmd, kind) == (CMD_SET_REPORT, "request"):
        return length not in (5, 6, 11)
    if body is None or len(buf) < 10 + body.size:
        return body is not None and length < 4 + body.size
    version, _frame, _w, _h, count, size = body.unpack_from(buf, 10)
    stride = size if body is FACE_HEADER else 2 + 4 * size
    # any layout version keeps this header and steps through its records by their size
    return length != 4 + body.size + count * stride or \
        (body is FACE_HEADER and version == LAYOUT_VERSION and size < RECORD_STRUCTS[0].size)


def frame_length(length_field: int, flags: int) -> int:
    """Bytes of the whole frame. MaixCDK writes an error response's length one byte short
    (it counts the message but not the error code byte before it): follow the sender."""
    return 8 + length_field + (1 if flags & 0xE0 == 0x80 else 0)


# ---- the stream parser -------------------------------------------------------------------

Message = Tuple[int, int, bytes]   # flags, cmd, payload (between cmd and CRC)


def _zero_bytes(crc: int) -> int:
    """The CRC register after one more byte 0."""
    return (crc >> 8) ^ CRC_TABLE[crc & 0xFF]


_SHIFTS: List[Tuple[List[int], List[int]]] = []   # 2**k zero bytes: (low byte, high byte)


def _crc_shift(crc: int, count: int) -> int:
    """The CRC register `crc` after `count` more zero bytes, in one table step per bit of
    `count` (the register is linear in its bits: a table for its low byte and one for
    its high byte, per power of two). With init 0 and no final xor, the CRC of bytes
    s..e of a stream is prefix(e) ^ _crc_shift(prefix(s), e - s): each byte of the
    stream is run through the CRC once, however many candidate frames overlap it."""
    if not _SHIFTS:   # built at the first frame (17 x 512 entries, a few ms)
        low = [_zero_bytes(v) for v in range(256)]
        high = [_zero_bytes(v << 8) for v in range(256)]
        for _ in range(17):   # up to 2**17 - 1 bytes: past any MAX_FRAME
            _SHIFTS.append((low, high))

            def twice(v: int, low: List[int] = low, high: List[int] = high) -> int:
                once = low[v & 0xFF] ^ high[v >> 8]
                return low[once & 0xFF] ^ high[once >> 8]

            low, high = [twice(v) for v in range(256)], [twice(v << 8) for v in range(256)]
    k = 0
    while count:
        if count & 1:
            low, high = _SHIFTS[k]
            crc = low[crc & 0xFF] ^ high[crc >> 8]
        count >>= 1
        k += 1
    return crc


class FrameParser:
    """Feed bytes in any chunks; get whole, CRC-checked frames back.

    After garbage or a bad frame it skips to the next header (re-scanning the bytes of a
    rejected frame: a corrupted length must not swallow the good frames behind it).
    `on_skip(offset, count, rejected)` hears about each skipped run when the next good
    frame (or the end) comes. The cost is linear in the bytes fed, whatever they are: a
    frame whose bytes no earlier candidate covered gets the plain CRC; once one fails,
    the running CRC after each of its bytes is kept (and extended as later candidates
    need), and a candidate that starts inside it is told from its two ends' (`_crc_shift`),
    so headers that promise long frames, one behind the other, cost no more than any
    other bytes: each byte goes through the CRC at most twice.
    """

    def __init__(self, on_skip: Optional[Callable[[int, int, int], None]] = None) -> None:
        self.buf = bytearray()
        self.offset = 0           # stream offset of buf[0]
        self.frames = 0
        self.skipped = 0
        self.rejected = 0
        self._run: Optional[List[int]] = None   # [offset, count, rejected] being skipped
        self.on_skip = on_skip
        self._crc: List[int] = []   # CRC registers from stream offset _crc_from on, byte by byte
        self._crc_from = 0

    def feed(self, data: bytes) -> List[Message]:
        self.buf += data
        return self._scan(final=False)

    def finish(self) -> List[Message]:
        """At the end of the stream: frames behind an incomplete one, then the rest is
        skipped."""
        messages = self._scan(final=True)
        self._skip(len(self.buf), 0)
        self._close_run()
        return messages

    def _drop(self, count: int) -> None:
        del self.buf[:count]
        self.offset += count
        done = min(self.offset - self._crc_from, len(self._crc))
        if done > 4096 and done > len(self._crc) // 2:   # amortised: O(1) a byte
            del self._crc[:done]
            self._crc_from += done

    def _skip(self, count: int, rejected: int) -> None:
        if count <= 0 and not rejected:
            return
        if self._run is None:
            self._run = [self.offset, 0, 0]
        self._run[1] += count
        self._run[2] += rejected
        self.skipped += count
        self.rejected += rejected
        self._drop(count)

    def _close_run(self) -> None:
        if self._run is not None and self.on_skip is not None:
            self.on_skip(*self._run)
        self._run = None

    def _crc_ok(self, total: int) -> bool:
        """buf[:total] ends with the CRC of the bytes before it."""
        stored = struct.unpack_from("<H", self.buf, total - 2)[0]
        start = self.offset - self._crc_from
        if not 0 <= start < len(self._crc):   # bytes no candidate has covered
            if crc16_ibm(self.buf[:total - 2]) == stored:
                return True
            # rejected: the frames its bytes may hold are checked from the registers
            self._crc, self._crc_from, start = [0], self.offset, 0
        crcs = self._crc
        if len(crcs) - 1 < start + total - 2:   # registers up to this frame's end
            crc, table = crcs[-1], CRC_TABLE
            for byte in self.buf[len(crcs) - 1 - start:total - 2]:
                crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
                crcs.append(crc)
        return crcs[start + total - 2] ^ _crc_shift(crcs[start], total - 2) == stored

    def _scan(self, final: bool) -> List[Message]:
        out: List[Message] = []
        buf = self.buf
        while True:
            start = buf.find(HEADER)
            if start < 0:
                keep = next((k for k in (3, 2, 1) if buf.endswith(HEADER[:k])), 0)
                self._skip(len(buf) - keep, 0)
                return out
            self._skip(start, 0)
            if len(buf) < 10:
                if not final:
                    return out
                self._skip(1, 1)
                continue
            length = struct.unpack_from("<I", buf, 4)[0]
            total = frame_length(length, buf[8])
            if length < 4 or total > MAX_FRAME or implausible(buf):
                self._skip(1, 1)
                continue
            if len(buf) < total:
                if not final:
                    return out
                self._skip(1, 1)
                continue
            if not self._crc_ok(total):
                self._skip(1, 1)
                continue
            self._close_run()
            out.append((buf[8], buf[9], bytes(buf[10:total - 2])))
            self._drop(total)
            self.frames += 1


# ---- bodies ------------------------------------------------------------------------------


def _kind(flags: int) -> str:
    if not flags & 0x80:
        return "request"
    if flags & 0x20:
        return "report"
    return "resp_ok" if flags & 0x40 else "resp_err"


def _face(stored: Tuple[int, ...]) -> Dict[str, object]:
    face: Dict[str, list] = {}
    for (key, name, code, scale, counter, labels, _since), value, sentinel in zip(
            FACE_FIELDS, stored, SENTINELS):
        if labels and counter:  # bits: the names of those set
            bits = struct.calcsize("<" + code) * 8
            out: object = [labels[i] if i < len(labels) else f"bit{i}"
                           for i in range(bits) if value >> i & 1]
        elif labels:            # an id: its name
            out = None if value == sentinel else \
                labels[value] if value < len(labels) else f"#{value}"
        elif counter:
            out = -1 if name == "track_id" and value == NOT_TRACKED else value
        elif value == sentinel:
            out = None
        elif scale == 255:      # a u8 0..1 column: 3 decimals
            out = round(value / scale, 3)
        else:
            out = value / scale if scale != 1 else value
        if labels and counter:
            face[key] = [out]   # a list of its own, not a tuple of columns
        else:
            face.setdefault(key, []).append(out)
    return {k: v[0] if len(v) == 1 else v for k, v in face.items()}


def decode_faces(body: bytes) -> Dict[str, object]:
    """A CMD_FACES body (or CMD_GET_FACES answer): header keys + "faces"."""
    if len(body) < FACE_HEADER.size:
        raise ValueError("face body shorter than its header")
    version, frame, width, height, count, stride = FACE_HEADER.unpack_from(body)
    if version != LAYOUT_VERSION:
        raise ValueError(f"layout version {version}, this tool reads {LAYOUT_VERSION}")
    if stride < RECORD_STRUCTS[0].size or len(body) != FACE_HEADER.size + count * stride:
        raise ValueError(f"{len(body)} bytes for {count} records of {stride}")
    record = [s for s in RECORD_STRUCTS if s.size <= stride][-1]
    faces = [_face(record.unpack_from(body, FACE_HEADER.size + i * stride))
             for i in range(count)]
    return {"version": version, "frame": frame, "image": [width, height], "faces": faces}


def decode_landmarks(body: bytes) -> Dict[str, object]:
    """A CMD_LANDMARKS body: header keys + "landmarks" [{"track_id", "points"}]."""
    if len(body) < LANDMARK_HEADER.size:
        raise ValueError("landmark body shorter than its header")
    version, frame, width, height, count, k = LANDMARK_HEADER.unpack_from(body)
    if version != LAYOUT_VERSION:
        raise ValueError(f"layout version {version}, this tool reads {LAYOUT_VERSION}")
    stride = 2 + 4 * k
    if len(body) != LANDMARK_HEADER.size + count * stride:
        raise ValueError(f"{len(body)} bytes for {count} faces of {k} points")
    points_of = struct.Struct("<H" + "h" * (2 * k))
    faces = []
    for i in range(count):
        track, *xy = points_of.unpack_from(body, LANDMARK_HEADER.size + i * stride)
        scaled = [None if v == -32768 else v / LANDMARK_SCALE for v in xy]
        faces.append({"track_id": -1 if track == NOT_TRACKED else track,
                      "points": [scaled[j:j + 2] for j in range(0, 2 * k, 2)]})
    return {"version": version, "frame": frame, "image": [width, height],
            "points_per_face": k, "landmarks": faces}


def decode_blendshapes(body: bytes) -> Dict[str, object]:
    """A CMD_BLENDSHAPES body: header keys + "blendshapes" [{"track_id", "values"}],
    values {name: 0..1, 3 decimals} (a list when the count is not the 52 known)."""
    if len(body) < BLENDSHAPE_HEADER.size:
        raise ValueError("blendshape body shorter than its header")
    version, frame, count, k = BLENDSHAPE_HEADER.unpack_from(body)
    if version != LAYOUT_VERSION:
        raise ValueError(f"layout version {version}, this tool reads {LAYOUT_VERSION}")
    stride = 2 + k
    if len(body) != BLENDSHAPE_HEADER.size + count * stride:
        raise ValueError(f"{len(body)} bytes for {count} faces of {k} blendshapes")
    faces = []
    for i in range(count):
        offset = BLENDSHAPE_HEADER.size + i * stride
        track = struct.unpack_from("<H", body, offset)[0]
        values = [round(v / BLENDSHAPE_SCALE, 3) for v in body[offset + 2:offset + stride]]
        faces.append({"track_id": -1 if track == NOT_TRACKED else track,
                      "values": dict(zip(BLENDSHAPE_NAMES, values))
                      if k == len(BLENDSHAPE_NAMES) else values})
    return {"version": version, "frame": frame, "shapes_per_face": k, "blendshapes": faces}


def decode_set_report(body: bytes) -> Dict[str, object]:
    """A CMD_SET_REPORT request body: on | cmd on | cmd on event timer_ms."""
    if len(body) == 1:
        return {"target": CMD_FACES, "on": body[0]}
    if len(body) == 2:
        return {"target": body[0], "on": body[1]}
    if len(body) == 7:
        return {"target": body[0], "on": body[1], "event": body[2],
                "timer_ms": struct.unpack_from("<I", body, 3)[0]}
    raise ValueError("not a CMD_SET_REPORT body")


def decode_message(flags: int, cmd: int, payload: bytes) -> Dict[str, object]:
    """One frame as a JSON-able dict."""
    kind = _kind(flags)
    msg: Dict[str, object] = {"cmd": cmd, "name": CMD_NAMES.get(cmd, f"0x{cmd:02X}"),
                              "kind": kind, "flags": flags}
    decoder: Optional[Callable[[bytes], Dict[str, object]]] = None
    if kind == "resp_err":
        msg["error"] = payload[0] if payload else None
        msg["message"] = payload[1:].decode("utf-8", "replace")
        return msg
    if (cmd, kind) in ((CMD_FACES, "report"), (CMD_GET_FACES, "resp_ok")):
        decoder = decode_faces
    elif (cmd, kind) == (CMD_LANDMARKS, "report"):
        decoder = decode_landmarks
    elif (cmd, kind) == (CMD_BLENDSHAPES, "report"):
        decoder = decode_blendshapes
    if decoder is None:
        msg["body"] = payload.hex()
        if (cmd, kind) == (CMD_SET_REPORT, "request"):
            try:
                msg["set_report"] = decode_set_report(payload)
            except ValueError:
                pass  # the body says it all
        return msg
    try:
        msg.update(decoder(payload))
    except (ValueError, struct.error) as error:
        msg["decode_error"] = str(error)
        msg["body"] = payload.hex()
    return msg


# ---- sources and main ----------------------------------------------------------------------


def _is_serial(name: str) -> bool:
    if re.fullmatch(r"(?i)com\d+", name):
        return True
    try:
        return stat.S_ISCHR(os.stat(name).st_mode)
    except OSError:
        return name.startswith("/dev/")


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def read_chunks(source: str, baud: int) -> Iterator[bytes]:
    """Chunks of the stream as they come (a file, stdin or a serial port)."""
    if source == "-":
        stdin = sys.stdin.buffer
        read = getattr(stdin, "read1", stdin.read)
        while True:
            chunk = read(4096)
            if not chunk:
                return
            yield chunk
    elif _is_serial(source):
        if source.startswith("/dev/") and not os.path.exists(source):
            _fail(f"no such serial port: {source}")
        try:
            import serial  # optional: only a serial port needs pyserial
        except ImportError:
            _fail("reading a serial port needs pyserial (pip install pyserial)")
        with serial.Serial(source, baud, timeout=0.1) as port:
            while True:
                chunk = port.read(port.in_waiting or 1)
                if chunk:
                    yield chunk
    else:
        with open(source, "rb") as stream:
            while True:
                chunk = stream.read(65536)
                if not chunk:
                    return
                yield chunk


def _warn(text: str) -> None:
    print(f"face_report: {text}", file=sys.stderr, flush=True)


def run(chunks: Iterator[bytes], out=None) -> FrameParser:
    """Decode `chunks` to JSON lines on `out` (stdout); skipped bytes are said on stderr."""
    out = out if out is not None else sys.stdout
    warned: set = set()

    def on_skip(offset: int, count: int, rejected: int) -> None:
        bad = f" ({rejected} bad frame{'s' if rejected != 1 else ''})" if rejected else ""
        _warn(f"skipped {count} bytes at offset {offset}{bad}")

    def emit(messages: List[Message]) -> None:
        for flags, cmd, payload in messages:
            msg = decode_message(flags, cmd, payload)
            version = flags & 0x03
            if version != PROTOCOL_VERSION and ("protocol", version) not in warned:
                warned.add(("protocol", version))
                _warn(f"protocol version {version} in the flags, this tool reads "
                      f"{PROTOCOL_VERSION}")
            if "decode_error" in msg and msg["decode_error"] not in warned:
                warned.add(msg["decode_error"])
                _warn(f"cmd 0x{cmd:02X}: {msg['decode_error']}")
            out.write(json.dumps(msg) + "\n")
        out.flush()

    parser = FrameParser(on_skip)
    try:
        for chunk in chunks:
            emit(parser.feed(chunk))
    except KeyboardInterrupt:
        pass
    emit(parser.finish())
    return parser


def baud_rate(text: str) -> int:
    """A serial baud rate: a whole number from 50 to 4,000,000 (what UARTs run at)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 50 <= value <= 4_000_000:
        raise argparse.ArgumentTypeError(f"must be 50 to 4000000, got {value}")
    return value


def main(argv: Optional[List[str]] = None) -> int:
    args = argparse.ArgumentParser(
        description="Decode Face Landmarks+ reports (Maix communication protocol) into "
                    "JSON lines.")
    args.add_argument("source", help="a file, - for stdin, or a serial port "
                                     "(/dev/ttyUSB0, COM3)")
    args.add_argument("--baud", type=baud_rate, default=115200, help="serial baud rate (115200)")
    opts = args.parse_args(argv)
    try:
        parser = run(read_chunks(opts.source, opts.baud))
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    _warn(f"{parser.frames} messages, {parser.skipped} bytes skipped, "
          f"{parser.rejected} bad frames")
    return 0


if __name__ == "__main__":
    sys.exit(main())
