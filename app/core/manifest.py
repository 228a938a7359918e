"""Reading app.yaml: the MaixHub manifest that also carries the settings' defaults.

Importing PyYAML and parsing app.yaml with it costs the device's CPU about as much as
importing numpy (~0.1 billion x86 instructions here), at every start, for a file that
changes only with an update. So `read_defaults` can keep the parsed document as JSON in
a cache file keyed by app.yaml's size and modification time (as Python keeps .pyc
files) and reads that while app.yaml is unchanged. The settings are validated from the
document either way, so a bad value warns at every start.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable

from .settings import Settings, from_manifest

CACHE_FORMAT = 1


def read_manifest(path: Path, warn: Callable[[str], None]) -> dict[str, Any]:
    """The parsed manifest, or {} (with a warning) if it is missing or not valid YAML."""
    import yaml  # only when app.yaml is parsed (see the module doc)

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
        warn(f"{path.name}: cannot read ({reason}); using built-in defaults")
        return {}
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        warn(f"{path.name}: not valid YAML{where}; using built-in defaults")
        return {}
    if not isinstance(data, dict):
        warn(f"{path.name}: expected a mapping at the top; using built-in defaults")
        return {}
    return data


def _key(path: Path) -> list[int] | None:
    """What identifies this version of the file: [format, size, mtime in ns]."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [CACHE_FORMAT, st.st_size, st.st_mtime_ns]


def _cached(path: Path, cache: Path) -> dict[str, Any] | None:
    """The document cached for this version of `path`, or None (absent, stale, corrupt)."""
    key = _key(path)
    try:
        with open(cache, encoding="utf-8") as f:
            stored = json.load(f)
    except (OSError, ValueError):
        return None
    if (not isinstance(stored, dict) or key is None or stored.get("key") != key
            or not isinstance(stored.get("manifest"), dict)):
        return None
    return stored["manifest"]


def _store(path: Path, cache: Path, data: dict[str, Any]) -> None:
    """Keep the parsed document; a cache that cannot be written is simply not kept."""
    from .persist import write_atomic

    key = _key(path)
    if key is None or not data:
        return
    try:
        text = json.dumps({"key": key, "manifest": data}, ensure_ascii=False)
        write_atomic(cache, text.encode("utf-8"))
    except (OSError, TypeError, ValueError):  # a read-only app folder; YAML JSON cannot hold
        pass


def read_defaults(path: Path, warn: Callable[[str], None], cache: Path | None = None) -> Settings:
    """The settings' defaults: app.yaml's `settings:` over the built-in ones. With
    `cache`, the parsed app.yaml is kept there (JSON) and reused while it is unchanged."""
    data = _cached(path, cache) if cache is not None else None
    if data is None:
        data = read_manifest(path, warn)
        if cache is not None:
            _store(path, cache, data)
    return from_manifest(data, warn, source=path.name)
