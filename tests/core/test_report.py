"""Face reports: the body layout, the protocol frames (byte for byte as the real MaixPy
encodes them: tests/fixtures/report_golden.*), the bandwidth, and the FaceReporter
state machine."""
from __future__ import annotations

import json
import math
import struct

import numpy as np
import pytest

from app.core import report as r
from app.core.report import (CMD_FACES, CMD_GET_FACES, CMD_LANDMARKS, CMD_SET_REPORT,
                             ERR_ARGS, ERR_NOT_IMPL, ERR_NOT_READY, FACE_FIELDS, FACE_RECORD,
                             FaceReport, FaceReporter, Response, decode_faces,
                             decode_landmarks, encode_faces, encode_landmarks, encode_report)
from tests._report_cases import EDGES, GOLDEN_BIN, GOLDEN_JSON, face_reports

GOLDEN = json.loads(GOLDEN_JSON.read_text())["messages"]


def golden(name: str) -> dict:
    return next(m for m in GOLDEN if m["name"] == name)


# ---- frames: byte-identical to maix.protocol -----------------------------------------------


def test_the_maix_reference_example():
    # MAIX_REFERENCE.md, measured with MaixPy 4.12.5: Protocol(1024, 0xBBACCAAA)
    # .encode_report(0x10, b"hello")
    assert encode_report(0x10, b"hello").hex() == "aacaacbb09000000e11068656c6c6fd90b"


def test_the_protocol_documents_request_example():
    # MaixCDK docs/doc/convention/protocol.md: CMD_APP_LIST request
    assert r.encode_request(0xF9).hex() == "aacaacbb0400000001f9c977"


def test_crc_is_maix_crc16_ibm():
    assert r.crc16_ibm(b"hello") == 0x34D2  # maix.protocol.crc16_IBM(b"hello"), measured
    assert r.crc16_ibm(b"123456789") == 0xBB3D  # CRC-16/ARC check value
    assert r.crc16_ibm(b"") == 0


@pytest.mark.parametrize("message", GOLDEN, ids=lambda m: m["name"])
def test_frames_equal_the_real_maix_encoder(message):
    body = bytes.fromhex(message["body"])
    if message["kind"] == "report":
        ours = encode_report(message["cmd"], body)
    elif message["kind"] == "resp_ok":
        ours = Response(message["cmd"], body).encode()
    else:
        ours = Response(message["cmd"], error=message["error"],
                        message=message["message"]).encode()
    assert ours.hex() == message["frame"]


def test_golden_stream_is_the_frames_back_to_back():
    assert GOLDEN_BIN.read_bytes().hex() == "".join(m["frame"] for m in GOLDEN)


def test_error_responses_keep_maixs_short_length():
    frame = Response(0x10, error=ERR_ARGS, message="bad").encode()
    length = struct.unpack_from("<I", frame, 4)[0]
    assert length == len("bad") + 4 and len(frame) == 8 + length + 1
    assert frame[8] == 0x81 and frame[10] == ERR_ARGS


# ---- bodies --------------------------------------------------------------------------------


def test_golden_bodies_are_stable():
    """The face and landmark bodies encode today as when the fixtures were made."""
    from tests._report_cases import cases
    for case in cases():
        if case.response is None:
            assert case.body.hex() == golden(case.name)["body"], case.name


def test_record_layout_is_the_field_table():
    assert FACE_RECORD.format == "<" + "".join(f.code for f in FACE_FIELDS)
    assert FACE_RECORD.size == 31 and r.FACE_HEADER.size == 11
    names = [f.name for f in FACE_FIELDS]
    assert len(set(names)) == len(names)
    keys = [f.key for f in FACE_FIELDS]
    assert list(dict.fromkeys(keys)) == [k for k in FaceReport.__dataclass_fields__]


def _close(a: float, b: float, scale: int) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 0.5 / scale + 1e-9


@pytest.mark.parametrize("index", range(14))
def test_real_faces_round_trip_within_the_scale(index):
    _, size, face, _ = face_reports()[index]
    decoded = decode_faces(encode_faces([face], 5, size))
    assert (decoded.version, decoded.frame, decoded.image_size) == (1, 5, size)
    (back,) = decoded.faces
    for f, a, b in zip(FACE_FIELDS, face.row(), back.row()):
        assert _close(a, b, f.scale), (f.name, a, b)


def test_saturation_sentinels_and_wrapping():
    untracked, wild, extreme = decode_faces(encode_faces(list(EDGES), 2**32 + 5, (70000, 1))).faces
    assert untracked.track_id == -1 and untracked.box == (-13, 0, 0, 65534)
    assert all(math.isnan(v) for v in (*untracked.pose, *untracked.eyes, untracked.mouth))
    assert wild.track_id == 7 and wild.blinks == 70000 % 65536 and wild.flags == 1
    assert wild.box[:2] == (32767, -32767) and math.isnan(wild.box[2]) and math.isnan(wild.score)
    assert wild.pose[:2] == (327.67, -327.67) and wild.mouth == 65.534
    assert extreme.box[:3] == (-32767, 32767, 0) and extreme.gaze == (-32.767, 0.0)
    assert extreme.pose == (-180.0, 90.0, 179.99) and extreme.blinks == 65535


