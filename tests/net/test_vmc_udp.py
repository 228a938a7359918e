"""VMC over real UDP on 127.0.0.1, received by python-osc's own OSC server (a well-kept
receiver, as a VMC marionette is): the sender's datagrams, its failures, and whole
`main.py --vmc` runs on the test video."""
from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer

from app.core.expressions import Expression
from app.core.vmc import BLEND_NAMES, blend_sources, head_quaternion
from app.net.vmc import VmcError, VmcSender
from tests.conftest import DATA, ROOT, one_error, read_jsonl, run_main
from tests.core._factories import real_faces

PEER = ROOT / "tests" / "fixtures" / "face_landmarker_peer.json"


class Receiver:
    """python-osc's blocking UDP server in a thread: every message it dispatches, in
    arrival order, as (address, args), and the datagrams' count."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list]] = []
        self.datagrams = 0
        dispatcher = Dispatcher()
        dispatcher.set_default_handler(lambda address, *args: self.messages.append(
            (address, list(args))))
        self.server = BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
        receiver = self

        handle = self.server.finish_request

        def counted(request, client_address):  # one call per datagram
            receiver.datagrams += 1
            handle(request, client_address)

        self.server.finish_request = counted  # type: ignore[method-assign]
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < end:
            time.sleep(0.01)

    def settle(self, quiet: float = 0.3) -> None:
        """Wait until nothing more arrives for `quiet` seconds."""
        last = -1
        while last != len(self.messages):
            last = len(self.messages)
            time.sleep(quiet)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def face():
    """The largest real face of multi_face.jpg (replayed models) with the blendshapes
    MediaPipe gave it."""
    _, faces = real_faces("multi_face.jpg", max_faces=5)
    largest = max(faces, key=lambda f: float(f.mesh_box[2] * f.mesh_box[3]))
    peer = json.loads(PEER.read_text())["images"]["multi_face.jpg"]["faces"]
    match = min(peer, key=lambda f: float(np.hypot(*(np.asarray(f["xy"][1]) - largest.xy[1]))))
    shapes = np.asarray(match["blendshapes"], np.float32)
    return dataclasses.replace(largest, expression=Expression(shapes, "neutral", 1.0)), shapes


def frames_of(messages: list[tuple[str, list]]) -> list[list[tuple[str, list]]]:
    """The messages cut into frames: each frame starts with /VMC/Ext/OK."""
    frames: list[list[tuple[str, list]]] = []
    for message in messages:
        if message[0] == "/VMC/Ext/OK":
            frames.append([])
        assert frames, f"{message[0]} before any /VMC/Ext/OK"
        frames[-1].append(message)
    return frames


@pytest.mark.parametrize("bundle", [True, False])
def test_sender_to_a_python_osc_receiver(receiver, face, bundle):
    face, shapes = face
    times = iter([100.0, 100.0, 100.5, 101.25, 102.0])
    sender = VmcSender("127.0.0.1", receiver.port, bundle=bundle, mirror=True,
                       clock=lambda: next(times))
    sender.write(0, (1000, 667), [face], {})
    sender.write(1, (1000, 667), [], {})  # the face is lost
    sender.write(2, (1000, 667), [face, dataclasses.replace(face, valid=False)], {})
    sender.close()  # says the face is gone
    expected = 55 + 2 + 55 + 2
    receiver.wait_for(expected)
    receiver.settle(0.1)
    assert receiver.datagrams == (4 if bundle else expected) == sender.sent
    assert sender.dropped == 0
    frames = frames_of(receiver.messages)
    assert [len(f) for f in frames] == [55, 2, 55, 2]
    first, lost, again, closed = frames
    q = head_quaternion(*face.signals.pose, mirror=True)
    assert first[:2] == [("/VMC/Ext/OK", [1]), ("/VMC/Ext/T", [0.0])]
    assert first[2][0] == "/VMC/Ext/Bone/Pos" and first[2][1][:4] == ["Head", 0.0, 0.0, 0.0]
    assert first[2][1][4:] == pytest.approx(q, rel=1e-6)
    sources = blend_sources(True)
    assert first[3:54] == [("/VMC/Ext/Blend/Val", [name, pytest.approx(float(shapes[sources[i]]),
                                                                       rel=1e-6, abs=1e-8)])
                           for i, name in enumerate(BLEND_NAMES)]
    assert first[54] == ("/VMC/Ext/Blend/Apply", [])
    assert lost == [("/VMC/Ext/OK", [0]), ("/VMC/Ext/T", [0.5])]
    assert again[1] == ("/VMC/Ext/T", [1.25]) and again[3:] == first[3:]
    assert closed == [("/VMC/Ext/OK", [0]), ("/VMC/Ext/T", [2.0])]


def test_a_send_that_fails_is_one_warning(face):
    face, _ = face
    warnings: list[str] = []
    sender = VmcSender("127.0.0.1", 9, warn=warnings.append)  # discard port: nobody listens
    sender.write(0, (1000, 667), [face], {})  # UDP needs no listener
    assert sender.sent == 1 and not warnings
    for _ in range(3):
        sender.send([b"x" * 70_000])  # over UDP's 65,507 bytes: EMSGSIZE every time
    sender.write(1, (1000, 667), [face], {})
    sender.close()
    assert sender.dropped == 3 and sender.sent == 3
    assert len(warnings) == 1 and warnings[0].startswith("VMC: cannot send to 127.0.0.1:9: ")
    assert "vmc.bundle false" in warnings[0]


def test_unusable_addresses_are_refused():
    with pytest.raises(VmcError, match="cannot be used"):
        VmcSender("no-such-host.invalid", 39539)
    with pytest.raises(VmcError, match="1..65535"):
        VmcSender("127.0.0.1", 70000)


def test_sending_never_blocks_the_loop(face):
    """A receiver that never reads: its small buffer overflows at once (the kernel drops
    what does not fit), and every write still returns at once."""
    face, _ = face
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sink.bind(("127.0.0.1", 0))
    try:
        sender = VmcSender("127.0.0.1", sink.getsockname()[1], bundle=False)
        slowest = 0.0
        for i in range(300):
            start = time.perf_counter()
            sender.write(i, (1000, 667), [face], {})
            slowest = max(slowest, time.perf_counter() - start)
        sender.close()
        assert sender.sent + sender.dropped == 300 * 55 + 2
        sink.setblocking(False)
        waiting = 0
        try:
            while True:
                sink.recv(65536)
                waiting += 1
        except BlockingIOError:
            pass
        assert 0 < waiting < 300 * 55 // 10  # most were never read, nothing waited for it
        assert slowest < 0.5  # never a wait for the receiver (generous: a shared machine)
    finally:
        sink.close()


# -- whole runs ----------------------------------------------------------------------------

def check_run(messages: list[tuple[str, list]], lines: list[dict], mirror: bool) -> None:
    """Each JSON line's frame against the VMC frame sent for it, in order."""
    frames = frames_of(messages)
    assert len(frames) == len(lines) + 1  # and the last one when the run closed
    assert frames[-1][0] == ("/VMC/Ext/OK", [0])
    times = [frame[1][1][0] for frame in frames]
    assert [f[1][0] for f in frames] == ["/VMC/Ext/T"] * len(frames)
    assert times == sorted(times) and times[0] >= 0.0
    tracked = 0
    for frame, line in zip(frames, lines):
        faces = line["faces"]
        if not faces:
            assert frame[0] == ("/VMC/Ext/OK", [0]) and len(frame) == 2
            continue
        tracked += 1
        assert frame[0] == ("/VMC/Ext/OK", [1])
        largest = max(faces, key=lambda f: f["box"][2] * f["box"][3])
        pose = largest["signals"]["pose"]
        bone = frame[2]
        assert bone[0] == "/VMC/Ext/Bone/Pos" and bone[1][:4] == ["Head", 0.0, 0.0, 0.0]
        # the JSON line's pose is rounded to 0.1 degree
        q = np.asarray(bone[1][4:])
        want = np.asarray(head_quaternion(*pose, mirror=mirror))
        assert abs(abs(float(q @ want)) - 1.0) < 1e-4
        blends = [m for m in frame[3:] if m[0] == "/VMC/Ext/Blend/Val"]
        if blends:  # once the tracker gives faces their expression
            assert [m[1][0] for m in blends] == list(BLEND_NAMES)
            assert all(0.0 <= m[1][1] <= 1.0 for m in blends)
            assert frame[-1] == ("/VMC/Ext/Blend/Apply", [])
        else:
            assert len(frame) == 3
    assert tracked >= len(lines) * 0.9


