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
    def __init__(self, cmd: int, body: bytes = b"", is_req: bool = True,
                 replied: bool = False) -> None:
        self.cmd, self._body, self.is_req, self.has_been_replied = cmd, body, is_req, replied

    def get_body(self) -> bytes:
        return self._body


class FakePort:
    """CommProtocol's calls recorded; returns the real err.Err values."""

    def __init__(self, inbox: list[Msg], result: err.Err = err.Err.ERR_NONE) -> None:
        self.inbox, self.sent, self.result = inbox, [], result

    def get_msg(self, timeout: int = 0):
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
