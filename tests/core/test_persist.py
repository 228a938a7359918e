"""Settings persisted as flat keys in an INI section: round trip and recovery from bad files."""
from __future__ import annotations

import os
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
