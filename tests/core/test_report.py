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
from app.core.expressions.tables import (BLENDSHAPE_NAMES, EVENT_NAMES, EXPRESSION_ID,
                                        EXPRESSION_NAMES)
from app.core.report import (CMD_BLENDSHAPES, CMD_FACES, CMD_GET_FACES, CMD_LANDMARKS,
                             CMD_SET_REPORT, ERR_ARGS, ERR_NOT_IMPL, ERR_NOT_READY,
                             FACE_FIELDS, FACE_RECORD, FaceReport, FaceReporter, Response,
                             decode_blendshapes, decode_faces, decode_landmarks,
                             encode_blendshapes, encode_faces, encode_landmarks, encode_report)
from tests._report_cases import (EDGES, GOLDEN_BIN, GOLDEN_JSON, face_blendshapes,
                                 face_reports)

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
    assert FACE_RECORD.size == 36 and r.FACE_HEADER.size == 11
    # layout 2 only appends: layout 1's 31 bytes are its first columns, unchanged
    assert r.FACE_RECORD_V1.size == 31 and r.RECORD_LAYOUT == 2
    assert [f.since for f in FACE_FIELDS] == sorted(f.since for f in FACE_FIELDS)
    assert FACE_RECORD.format.startswith(r.FACE_RECORD_V1.format)
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
    untracked, wild, extreme, unsure = decode_faces(
        encode_faces(list(EDGES), 2**32 + 5, (70000, 1))).faces
    assert untracked.track_id == -1 and untracked.box == (-13, 0, 0, 65534)
    assert all(math.isnan(v) for v in (*untracked.pose, *untracked.eyes, untracked.mouth))
    assert wild.track_id == 7 and wild.blinks == 70000 % 65536 and wild.flags == 1
    assert wild.box[:2] == (32767, -32767) and math.isnan(wild.box[2]) and math.isnan(wild.score)
    assert wild.pose[:2] == (327.67, -327.67) and wild.mouth == 65.534
    assert extreme.box[:3] == (-32767, 32767, 0) and extreme.gaze == (-32.767, 0.0)
    assert extreme.pose == (-180.0, 90.0, 179.99) and extreme.blinks == 65535
    # no expression read: the id's sentinel 255, score NaN, no events
    for face in (untracked, wild):
        assert face.expression is None and math.isnan(face.expression_score)
        assert face.events == () and face.emotion is None and math.isnan(face.emotion_score)
    # a score of 1.0 saturates at 254/255 (255 is the sentinel); below 0 reads 0
    assert extreme.expression == "fear" and extreme.expression_score == 254 / 255
    assert extreme.events == EVENT_NAMES and extreme.emotion == "neutral"
    assert extreme.emotion_score == 0.0
    assert unsure.expression == "neutral" and math.isnan(unsure.expression_score)
    assert unsure.emotion == "sad" and unsure.emotion_score == 254 / 255


def test_expression_columns_store_ids_and_bits():
    body = encode_faces([FaceReport(1, (0, 0, 1, 1), 1.0, expression="happy",
                                    expression_score=0.5, events=("smile", "brows_up"))],
                        0, (8, 8))
    record = body[r.FACE_HEADER.size:]
    assert record[31:36] == bytes([EXPRESSION_ID["happy"], 128, 0b10100, 255, 255])
    assert EXPRESSION_NAMES[:7] == ("angry", "disgust", "fear", "happy", "sad", "surprise",
                                    "neutral")   # Sipeed's 7 classes keep their ids
    with pytest.raises(ValueError, match="no id"):
        encode_faces([FaceReport(1, (0, 0, 1, 1), 1.0, expression="bored")], 0, (8, 8))
    with pytest.raises(ValueError, match="no bit"):
        encode_faces([FaceReport(1, (0, 0, 1, 1), 1.0, events=("yawn",))], 0, (8, 8))


def test_a_layout_1_body_reads_without_expressions():
    """An older app's 31-byte records: the layout-1 columns, the rest left at None."""
    faces = [face for _, _, face, _ in face_reports()[2:6]]
    body = encode_faces(faces, 1, (512, 512))
    old = bytearray(body[:r.FACE_HEADER.size])
    old[10] = r.FACE_RECORD_V1.size
    for i in range(len(faces)):
        start = r.FACE_HEADER.size + i * FACE_RECORD.size
        old += body[start:start + r.FACE_RECORD_V1.size]
    for new, back in zip(decode_faces(body).faces, decode_faces(bytes(old)).faces):
        assert back.row()[:16] == pytest.approx(new.row()[:16], nan_ok=True)
        assert back.expression is None and back.events == () and back.emotion is None
    assert any(f.expression for f in decode_faces(body).faces)


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
    from app.core.face.topology import SUBSET_68
    _, size, face, xy = face_reports()[0]
    points = xy[list(SUBSET_68)]
    points[3] = np.nan
    decoded = decode_landmarks(encode_landmarks([face.track_id, -1], [points, points], 9, size))
    assert decoded.track_ids == (face.track_id, -1) and decoded.points.shape == (2, 68, 2)
    np.testing.assert_allclose(decoded.points[0], points, atol=0.125 + 1e-9)
    assert np.isnan(decoded.points[1, 3]).all()


