"""bench/device_cost.py's arithmetic: callgrind dumps -> instructions per frame and stage.

The counted runs need root and valgrind (bench/device_cost.sh); what turns their dumps
into the README's table is plain Python and checked here on dumps written the way
callgrind writes them (one file per marker boundary, its trigger label, its total)."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench.device_cost import Counts, parse_dumps, report


def write_dumps(folder: Path, segments: list[tuple[str, int]]) -> None:
    """One callgrind dump per segment, as `--dump-instr=no` writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    for n, (label, total) in enumerate(segments, 1):
        (folder / f"cg.out.{n}").write_text(
            "version: 1\ncreator: callgrind-3.24.0\npid: 7\ncmd: python3\npart: "
            f"{n}\n\ndesc: I1 cache:\ndesc: Trigger: Client Request: {label}\n\n"
            f"positions: line\nevents: Ir\nsummary: {total}\n\nfn=(1) main\n0 {total}\n"
            f"totals: {total}\n")
    (folder / "cg.out").write_text("desc: Trigger: Program termination\nsummary: 999\n")


def frames(n: int, loop: int = 100, work: int = 1000) -> list[tuple[str, int]]:
    """Start-up, then `n` frames of `loop` + `work` instructions; a stage can repeat
    inside a frame (one crop per face), its segments add up."""
    segments = [("-1|harness", 50), ("-1|startup", 7000)]
    for frame in range(n):
        segments += [(f"{frame}|loop", loop), (f"{frame}|crop", work // 2),
                     (f"{frame}|crop", work // 2)]
    return segments


def test_dumps_are_summed_by_frame_and_stage_and_the_exit_dump_ignored(tmp_path):
    write_dumps(tmp_path, frames(3))
    segments = parse_dumps(tmp_path)
    assert segments[(0, "crop")] == [500, 500] and segments[(2, "loop")] == [100]
    assert segments[(-1, "startup")] == [7000]
    assert len(segments) == 2 + 3 * 2


@pytest.mark.parametrize("n", [2, 6, 30])
def test_per_frame_is_the_mean_over_the_frames_after_the_warmup(tmp_path, n):
    write_dumps(tmp_path, frames(n))
    counts = Counts(parse_dumps(tmp_path), overhead=0.0)
    assert counts.per_frame(first=1) == {"loop": 100.0, "crop": 1000.0}


def test_marker_overhead_is_taken_off_every_segment_never_below_zero(tmp_path):
    write_dumps(tmp_path, frames(4, loop=5))
    counts = Counts(parse_dumps(tmp_path), overhead=10.0)
    per_frame = counts.per_frame(first=0)
    assert per_frame == {"loop": 0.0, "crop": 1000.0 - 2 * 10.0}


def test_start_up_runs_to_the_end_of_the_first_frame_without_the_harness(tmp_path):
    write_dumps(tmp_path, frames(3))
    counts = Counts(parse_dumps(tmp_path), overhead=0.0)
    assert counts.startup() == 7000 + 100 + 1000


def test_report_gives_each_row_the_total_and_its_ratio_with_and_without_display(tmp_path):
    write_dumps(tmp_path / "ours", frames(5, work=3000) + [
        (f"{f}|display", 6000) for f in range(5)])
    write_dumps(tmp_path / "official", frames(5, work=2000) + [
        (f"{f}|display", 6000) for f in range(5)])
    results = {"ours-1-mesh-signals_on": Counts(parse_dumps(tmp_path / "ours"), 0.0),
               "official-1": Counts(parse_dumps(tmp_path / "official"), 0.0)}
    table = report(results, warmup=1)
    assert "| crop_image                         |   0.003 |    0.002 |" in table
    assert "ratio 1.12" in table.splitlines()[-3]          # 9100 / 8100
    assert "ratio 1.48" in table.splitlines()[-2]          # 3100 / 2100 without display
    assert table.splitlines()[-1].endswith("ratio 1.07")   # 16100 / 15100 start-up
