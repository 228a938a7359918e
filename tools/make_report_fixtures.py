"""Golden face-report streams framed by the REAL MaixPy encoder (run in the MaixPy root):

    tools/maixpy_root.sh run python3 tools/make_report_fixtures.py

Writes tests/fixtures/report_golden.json (per message: name, kind, cmd, body and the frame
maix.protocol.Protocol made of it, hex) and report_golden.bin (all those frames back to
back: the byte stream a MaixCAM would send). The messages come from tests/_report_cases.py
(real landmarks); the tests off the root check our encoder and both receivers against
these files, tests/device/test_maix_report.py checks them against maix live.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import maix  # noqa: E402
from maix import err, protocol  # noqa: E402

from tests._report_cases import GOLDEN_BIN, GOLDEN_JSON, HEADER_INT, Case, cases  # noqa: E402


def maix_frame(p: protocol.Protocol, case: Case) -> bytes:
    """`case` encoded by maix.protocol.Protocol, as CommProtocol.report/resp_* send it."""
    if case.response is None:
        return bytes(p.encode_report(case.cmd, case.body))
    if case.response.ok:
        return bytes(p.encode_resp_ok(case.cmd, case.response.body))
    return bytes(p.encode_resp_err(case.cmd, err.Err(case.response.error),
                                   case.response.message))


def main() -> int:
    p = protocol.Protocol(1024, HEADER_INT)
    messages, stream = [], b""
    for case in cases():
        frame = maix_frame(p, case)
        body = case.body if case.response is None else case.response.body
        entry = {"name": case.name, "kind": case.kind, "cmd": case.cmd, "body": body.hex(),
                 "frame": frame.hex()}
        if case.response is not None and not case.response.ok:
            entry.update(error=case.response.error, message=case.response.message)
        messages.append(entry)
        stream += frame
    doc = {"generator": "tools/make_report_fixtures.py in tools/maixpy_root.sh",
           "maixpy": maix.__version__, "messages": messages}
    GOLDEN_JSON.write_text(json.dumps(doc, indent=1) + "\n")
    GOLDEN_BIN.write_bytes(stream)
    print(f"{len(messages)} messages, {len(stream)} bytes -> {GOLDEN_JSON.name}, {GOLDEN_BIN.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
