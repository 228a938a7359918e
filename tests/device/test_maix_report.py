"""Face reports against the REAL MaixPy: our frames byte for byte equal to
maix.protocol.Protocol's encode_report / encode_resp_ok / encode_resp_err (what
CommProtocol.report / resp_ok / resp_err send), the committed golden files still what
maix makes, and the device adapter on the real maix.comm (no UART on a PC)."""
from __future__ import annotations

import json
import random
from types import SimpleNamespace

import pytest

from tests.device._frames import NEEDS_MAIX

pytest.importorskip("maix.image", reason=NEEDS_MAIX)

from maix import comm, err, protocol  # noqa: E402

from app.core import report as core  # noqa: E402
from app.core.report import (CMD_FACES, CMD_GET_FACES, CMD_SET_REPORT,  # noqa: E402
                             FaceReporter, Response)
from app.device import comm as device_comm  # noqa: E402
from app.device.comm import MaixCommReporter  # noqa: E402
from tests._report_cases import (GOLDEN_BIN, GOLDEN_JSON, HEADER_INT, Case,  # noqa: E402
                                 cases, face_reports)
from tests._report_streams import random_face  # noqa: E402
from tools.make_report_fixtures import maix_frame  # noqa: E402


@pytest.fixture(scope="module")
def maix_protocol():
    return protocol.Protocol(1024, HEADER_INT)


def ours(case: Case) -> bytes:
    return core.encode_report(case.cmd, case.body) if case.response is None else \
        case.response.encode()


def test_the_reference_example(maix_protocol):
    assert bytes(maix_protocol.encode_report(0x10, b"hello")).hex() == \
        "aacaacbb09000000e11068656c6c6fd90b" == core.encode_report(0x10, b"hello").hex()


@pytest.mark.parametrize("case", cases(), ids=lambda c: c.name)
def test_our_frames_are_maixs(maix_protocol, case):
    assert ours(case).hex() == maix_frame(maix_protocol, case).hex()


def test_random_face_bodies_0_to_10_faces(maix_protocol):
    rng = random.Random(5)
    for i in range(200):
        faces = [random_face(rng) for _ in range(i % 11)]
        body = core.encode_faces(faces, rng.randrange(2**32), (320, 224))
        assert core.encode_report(CMD_FACES, body) == bytes(
            maix_protocol.encode_report(CMD_FACES, body))
        assert Response(CMD_GET_FACES, body).encode() == bytes(
            maix_protocol.encode_resp_ok(CMD_GET_FACES, body))


def test_error_responses_for_every_code_and_long_messages(maix_protocol):
    for code in range(1, 21):
        message = "x" * (code * 13)
        assert Response(0x42, error=code, message=message).encode() == bytes(
            maix_protocol.encode_resp_err(0x42, err.Err(code), message))


def test_crc_is_maixs():
    rng = random.Random(7)
    for n in (0, 1, 2, 15, 150, 1000):
        data = rng.randbytes(n)
        assert core.crc16_ibm(data) == protocol.crc16_IBM(data)


def test_the_committed_golden_files_are_what_maix_makes_now(maix_protocol):
    golden = json.loads(GOLDEN_JSON.read_text())
    frames = [maix_frame(maix_protocol, case) for case in cases()]
    assert [m["frame"] for m in golden["messages"]] == [f.hex() for f in frames]
    assert GOLDEN_BIN.read_bytes() == b"".join(frames)


def test_protocol_constants_are_maixs():
    assert core.CMD_APP_MAX == int(protocol.CMD.CMD_APP_MAX)
    assert core.CMD_SET_REPORT == int(protocol.CMD.CMD_SET_REPORT)
    assert core.PROTOCOL_VERSION == protocol.VERSION
    assert core.HEADER == HEADER_INT.to_bytes(4, "little") and protocol.HEADER == HEADER_INT
    assert core.FLAGS_REPORT & 0xE0 == int(protocol.FLAGS.FLAG_RESP) | int(
        protocol.FLAGS.FLAG_RESP_OK) | int(protocol.FLAGS.FLAG_REPORT)
    for name in ("ERR_ARGS", "ERR_NOT_IMPL", "ERR_NOT_READY"):
        assert getattr(core, name) == int(getattr(err.Err, name))


# ---- the adapter on the real maix.comm -------------------------------------------------------