def test_header_counts_frames_and_clamps_the_image_size():
    frame = decode_faces(encode_faces([], 2**32 + 5, (70000, 224)))
    assert frame.frame == 5 and frame.image_size == (65535, 224) and frame.faces == ()


def test_decoder_rejects_other_versions_and_bad_lengths():
    body = bytearray(encode_faces(EDGES[:1], 0, (320, 224)))
    with pytest.raises(ValueError, match="length|bytes"):
        decode_faces(bytes(body[:-1]))
    body[0] = 2
    with pytest.raises(ValueError, match="version 2"):
        decode_faces(bytes(body))


def test_a_longer_record_is_skipped_by_its_size():
    """A later layout may append columns: receivers step by the header's record size."""
    faces = [face for _, _, face, _ in face_reports()[:3]]
    body = encode_faces(faces, 1, (512, 512))
    stride = FACE_RECORD.size + 2
    longer = bytearray(body[:r.FACE_HEADER.size])
    longer[10] = stride
    for i in range(3):
        start = r.FACE_HEADER.size + i * FACE_RECORD.size
        longer += body[start:start + FACE_RECORD.size] + b"\xee\xee"
    assert decode_faces(bytes(longer)).faces == decode_faces(body).faces


def test_landmarks_round_trip_in_quarter_pixels():
    from app.core.topology import SUBSET_68
    _, size, face, xy = face_reports()[0]
    points = xy[list(SUBSET_68)]
    points[3] = np.nan
    decoded = decode_landmarks(encode_landmarks([face.track_id, -1], [points, points], 9, size))
    assert decoded.track_ids == (face.track_id, -1) and decoded.points.shape == (2, 68, 2)
    np.testing.assert_allclose(decoded.points[0], points, atol=0.125 + 1e-9)
    assert np.isnan(decoded.points[1, 3]).all()


def test_face_report_from_a_tracker_face():
    import dataclasses

    from app.core.signals import Signals
    from tests.core._factories import make_face
    xy = face_reports()[0][3][:478]
    face = make_face(xy, track_id=4, score=0.8)
    report = r.face_report(face)  # no signals measured: NaN, no blinks
    assert report.track_id == 4 and report.score == pytest.approx(0.8)
    assert report.box == pytest.approx(tuple(face.mesh_box))
    assert math.isnan(report.mouth) and report.blinks == 0 and report.flags == 0
    signals = Signals((1.0, 2.0, 3.0), (0.9, 1.0), 0.2, (0.1, -0.2), 2, 1.5, True)
    report = r.face_report(dataclasses.replace(face, signals=signals))
    assert (report.pose, report.eyes, report.mouth, report.gaze) == (
        (1.0, 2.0, 3.0), (0.9, 1.0), 0.2, (0.1, -0.2))
    assert report.blinks == 2 and report.flags == r.FLAG_EYES_CLOSED_LONG


# ---- bandwidth -----------------------------------------------------------------------------


def test_four_faces_fit_in_380_bytes():
    faces = [face for _, _, face, _ in face_reports()[:4]]
    frame = encode_report(CMD_FACES, encode_faces(faces, 1, (320, 224)))
    assert len(frame) == r.face_frame_bytes(4) <= 380


def test_faces_that_fit_at_115200_baud_and_30_fps():
    n = r.faces_that_fit(115200, 30.0)
    budget = 115200 / 10 / 30   # 8N1: 10 bits a byte -> 384 bytes a frame
    faces = [face for _, _, face, _ in face_reports()] * 2
    size = (320, 224)
    assert len(encode_report(CMD_FACES, encode_faces(faces[:n], 0, size))) <= budget
    assert len(encode_report(CMD_FACES, encode_faces(faces[:n + 1], 0, size))) > budget
    assert n == 11  # the app tracks at most 10


# ---- the state machine ---------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def faces():
    return [face for _, _, face, _ in face_reports()[:2]]


def test_one_face_report_per_frame_with_zero_faces_too(faces):
    rep = FaceReporter()
    sent = [rep.frame(faces if i % 2 else [], (320, 224)) for i in range(4)]
    assert [len(m) for m in sent] == [1, 1, 1, 1]
    counts = [len(decode_faces(body).faces) for (((cmd, body),)) in sent]
    assert counts == [0, 2, 0, 2]
    assert [decode_faces(m[0][1]).frame for m in sent] == [0, 1, 2, 3]
    assert all(m[0][0] == CMD_FACES for m in sent)


