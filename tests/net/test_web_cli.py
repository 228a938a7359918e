"""--serve on the command line: bad addresses and a port in use are one `error:` line
and exit 2 (the contract for bad input), before or without serving anything."""
from __future__ import annotations

import socket

import pytest

from conftest import DATA, one_error, run_main


@pytest.mark.parametrize("value, message", [
    ("99999", "port must be 0..65535"),
    ("-1", "port must be 0..65535"),
    ("http", "expected [HOST:]PORT"),
    ("localhost:8080", "expected an IP address"),
    ("300.1.1.1:8080", "expected an IP address"),
    ("127.0.0.1:", "expected [HOST:]PORT"),
])
def test_a_bad_serve_address_is_one_error_line(value, message):
    error = one_error(run_main("--serve", value, "--headless", timeout=60))
    assert "--serve" in error and message in error


def test_a_port_in_use_is_one_error_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_main("--serve", f"127.0.0.1:{port}", "--headless", "--source",
                          str(DATA / "single_face.jpg"), "--settings", str(tmp_path / "c.ini"),
                          timeout=120)
    error = one_error(result)
    assert error.startswith(f"error: web: cannot serve at 127.0.0.1:{port}: ")