@pytest.mark.parametrize("bundle", [True, False])
def test_main_vmc_run_on_the_test_video(receiver, tmp_path, data_dir, models_dir, bundle):
    """`main.py --vmc 127.0.0.1:PORT --source single_face.mp4 --headless`: every
    processed frame reaches a python-osc receiver as the VMC messages of its face."""
    jsonl = tmp_path / "run.jsonl"
    args = ["--source", str(DATA / "single_face.mp4"), "--headless", "--json", str(jsonl),
            "--vmc", f"127.0.0.1:{receiver.port}"]
    if not bundle:
        settings = tmp_path / "config.ini"
        settings.write_text("[settings]\nvmc.bundle = false\n")
        args += ["--settings", str(settings)]
    result = run_main(*args, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr and "Traceback" not in result.stderr
    lines = read_jsonl(jsonl)
    assert len(lines) == 72
    receiver.settle()
    frames = frames_of(receiver.messages)
    assert receiver.datagrams == (len(frames) if bundle else len(receiver.messages))
    check_run(receiver.messages, lines, mirror=True)


@pytest.mark.parametrize("value", ["nonsense", "127.0.0.1", ":39539", "127.0.0.1:0",
                                   "127.0.0.1:65536", "127.0.0.1:port",
                                   "no-such-host.invalid:39539"])
def test_bad_vmc_addresses_are_one_error(value, tmp_path):
    result = run_main("--source", str(DATA / "single_face.jpg"), "--headless", "--json",
                      str(tmp_path / "x.jsonl"), "--vmc", value)
    line = one_error(result)
    assert "vmc" in line.lower()
    assert not (tmp_path / "x.jsonl").exists()


def test_vmc_off_loads_no_network_code(tmp_path, data_dir, models_dir):
    """Without VMC nothing of app/net is imported (nothing changes for a run without it)."""
    script = ("import sys; from app.launch import run; "
              f"code = run(['--source', {str(DATA / 'single_face.jpg')!r}, '--headless', "
              f"'--json', {str(tmp_path / 'x.jsonl')!r}]); "
              "print(code, sorted(m for m in sys.modules if m.startswith('app.net')))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.split() == ["0", "[]"], result.stderr


def test_host_port_forms():
    from app.cli import host_port

    assert host_port("192.168.1.20:39539") == ("192.168.1.20", 39539)
    assert host_port("[::1]:39540") == ("::1", 39540)
    assert host_port("studio-pc.local:1") == ("studio-pc.local", 1)