def test_set_report_turns_the_face_report_off_and_on(faces):
    rep = FaceReporter()
    assert rep.request(CMD_SET_REPORT, b"\x00") == Response(CMD_SET_REPORT, b"\x01")
    assert rep.frame(faces, (320, 224)) == []
    assert rep.request(CMD_SET_REPORT, bytes([CMD_FACES, 1])).ok
    assert [cmd for cmd, _ in rep.frame(faces, (320, 224))] == [CMD_FACES]


def test_get_faces_returns_the_latest_frame_even_with_reporting_off(faces):
    rep = FaceReporter()
    assert rep.request(CMD_GET_FACES, b"").error == ERR_NOT_READY
    rep.request(CMD_SET_REPORT, b"\x00")
    rep.frame(faces, (320, 224))
    rep.frame(faces[:1], (320, 224))
    answer = rep.request(CMD_GET_FACES, b"")
    assert answer.ok and answer.cmd == CMD_GET_FACES
    latest = decode_faces(answer.body)
    assert latest.frame == 1 and len(latest.faces) == 1


def test_landmarks_are_off_by_default_then_sent_at_their_period(faces):
    clock = FakeClock()
    rep = FaceReporter(landmark_period_s=0.25, clock=clock)
    points = [np.zeros((5, 2)), np.ones((5, 2))]
    assert not rep.due(CMD_LANDMARKS)
    assert [c for c, _ in rep.frame(faces, (320, 224), points)] == [CMD_FACES]
    assert rep.request(CMD_SET_REPORT, bytes([CMD_LANDMARKS, 1])).ok
    sent = []
    for i in range(40):            # 32 fps (exact binary steps), one stall of 0.7 s
        sent.append([c for c, _ in rep.frame(faces, (320, 224), points)])
        clock.t += 0.7 if i == 20 else 1 / 32
    with_landmarks = [i for i, cmds in enumerate(sent) if CMD_LANDMARKS in cmds]
    assert with_landmarks == [0, 8, 16, 21, 29, 37]   # no burst after the stall
    assert all(cmds[0] == CMD_FACES for cmds in sent)


def test_set_report_full_form_sets_event_and_timer(faces):
    clock = FakeClock()
    rep = FaceReporter(clock=clock)
    body = bytes([CMD_FACES, 1, 0]) + struct.pack("<I", 500)   # periodic, every 500 ms
    assert rep.request(CMD_SET_REPORT, body).ok
    sent = []
    for _ in range(30):
        sent.append(len(rep.frame(faces, (320, 224))))
        clock.t += 0.125
    assert [i for i, n in enumerate(sent) if n] == [0, 4, 8, 12, 16, 20, 24, 28]
    assert rep.request(CMD_SET_REPORT, bytes([CMD_LANDMARKS, 1, 1, 0, 0, 0, 0])).ok
    assert rep.schedules[CMD_LANDMARKS] == r.Schedule(True, True, 0.0)


@pytest.mark.parametrize("body, code", [
    (b"", ERR_ARGS),                                   # no body
    (b"\x02", ERR_ARGS),                               # on_off is 0 or 1
    (bytes([CMD_FACES, 1, 1]), ERR_ARGS),              # 3 bytes: neither short nor full
    (bytes([CMD_FACES, 1, 0, 0, 0, 0, 0]), ERR_ARGS),  # event 0 and timer 0
    (bytes([CMD_FACES, 1, 2, 0, 0, 0, 0]), ERR_ARGS),  # event is 0 or 1
    (bytes([CMD_GET_FACES, 1]), ERR_NOT_IMPL),         # not a report command
    (bytes([0x99, 0]), ERR_NOT_IMPL),
])
def test_bad_set_report_bodies_are_answered_with_an_error(body, code, faces):
    rep = FaceReporter()
    answer = rep.request(CMD_SET_REPORT, body)
    assert not answer.ok and answer.error == code and answer.cmd == CMD_SET_REPORT
    assert answer.message
    assert len(rep.frame(faces, (320, 224))) == 1  # the schedule did not change


def test_get_faces_with_a_body_and_unknown_commands_are_errors():
    rep = FaceReporter()
    rep.frame([], (320, 224))
    assert rep.request(CMD_GET_FACES, b"\x01").error == ERR_ARGS
    for cmd in (CMD_FACES, CMD_LANDMARKS, 0x42, 0xC7, 0xFE):
        answer = rep.request(cmd, b"")
        assert (answer.cmd, answer.error) == (cmd, ERR_NOT_IMPL)
        assert f"0x{cmd:02X}" in answer.message


def test_app_commands_are_below_cmd_app_max():
    assert max(CMD_FACES, CMD_GET_FACES, CMD_LANDMARKS) < r.CMD_APP_MAX == 0xC8
    assert len({CMD_FACES, CMD_GET_FACES, CMD_LANDMARKS}) == 3


def test_landmarks_must_match_the_faces(faces):
    rep = FaceReporter(clock=FakeClock())
    rep.request(CMD_SET_REPORT, bytes([CMD_LANDMARKS, 1, 1, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="track ids"):
        rep.frame(faces, (320, 224), [np.zeros((5, 2))])
