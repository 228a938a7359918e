"""Settings persisted as flat keys in an INI section: round trip and recovery from bad files."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app.core import persist
from app.core.persist import (IniStore, MemoryStore, apply_saved, format_value,
                              settings_changes)
from app.core.settings import Settings, apply

CHANGED = Settings(view="depth", points_subset=68, max_faces=7, show_box=True, show_hud=False,
                   smoothing=0.9, detector_conf_threshold=0.65, device_detector_model="")


class Warnings(list):
    def __call__(self, message: str) -> None:
        self.append(message)


@pytest.fixture
def store(tmp_path):
    warns = Warnings()
    return IniStore(tmp_path / "data" / "config.ini", warn=warns), warns


def test_changes_are_only_what_differs():
    changes = settings_changes(Settings(), Settings(view="points", show_box=True, smoothing=0.9))
    assert changes == {"view": "points", "show_box": "true", "smoothing": "0.9"}
    assert settings_changes(CHANGED, CHANGED) == {}
    assert format_value(False) == "false" and format_value(3) == "3" and format_value(0.1) == "0.1"


def test_round_trip_through_the_file(store):
    st, warns = store
    st.save(settings_changes(Settings(), CHANGED))
    loaded = apply_saved(Settings(), IniStore(st.path, warn=warns), warns)
    assert loaded == CHANGED
    assert warns == []
    text = st.path.read_text()
    assert text.startswith("[settings]\n") and "max_faces = 7\n" in text
    assert [p.name for p in st.path.parent.iterdir()] == ["config.ini"]  # no temp files left


def test_every_setting_survives_a_round_trip(store):
    st, warns = store
    flat = Settings().to_flat()
    st.save({k: format_value(v) for k, v in flat.items()})
    assert apply(Settings(), st.load(), "t", warns) == Settings() and warns == []


def test_save_merges_and_keeps_what_it_does_not_know(store):
    st, warns = store
    st.path.parent.mkdir(parents=True)
    st.path.write_text(
        "# written by someone else\n"
        "top=1\n"
        "[other_app]\n"
        "key=value with spaces\n"
        "\n"
        "[settings]\n"
        "view=points\n"
        "future.option = 42   # a later version's key\n"
        "\n"
        "[last]\n"
        "x = y\n")
    st.save({"view": "depth", "max_faces": "3"})
    text = st.path.read_text()
    for kept in ("# written by someone else", "top=1", "[other_app]", "key=value with spaces",
                 "future.option = 42   # a later version's key", "[last]", "x = y"):
        assert kept in text
    assert st.load() == {"view": "depth", "future.option": "42", "max_faces": "3"}
    # New keys go into the existing section, not a second [settings].
    assert text.count("[settings]") == 1
    assert text.index("max_faces") < text.index("[last]")
    assert warns == []


def test_device_written_file_reads(store):
    # MaixCDK inifile2 writes `key=value`, '#' comments; the first of repeated keys wins.
    st, warns = store
    st.path.parent.mkdir(parents=True)
    st.path.write_text("[settings]\nmax_faces=4\nview=mesh#comment\nmax_faces=9\n")
    assert st.load() == {"max_faces": "4", "view": "mesh"}
    st.save({"max_faces": "5"})
    assert st.load()["max_faces"] == "5"
    assert st.path.read_text().count("max_faces") == 1


def test_missing_file_is_empty(store):
    st, warns = store
    assert st.load() == {} and warns == []


@pytest.mark.parametrize("payload", [
    bytes(range(256)) * 4,
    b"\x00\x00\x00\x00\x00\x00",
    b"[settings]\nview = de\xff\xfeth\n",
])
def test_garbage_file_gives_defaults_and_is_set_aside(store, payload):
    st, warns = store
    st.path.parent.mkdir(parents=True)
    st.path.write_bytes(payload)
    assert apply_saved(Settings(), st, warns) == Settings()
    assert warns and "corrupt" in warns[0]
    st.save({"view": "points"})
    assert st.load() == {"view": "points"}
    assert (st.path.parent / "config.ini.bad").read_bytes() == payload


def test_truncated_file_keeps_the_complete_lines(store):
    st, warns = store
    st.save(settings_changes(Settings(), CHANGED))
    full = st.path.read_text()
    cut = full[:full.index("show_hud") + 5]  # half-written last line: "show_"
    st.path.write_text(cut)
    loaded = st.load()
    assert "show_" not in loaded and loaded["view"] == "depth" and loaded["max_faces"] == "7"
    assert any("dropped" in w for w in warns)
    settings = apply_saved(Settings(), st, warns)
    assert settings.view == "depth" and settings.show_hud is True  # the lost key: default


def test_bad_value_for_one_key_keeps_the_others(store):
    st, warns = store
    st.save({"view": "depth", "max_faces": "lots", "smoothing": "0.9", "show_box": "maybe",
             "no.such.key": "1"})
    settings = apply_saved(Settings(), st, warns, source="config.ini")
    assert settings.view == "depth" and settings.smoothing == 0.9
    assert settings.max_faces == Settings().max_faces and settings.show_box is False
    assert len(warns) == 3 and all(w.startswith("config.ini") for w in warns)
    # The unknown key is still in the file after another save.
    st.save({"view": "mesh"})
    assert st.load()["no.such.key"] == "1"


def test_repeated_section_is_dropped_not_duplicated(store):
    st, warns = store
    st.path.parent.mkdir(parents=True)
    st.path.write_text("[settings]\nview=points\n[settings]\nview=depth\n[other]\na=1\n")
    assert st.load() == {"view": "points"}
    st.save({"max_faces": "3"})
    text = st.path.read_text()
    assert text.count("[settings]") == 1 and "a=1" in text
    assert any("repeated section" in w for w in warns)


def test_failed_write_leaves_the_old_file(store, monkeypatch):
    st, warns = store
    st.save({"view": "points"})
    before = st.path.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(persist.os, "replace", broken_replace)
    st.save({"view": "depth"})  # warns, does not raise
    assert st.path.read_bytes() == before
    assert any("not saved" in w for w in warns)
    assert [p.name for p in st.path.parent.iterdir()] == ["config.ini"]


def test_values_the_format_cannot_hold_are_refused(store):
    st, _ = store
    for key, value in [("a", "x\ny"), ("a=b", "1"), ("a", "1 # 2"), (" ", "1")]:
        with pytest.raises(ValueError):
            st.save({key: value})


def test_memory_store():
    m = MemoryStore()
    m.save({"view": "depth"})
    m.save({"max_faces": "3"})
    assert apply_saved(Settings(), m, print) == Settings(view="depth", max_faces=3)


def test_writes_go_through_a_synced_temp_file(store, monkeypatch):
    st, _ = store
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(persist.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    st.save({"view": "depth"})
    assert synced  # the data reached the disk before the rename
    assert Path(st.path).read_text() == "[settings]\nview = depth\n"


# --- hostile files -------------------------------------------------------------------

def test_saving_keeps_the_files_mode(store):
    st, _ = store
    st.save({"view": "points"})
    for mode in (0o644, 0o640, 0o600):
        st.path.chmod(mode)
        st.save({"max_faces": "3"})
        assert stat.S_IMODE(st.path.stat().st_mode) == mode


def test_a_new_file_gets_the_usual_mode(store):
    st, _ = store
    old = os.umask(0o022)
    try:
        st.save({"view": "points"})
    finally:
        os.umask(old)
    assert stat.S_IMODE(st.path.stat().st_mode) == 0o644  # not mkstemp's 0600


@pytest.mark.parametrize("kind", ["symlink", "folder", "fifo"])
def test_what_is_not_a_regular_file_is_never_read_written_or_replaced(tmp_path, kind):
    warns = Warnings()
    path = tmp_path / "config.ini"
    real = tmp_path / "real.ini"
    real.write_text("[settings]\nview = depth\n")
    if kind == "symlink":
        path.symlink_to(real)
    elif kind == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)  # opening it for reading would block without O_NONBLOCK
    st = IniStore(path, warn=warns)
    assert st.load() == {}
    st.save({"view": "points"})
    assert st.repair() is False
    assert real.read_text() == "[settings]\nview = depth\n"
    assert {"symlink": path.is_symlink, "folder": path.is_dir,
            "fifo": lambda: stat.S_ISFIFO(path.lstat().st_mode)}[kind]()
    assert any("not saved" in w for w in warns) and any("not read" in w for w in warns)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.ini", "real.ini"]


def test_a_huge_file_is_not_read_line_by_line(store):
    """50 MB of junk once gave 640,000 warning lines: anything past MAX_FILE_BYTES is
    not a settings file; it is set aside on the next save."""
    st, warns = store
    st.path.parent.mkdir(parents=True)
    st.path.write_bytes(b"[settings]\n" + b"junk line\n" * (persist.MAX_FILE_BYTES // 10 + 1))
    assert st.load() == {} and len(warns) == 1 and "over" in warns[0]
    st.save({"view": "points"})
    assert st.load() == {"view": "points"}
    assert (st.path.parent / "config.ini.bad").stat().st_size > persist.MAX_FILE_BYTES


def test_repeated_warnings_are_capped(store):
    st, warns = store
    st.path.parent.mkdir(parents=True)
    st.path.write_text("[settings]\nview = points\n" + "junk\n" * 5000)
    assert st.load() == {"view": "points"}
    assert len(warns) == 6 and warns[-1].endswith("4995 more malformed lines not shown")


def test_repair_drops_what_the_device_reader_rejects(store):
    """MaixCDK's inifile2 rejects a whole file for a byte-order mark, a ';' comment, a
    line without '=', a repeated or unclosed section (tests/device checks the real one)."""
    st, warns = store
    st.path.parent.mkdir(parents=True)
    original = ("\ufeff[settings]\nview = points\n; comment\nno equals\nmax_faces=4\n"
                "[other]\na = 1\n[settings]\nview = depth\n[open\nx = 1\n").encode()
    st.path.write_bytes(original)
    st.path.chmod(0o640)
    assert st.repair() is True
    assert st.path.read_text() == "[settings]\nview = points\nmax_faces=4\n[other]\na = 1\n"
    assert (st.path.parent / "config.ini.bad").read_bytes() == original
    assert stat.S_IMODE(st.path.stat().st_mode) == 0o640
    assert st.repair() is False  # clean now
    assert st.load() == {"view": "points", "max_faces": "4"}