def test_without_a_uart_the_app_runs_and_says_so_once():
    """MaixPy on a PC: CommProtocol logs "comm protocol disabled", valid() is False."""
    assert comm.CommProtocol(buff_size=1024).valid() is False
    lines: list[str] = []
    link = MaixCommReporter.open(log=lines.append)
    faces = [face for _, _, face, _ in face_reports()[:3]]
    for i in range(100):
        link.send_frame(faces[: i % 4], (320, 224))
    link.close()
    assert not link.enabled and len(lines) == 1
    assert "face reports off" in lines[0] and "disabled" in lines[0]


@pytest.mark.parametrize("behaviour, says", [("none", '"none"'), ("raise", "cannot open")])
def test_comm_method_none_or_a_port_that_fails(monkeypatch, behaviour, says):
    class FakeCommProtocol:
        @staticmethod
        def get_method() -> str:
            return "none" if behaviour == "none" else "uart"

        def __init__(self, buff_size: int) -> None:
            raise RuntimeError("open comm uart obj failed: ERR_IO")

    monkeypatch.setattr(device_comm, "comm", SimpleNamespace(CommProtocol=FakeCommProtocol))
    lines: list[str] = []
    link = MaixCommReporter.open(log=lines.append)
    link.send_frame([], (320, 224))
    assert not link.enabled and len(lines) == 1 and says in lines[0]


class Msg:
    """maix.protocol.MSG's fields as MaixCDK's get_msg fills them (MSG has no constructor
    in MaixPy, and Protocol.decode cannot be fed from Python: it reads the Bytes object's
    own memory instead of its data): body_len = the frame's length field - 4."""

    def __init__(self, cmd: int, body: bytes = b"", is_req: bool = True,
                 replied: bool = False, body_len: int | None = None) -> None:
        self.cmd, self._body, self.is_req, self.has_been_replied = cmd, body, is_req, replied
        self.body_len = len(body) if body_len is None else body_len

    def get_body(self) -> bytes:
        return self._body


class FakePort:
    """CommProtocol's calls recorded; returns the real err.Err values."""

    def __init__(self, inbox: list[Msg], result: err.Err = err.Err.ERR_NONE) -> None:
        self.inbox, self.sent, self.result = inbox, [], result

    def get_msg(self, timeout: int = 0):
        if self.inbox and isinstance(self.inbox[0], BaseException):
            raise self.inbox[0]   # stays at the head, as the bad frame in maix's buffer
        return self.inbox.pop(0) if self.inbox else None

    def report(self, cmd, body):
        self.sent.append(("report", cmd, body))
        return self.result

    def resp_ok(self, cmd, body):
        self.sent.append(("ok", cmd, body))
        return self.result

    def resp_err(self, cmd, code, msg):
        assert isinstance(code, err.Err)
        self.sent.append(("err", cmd, code, msg))
        return self.result


def test_requests_are_answered_as_the_reporter_says():
    port = FakePort([Msg(CMD_GET_FACES), Msg(CMD_SET_REPORT, b"\x00"),
                     Msg(0xF9, replied=True),              # CMD_APP_LIST: maix answered it
                     Msg(CMD_FACES, b"\x01", is_req=False),  # a response: not ours to answer
                     Msg(CMD_SET_REPORT, b"\x07\x07\x07"), Msg(0x42)])
    link = MaixCommReporter(FaceReporter(), port, log=pytest.fail)
    faces = [face for _, _, face, _ in face_reports()[:2]]
    link.send_frame(faces, (320, 224))
    body = core.encode_faces(faces, 0, (320, 224))
    assert port.sent == [
        ("report", CMD_FACES, body),
        ("ok", CMD_GET_FACES, body),            # this frame's result
        ("ok", CMD_SET_REPORT, b"\x01"),
        ("err", CMD_SET_REPORT, err.Err.ERR_ARGS, port.sent[3][3]),
        ("err", 0x42, err.Err.ERR_NOT_IMPL, "unknown command 0x42"),
    ]
    port.sent.clear()
    link.send_frame([], (320, 224))             # reporting is off now
    assert port.sent == []


def test_a_flood_of_requests_waits_for_the_next_frames():
    port = FakePort([Msg(CMD_GET_FACES) for _ in range(20)])
    link = MaixCommReporter(FaceReporter(), port, log=pytest.fail)
    link.send_frame([], (320, 224))
    assert len(port.sent) == 1 + device_comm.MAX_REQUESTS_PER_FRAME
    assert len(port.inbox) == 20 - device_comm.MAX_REQUESTS_PER_FRAME


