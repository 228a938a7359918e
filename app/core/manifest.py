"""Reading app.yaml: the MaixHub manifest that also carries the settings' defaults."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import yaml

from .settings import Settings, from_manifest


def read_manifest(path: Path, warn: Callable[[str], None]) -> dict[str, Any]:
    """The parsed manifest, or {} (with a warning) if it is missing or not valid YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        warn(f"{path.name}: cannot read ({err.strerror}); using built-in defaults")
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        warn(f"{path.name}: not valid YAML{where}; using built-in defaults")
        return {}
    if not isinstance(data, dict):
        warn(f"{path.name}: expected a mapping at the top; using built-in defaults")
        return {}
    return data


def read_defaults(path: Path, warn: Callable[[str], None]) -> Settings:
    """The settings' defaults: app.yaml's `settings:` over the built-in ones."""
    return from_manifest(read_manifest(path, warn), warn, source=path.name)
