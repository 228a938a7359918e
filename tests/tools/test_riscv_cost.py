"""bench/riscv_cost.py's arithmetic: the counting plugin's log -> instructions per frame
and stage, blendshape evaluations, frame-rate ranges and the blendshape rate budget.

The counted runs need root, QEMU and a riscv64 sysroot (bench/riscv_cost.sh); what turns
their logs into the README's figures is plain Python and checked here on logs written
the way bench/riscv_count.c writes them (a line "frame stage count" at each marker, the
count being the running total; "end N" and "threads N" at exit)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.device_cost import Counts
from bench.riscv_cost import (STAND_INS, evaluations_per_frame, fps_range, loop_total,
                              max_rate_within_budget, parse_log, per_evaluation, report)


def write_log(folder: Path, segments: list[tuple[int, str, int]], threads: int = 1,
              name: str = "count") -> tuple[Path, Path]:
    """The plugin's log of a run whose segments (frame, stage, instructions) ran in that
    order, with the stage table the guest writes (numbered in order of first use)."""
    folder.mkdir(parents=True, exist_ok=True)
    names: dict[str, int] = {}
    total, lines = 0, []
    for frame, stage, instructions in segments:
        total += instructions
        lines.append(f"{frame} {names.setdefault(stage, len(names))} {total}")
    lines += [f"end {total + 123}", f"threads {threads}"]
    log, labels = folder / f"{name}.log", folder / f"{name}.json"
    log.write_text("\n".join(lines) + "\n")
    labels.write_text(json.dumps({str(v): k for k, v in names.items()}))
    return log, labels


def frames(n: int, render: int = 1000, replay: int = 500) -> list[tuple[int, str, int]]:
    """Start-up (interpreter, imports, the harness's tape), then `n` frames: the loop, a
    replayed model (a stand-in), rendering split by a nested HUD segment."""
    segments = [(-1, "interpreter", 90), (-1, "startup", 7000), (-1, "harness", 40)]
    for f in range(n):
        segments += [(f, "loop", 100), (f, "replay", replay), (f, "render", render // 2),
                     (f, "hud", 300), (f, "render", render // 2)]
    return segments


def test_log_lines_become_segments_as_differences_of_running_totals(tmp_path):
    segments, threads = parse_log(*write_log(tmp_path, frames(3)))
    assert threads == 1
    assert segments[(-1, "interpreter")] == [90] and segments[(-1, "startup")] == [7000]
    assert segments[(2, "render")] == [500, 500] and segments[(0, "hud")] == [300]
    assert len(segments) == 3 + 3 * 4


def test_threads_are_reported_so_a_racy_count_is_refused(tmp_path):
    assert parse_log(*write_log(tmp_path, frames(1), threads=3))[1] == 3


@pytest.mark.parametrize("n", [2, 6, 30])
def test_per_frame_leaves_the_stand_ins_out_of_our_total(tmp_path, n):
    counts = Counts(parse_log(*write_log(tmp_path, frames(n)))[0], overhead=0.0)
    per_frame = counts.per_frame(first=1)
    assert per_frame == {"loop": 100.0, "replay": 500.0, "render": 1000.0, "hud": 300.0}
    assert "replay" in STAND_INS and loop_total(per_frame) == 1400.0


def test_start_up_counts_interpreter_and_imports_to_the_first_frame_not_the_harness(tmp_path):
    counts = Counts(parse_log(*write_log(tmp_path, frames(3)))[0], overhead=0.0)
    assert counts.startup() == 90 + 7000 + (100 + 500 + 1000 + 300)


def test_a_blendshape_evaluation_is_the_mean_after_the_first_ones_less_the_marker(tmp_path):
    evals = [(-1, "harness", 10), (-1, "load", 5000)]
    for cost in (9000, 8000, 4010, 4030, 3990):  # the first two warm caches up
        evals += [(-1, "harness", 7), (-1, "blendshape", cost)]
    segments, _ = parse_log(*write_log(tmp_path, evals))
    assert per_evaluation(segments, overhead=10.0) == pytest.approx(4000.0)
    with pytest.raises(ValueError):
        per_evaluation({}, overhead=0.0)


@pytest.mark.parametrize("faces,rate,expected", [
    (1, None, 1.0), (4, None, 4.0),      # every face every frame
    (1, 10.0, 0.5), (4, 10.0, 2.0),      # 10 Hz on a 20 fps loop: every other frame
    (1, 40.0, 1.0),                      # never more than once a frame
])
def test_evaluations_per_frame(faces, rate, expected):
    assert evaluations_per_frame(faces, rate, fps=20.0) == expected


def test_frame_rate_range_is_clock_times_ipc_over_instructions():
    assert fps_range(5e6, ipc=(0.5, 1.0), clock_hz=1e9) == (100.0, 200.0)


def test_blendshape_rate_within_the_budget_is_a_share_of_the_cpus_time():
    # 15% of 1e9 cycles a second at IPC 0.5 and 1: 75M and 150M instructions a second
    lo, hi = max_rate_within_budget(75e6, budget=0.15, ipc=(0.5, 1.0), clock_hz=1e9)
    assert (lo, hi) == pytest.approx((1.0, 2.0))
    # that many evaluations take exactly the budget's share of a second at that IPC
    assert lo * 75e6 / (0.5 * 1e9) == pytest.approx(0.15)


def test_report_gives_each_row_the_total_blendshapes_and_fps_range(tmp_path):
    counts = Counts(parse_log(*write_log(tmp_path, frames(6, render=4_000_000)))[0], 0.0)
    table = report({"ours-1-mesh-signals_on": counts}, warmup=1, evaluation=2e6,
                   rate_hz=10.0)
    assert "| rendering (view)                     |    4.000 |" in table
    assert "| HUD                                  |    0.000 |" in table   # 300: 0.000M
    assert "| total (no blendshapes)               |    4.000 |" in table
    # 10 Hz at 20 fps: half an evaluation a frame; every frame: one
    assert "| blendshapes at 10 Hz                 |    1.000 |  total 5.000" in table
    assert "| blendshapes every frame              |    2.000 |  total 6.000" in table
    assert "(stand-ins, left out: 0.001)" in table
    assert table.splitlines()[-1].endswith("125-250 fps")  # 1e9 x (0.5, 1) / 4.0004M