def test_a_failing_uart_is_said_once_then_counted():
    lines: list[str] = []
    port = FakePort([], result=err.Err.ERR_IO)
    link = MaixCommReporter(FaceReporter(), port, log=lines.append)
    for _ in range(50):
        link.send_frame([], (320, 224))
    assert link.failures == 50 and len(lines) == 1 and "ERR_IO" in lines[0]


def test_the_app_runs_without_reporting_where_the_system_has_no_port(capfd):
    """The app's assembly on MaixPy's PC build: no UART, so no report sink (the tracker
    then skips signals nobody draws), said once."""
    from app import backends
    from app.core.settings import Settings

    assert backends.device_reporting(Settings()) == []
    err_text = capfd.readouterr().err
    assert err_text.count("face reports off") == 1


# ---- issue 21: malformed requests change nothing and are answered with an error -----------


def test_a_short_set_report_body_changes_nothing_and_gets_an_error_reply():
    """CMD_SET_REPORT with 3 body bytes, then `03 01`: the first is refused (ERR_ARGS) and
    changes nothing; the second turns landmarks on at their period, not every frame."""
    reporter = FaceReporter(landmark_period_s=0.2)
    before = dict(reporter.schedules)
    port = FakePort([Msg(CMD_SET_REPORT, b"\x03\x01\x00")])
    link = MaixCommReporter(reporter, port, log=pytest.fail)
    link.send_frame([], (320, 224))
    (_, (kind, cmd, code, message)) = port.sent
    assert (kind, cmd, code) == ("err", CMD_SET_REPORT, err.Err.ERR_ARGS) and message
    assert reporter.schedules == before and not reporter.due(core.CMD_LANDMARKS)
    port.sent.clear()
    port.inbox.append(Msg(CMD_SET_REPORT, b"\x03\x01"))
    link.send_frame([], (320, 224))
    assert port.sent[-1] == ("ok", CMD_SET_REPORT, b"\x01")
    assert reporter.schedules[core.CMD_LANDMARKS] == core.Schedule(True, False, 0.2)


@pytest.mark.parametrize("body, body_len", [
    (b"\x03\x01\x00", 7),    # the length field promised a 7-byte body
    (b"\x03\x01", 3),
    (b"", -1),                 # a length field of 3: maix's body_len is negative
])
def test_a_body_that_is_not_its_declared_length_is_refused(body, body_len):
    reporter = FaceReporter()
    before = dict(reporter.schedules)
    port = FakePort([Msg(CMD_SET_REPORT, body, body_len=body_len)])
    MaixCommReporter(reporter, port, log=pytest.fail).send_frame([], (320, 224))
    (_, answer) = port.sent
    assert answer[:3] == ("err", CMD_SET_REPORT, err.Err.ERR_ARGS) and "malformed" in answer[3]
    assert reporter.schedules == before


def test_a_decoder_that_throws_is_opened_again_once_and_said_once():
    """MaixCDK's get_msg throws on a frame whose length field is under 4 (set_body with a
    negative length), and the frame stays in its buffer: without a new port it would
    throw on every frame from then on."""
    lines: list[str] = []
    stuck = FakePort([MemoryError("std::bad_array_new_length")] * 1)
    fresh = FakePort([Msg(CMD_SET_REPORT, b"\x03\x01")])
    ports = [fresh]
    link = MaixCommReporter(FaceReporter(), stuck, log=lines.append, reopen=ports.pop)
    faces = [face for _, _, face, _ in face_reports()[:2]]
    for _ in range(5):
        link.send_frame(faces, (320, 224))
    assert link.port is fresh and link.decode_failures == 1 and len(lines) == 1
    assert lines[0].startswith("warning: ") and "MemoryError" in lines[0]
    assert [m[0] for m in stuck.sent] == ["report"]          # this frame's report went out
    assert ("ok", CMD_SET_REPORT, b"\x01") in fresh.sent      # requests are read again
    assert [m[0] for m in fresh.sent].count("report") >= 4


def test_when_the_port_does_not_open_again_reports_stop_said_once():
    lines: list[str] = []
    stuck = FakePort([RuntimeError("decode")])
    link = MaixCommReporter(FaceReporter(), stuck, log=lines.append, reopen=lambda: None)
    for _ in range(3):
        link.send_frame([], (320, 224))
    assert not link.enabled and len(lines) == 2 and "off" in lines[1]
