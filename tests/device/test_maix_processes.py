"""Real processes on the real MaixPy: the app config file as maix reads it (maix loads it
once per process, so each case is a fresh process) and a stop signal under maix-pc
(maix's import installs a SIGINT handler that exits at once with code 0)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.device._frames import NEEDS_MAIX, ROOT

pytest.importorskip("maix.app", reason=NEEDS_MAIX)

# A config.ini the PC store would never write: a byte-order mark, a ';' comment, a line
# without '=', a repeated section, an unclosed one, CRLF line ends, another app's keys.
HOSTILE_INI = ("\ufeff# edited by hand\r\n"
               "[settings]\r\n"
               "view = points\r\n"
               "; a comment in another INI dialect\r\n"
               "max_faces=4\r\n"
               "this line has no equals sign\r\n"
               "show_box = true   # trailing comment\r\n"
               "[other]\r\n"
               "colour = blue\r\n"
               "[settings]\r\n"
               "view = depth\r\n"
               "[broken\r\n"
               "smoothing = 0.9\r\n")
GOOD = {"view": "points", "max_faces": "4", "show_box": "true"}

READ_WITH_MAIX = """
import json
from maix import app, err
keys = ("view", "max_faces", "show_box", "smoothing")
got = {k: app.get_app_config_kv("settings", k, "<unset>") for k in keys}
saved = app.set_app_config_kv("settings", "points_subset", "68", True) == err.Err.ERR_NONE
print(json.dumps({"got": got, "saved": saved}))
"""

READ_WITH_THE_APP = """
import json
from app.device.settings_store import MaixSettingsStore
warnings = []
store = MaixSettingsStore(warn=warnings.append)
got = store.load()
store.save({"points_subset": "68"})
print(json.dumps({"got": got, "again": MaixSettingsStore().load(), "warnings": warnings}))
"""


def fresh_process(code: str, cwd: Path) -> dict:
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    # maix prints its own log lines ("-- [I] ...") on stdout too.
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("{")]
    return json.loads(line)


@pytest.fixture
def app_folder(tmp_path):
    (tmp_path / "data").mkdir()
    config = tmp_path / "data" / "config.ini"
    config.write_bytes(HOSTILE_INI.encode())
    config.chmod(0o640)
    return tmp_path


def test_maix_alone_loses_every_setting_of_a_file_with_one_bad_line(app_folder):
    """The reason for the repair: MaixCDK's inifile2 rejects the whole file, and cannot
    save into it either."""
    result = fresh_process(READ_WITH_MAIX, app_folder)
    assert set(result["got"].values()) == {"<unset>"}
    assert result["saved"] is False
    assert (app_folder / "data" / "config.ini").read_bytes() == HOSTILE_INI.encode()


def test_the_app_keeps_every_good_line_and_maix_saves_again(app_folder):
    config = app_folder / "data" / "config.ini"
    result = fresh_process(READ_WITH_THE_APP, app_folder)
    assert result["got"] == GOOD  # the repeated and the unclosed sections dropped
    assert result["again"] == {**GOOD, "points_subset": "68"}  # maix wrote the file
    assert any("malformed lines removed" in w for w in result["warnings"])
    text = config.read_text().replace(" ", "")  # maix rewrote it as key=value
    assert "[other]\ncolour=blue" in text and "#editedbyhand" in text  # kept
    assert "noequals" not in text and ";" not in text and "depth" not in text
    assert (app_folder / "data" / "config.ini.bad").read_bytes() == HOSTILE_INI.encode()
    assert config.stat().st_mode & 0o777 == 0o640
    # Clean now: the next start reads it as is, and maix alone reads every key too.
    maix_alone = fresh_process(READ_WITH_MAIX, app_folder)["got"]
    assert {k: maix_alone[k] for k in GOOD} == GOOD


def test_ctrl_c_under_maix_pc_exits_130_with_whole_json_lines(tmp_path):
    """maix-pc on the demo video (it loops: the run only ends on a signal); SIGINT mid-run
    must end it between frames, not through maix's handler (exit 0, mid-frame)."""
    out = tmp_path / "run.jsonl"
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "--backend", "maix-pc",
                             "--json", str(out), "--settings", str(tmp_path / "s.ini")],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        parts = list(tmp_path.glob(".run.jsonl.*.part.jsonl"))
        if parts and parts[0].stat().st_size > 50_000:
            break
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()[1]
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted after" in stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]  # all whole
    assert len(lines) > 3 and [line["frame"] for line in lines] == list(range(len(lines)))
    assert not list(tmp_path.glob(".*.part.*"))


@pytest.mark.parametrize("args, message", [
    (["--backend", "maix-pc", "--output", "x.mp4"], "--output is not available with --backend maix-pc"),
    (["--backend", "maix-pc", "--headless"], "--headless is not available"),
    (["--backend", "maix-pc", "--max-frames", "5"], "--max-frames is not available"),
    (["--backend", "maix-pc", "--source", "a.mp4", "b.mp4"], "takes one video"),
    (["--backend", "maix-pc", "--source", "tests/data/single_face.mp4", "--json",
      "tests/data/single_face.mp4"], "is the source"),
    (["--backend", "device", "--json", "x.jsonl"], "--json is not available with --backend device"),
])
def test_options_a_maix_backend_would_ignore_are_refused(args, message):
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and message in lines[0]