def test_blendshapes_round_trip_within_half_a_step():
    shapes = face_blendshapes()[1:5]
    assert all(s.shape == (len(BLENDSHAPE_NAMES),) for s in shapes)
    body = encode_blendshapes([2, 3, -1, 70000], shapes, 2**32 + 9)
    assert len(body) == r.BLENDSHAPE_HEADER.size + 4 * (2 + 52) == 7 + 216
    decoded = decode_blendshapes(body)
    assert decoded.frame == 9 and decoded.track_ids == (2, 3, -1, 70000 % 65536)
    np.testing.assert_allclose(decoded.values, np.asarray(shapes), atol=0.5 / 255 + 1e-7)
    edge = decode_blendshapes(encode_blendshapes([1], [np.array([-0.2, 1.3, np.nan, 1.0])], 0))
    assert edge.values.tolist() == [[0.0, 1.0, 0.0, 1.0]]
    with pytest.raises(ValueError, match="bytes"):
        decode_blendshapes(body[:-1])


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
    assert report.expression is None and report.emotion is None   # none read: sentinels
    from app.core.emotion import Emotion
    from app.core.expressions import Expression
    shapes = face_blendshapes()[4]
    report = r.face_report(dataclasses.replace(
        face, expression=Expression(shapes, "happy", 0.75, ("smile",)),
        emotion=Emotion("happy", 0.9)))
    assert (report.expression, report.expression_score, report.events) == (
        "happy", 0.75, ("smile",))
    assert (report.emotion, report.emotion_score) == ("happy", pytest.approx(0.9))


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
    assert n == 10  # the app tracks at most 10: 12 + 11 + 10 x 36 = 383 bytes


def test_four_faces_at_30_fps_with_blendshapes_at_10_hz_fit_115200_baud():
    """The arithmetic, frames included, checked against the frames the reporter sends."""
    faces_frame = 12 + 11 + 4 * 36          # framing + header + 4 records = 167 bytes
    shapes_frame = 12 + 7 + 4 * (2 + 52)    # framing + header + 4 x (id + 52) = 235 bytes
    per_second = 30 * faces_frame + 10 * shapes_frame   # 5010 + 2350 = 7360 bytes/s
    link = 115200 / 10                      # 8N1: 10 bits a byte -> 11520 bytes/s
    assert (faces_frame, shapes_frame, per_second) == (167, 235, 7360)
    assert per_second / link == pytest.approx(0.639, abs=1e-3)   # 64% of the link
    assert r.link_load(4, 30.0, 10.0) == per_second / link
    # the same from the reporter: one simulated second at 30 fps, blendshapes turned on
    clock = FakeClock()
    rep = FaceReporter(clock=clock, blendshape_period_s=0.1)
    assert rep.request(CMD_SET_REPORT, bytes([CMD_BLENDSHAPES, 1])).ok
    four = [face for _, _, face, _ in face_reports()[1:5]]
    shapes = [(f.track_id, s) for f, s in zip(four, face_blendshapes()[1:5])]
    sent = 0
    counts = {CMD_FACES: 0, CMD_BLENDSHAPES: 0}
    for _ in range(30):
        for cmd, body in rep.frame(four, (552, 368), blendshapes=shapes):
            sent += len(encode_report(cmd, body))
            counts[cmd] += 1
        clock.t += 1 / 30
    assert counts == {CMD_FACES: 30, CMD_BLENDSHAPES: 10} and sent == per_second


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


def test_blendshapes_are_off_by_default_then_sent_at_their_period(faces):
    clock = FakeClock()
    rep = FaceReporter(clock=clock, blendshape_period_s=0.25)
    shapes = [(f.track_id, s) for f, s in zip(faces, face_blendshapes())]
    assert not rep.due(CMD_BLENDSHAPES)
    assert [c for c, _ in rep.frame(faces, (320, 224), blendshapes=shapes)] == [CMD_FACES]
    assert rep.request(CMD_SET_REPORT, bytes([CMD_BLENDSHAPES, 1])).ok
    sent = []
    for _ in range(16):
        sent.append([c for c, _ in rep.frame(faces, (320, 224), blendshapes=shapes)])
        clock.t += 1 / 32
    assert [i for i, c in enumerate(sent) if CMD_BLENDSHAPES in c] == [0, 8]
    body = rep.frame(faces, (320, 224), blendshapes=shapes)
    assert rep.request(CMD_SET_REPORT, bytes([CMD_BLENDSHAPES, 1, 1, 0, 0, 0, 0])).ok
    (_, (cmd, body)) = rep.frame(faces, (320, 224), blendshapes=shapes)   # every frame now
    assert cmd == CMD_BLENDSHAPES
    assert decode_blendshapes(body).track_ids == tuple(f.track_id for f in faces)
    assert rep.request(CMD_SET_REPORT, bytes([CMD_BLENDSHAPES, 0])).ok
    assert len(rep.frame(faces, (320, 224), blendshapes=shapes)) == 1


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
    commands = {CMD_FACES, CMD_GET_FACES, CMD_LANDMARKS, CMD_BLENDSHAPES}
    assert max(commands) < r.CMD_APP_MAX == 0xC8 and len(commands) == 4


def test_landmarks_must_match_the_faces(faces):
    rep = FaceReporter(clock=FakeClock())
    rep.request(CMD_SET_REPORT, bytes([CMD_LANDMARKS, 1, 1, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="track ids"):
        rep.frame(faces, (320, 224), [np.zeros((5, 2))])
