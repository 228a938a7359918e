"""Settings: defaults from app.yaml, validation that warns and keeps defaults."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.core.manifest import read_defaults, read_manifest
from app.core.settings import SPECS, Settings, apply, describe, from_manifest

ROOT = Path(__file__).resolve().parents[2]


def collect():
    messages: list[str] = []
    return messages, messages.append


def test_app_yaml_defaults_are_the_built_in_defaults():
    """app.yaml is where a user reads and changes the defaults; the built-in ones are
    what the app falls back to when app.yaml is damaged: they must be the same values."""
    messages, warn = collect()
    settings = read_defaults(ROOT / "app.yaml", warn)
    assert messages == []
    assert settings == Settings()


def test_app_yaml_names_every_setting():
    flat_keys = set(SPECS)
    manifest = read_manifest(ROOT / "app.yaml", lambda m: None)
    from app.core.settings import flatten
    assert set(flatten(manifest["settings"])) == flat_keys


@pytest.mark.parametrize("key, raw, expected", [
    ("max_faces", 4, 4), ("max_faces", "7", 7), ("view", "depth", "depth"),
    ("show_hud", "off", False), ("show_box", True, True), ("smoothing", "0.25", 0.25),
    ("detector.conf_threshold", 0.7, 0.7), ("pc.detector", "short_range", "short_range"),
    ("signals.blink_max_s", "0.3", 0.3), ("signals.gaze_dead_zone", 0, 0.0),
    ("signals.eye_closed_below", 0.2, 0.2), ("signals.long_closure_s", 2, 2.0),
])
def test_valid_values_apply(key, raw, expected):
    messages, warn = collect()
    settings = apply(Settings(), {key: raw}, "test", warn)
    assert messages == []
    assert getattr(settings, SPECS[key].name) == expected


@pytest.mark.parametrize("key, raw", [
    ("max_faces", 0), ("max_faces", 11), ("max_faces", 2.5), ("max_faces", "many"),
    ("view", "wireframe"), ("points_subset", 100), ("show_hud", "maybe"),
    ("detector.conf_threshold", 1.5), ("detector.conf_threshold", "nan"),
    ("smoothing", True), ("pc.models_dir", {"a": 1}),
    ("signals.gaze_dead_zone", 1.0), ("signals.blink_max_s", 0), ("signals.eye_adapt_s", "x"),
    ("signals.eye_open_above", -0.1),
])
def test_bad_values_warn_and_keep_the_default(key, raw):
    messages, warn = collect()
    settings = apply(Settings(), {key: raw}, "test", warn)
    assert settings == Settings()
    assert len(messages) == 1 and key in messages[0]


def test_unknown_key_warns_and_the_rest_still_applies():
    messages, warn = collect()
    settings = from_manifest({"settings": {"max_faces": 3, "colour": "red",
                                           "detector": {"conf_threshold": 0.6, "typo": 1}}}, warn)
    assert settings.max_faces == 3 and settings.detector_conf_threshold == 0.6
    assert sorted(messages) == sorted(["app.yaml: unknown setting 'colour' ignored",
                                       "app.yaml: unknown setting 'detector.typo' ignored"])


@pytest.mark.parametrize("text", ["settings: [1, 2", "- just\n- a list\n", "\x00\x01binary"])
def test_corrupt_manifest_gives_defaults_and_one_warning(tmp_path, text):
    path = tmp_path / "app.yaml"
    path.write_text(text)
    messages, warn = collect()
    assert read_defaults(path, warn) == Settings()
    assert len(messages) == 1


def test_missing_manifest_gives_defaults(tmp_path):
    messages, warn = collect()
    assert read_defaults(tmp_path / "nope.yaml", warn) == Settings()
    assert "cannot read" in messages[0]


def test_settings_section_of_the_wrong_type():
    messages, warn = collect()
    assert from_manifest({"settings": [1, 2]}, warn) == Settings()
    assert "mapping" in messages[0]


def test_describe_lists_every_setting():
    lines = list(describe())
    assert len(lines) == len(SPECS)
    assert any(line.startswith("max_faces = 2 [1..10]") for line in lines)


@pytest.mark.parametrize("raw", ["inf", "-inf", "1e400", "nan", float("inf"), float("nan"),
                                 10 ** 400, "9" * 400, [1], None, True])
@pytest.mark.parametrize("key", ["max_faces", "smoothing", "detector.interval",
                                 "pc.crop_scale", "pc.threads"])
def test_non_finite_and_out_of_type_numbers_warn_and_keep_the_default(key, raw):
    """`max_faces = inf` ended every start in an OverflowError (int(inf)): on the device
    that file is read at every launch. Every numeric setting refuses it."""
    messages, warn = collect()
    assert apply(Settings(), {key: raw}, "test", warn) == Settings()
    assert len(messages) == 1 and key in messages[0]


def test_a_huge_number_in_app_yaml_keeps_the_default(tmp_path):
    path = tmp_path / "app.yaml"
    path.write_text("settings:\n  max_faces: 1e400\n  smoothing: .inf\n  detector:\n"
                    "    interval: 1e400\n")
    messages, warn = collect()
    assert read_defaults(path, warn) == Settings()
    assert len(messages) == 3


def test_many_bad_entries_are_named_five_at_a_time():
    messages, warn = collect()
    apply(Settings(), {f"key{i}": 1 for i in range(1000)}, "big.ini", warn)
    assert len(messages) == 6 and messages[-1] == "big.ini: 995 more bad or unknown settings not shown"


def test_app_yaml_is_parsed_once_and_kept_until_it_changes(tmp_path):
    """The cache: the same settings without importing PyYAML while app.yaml is the same;
    a changed app.yaml is read again; a damaged cache is ignored and replaced; a bad
    value warns at every start, cached or not."""
    import json
    import os
    import subprocess
    import sys

    manifest, cache = tmp_path / "app.yaml", tmp_path / "data" / "app.yaml.json"
    manifest.write_text((ROOT / "app.yaml").read_text().replace("max_faces: 2", "max_faces: 3")
                        .replace("smoothing: 0.5", "smoothing: 7"))
    code = ("import sys, json; sys.path.insert(0, sys.argv[1])\n"
            "from pathlib import Path\n"
            "from app.core.manifest import read_defaults\n"
            "warnings = []\n"
            "s = read_defaults(Path(sys.argv[2]), warnings.append, Path(sys.argv[3]))\n"
            "print(json.dumps([s.max_faces, s.smoothing, warnings, 'yaml' in sys.modules]))\n")

    def start():
        out = subprocess.run([sys.executable, "-c", code, str(ROOT), str(manifest), str(cache)],
                             capture_output=True, text=True, check=True).stdout
        return json.loads(out)

    first = start()
    assert first[:2] == [3, 0.5] and len(first[2]) == 1 and first[3]  # parsed, warned
    assert cache.is_file()
    second = start()
    assert second == [3, 0.5, first[2], False]  # from the cache: no PyYAML, same warning
    manifest.write_text(manifest.read_text().replace("max_faces: 3", "max_faces: 4"))
    os.utime(manifest, ns=(1, 1))  # a new version, whatever the clock's resolution
    assert start()[0] == 4
    assert start()[3] is False  # cached again
    cache.write_text("{not json")
    assert start()[:2] == [4, 0.5] and json.loads(cache.read_text())["manifest"]
