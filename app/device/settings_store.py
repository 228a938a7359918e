"""On-screen setting changes kept in the app's config file (./data/config.ini, INI).

Each setting is one `key = value` string under the [settings] section, the key being
the dotted key of `Settings.to_flat()` (e.g. `detector.conf_threshold`). Parsing and
validation are the core's (`settings.apply`); this only moves strings.

MaixCDK's INI reader (inifile2) rejects the WHOLE file for one malformed line (no '=',
a ';' comment, a repeated or unclosed section, a byte-order mark): every setting would
be lost at each start, and every save would fail. So before maix first reads the file,
the core's tolerant parser rewrites it without such lines (`IniStore.repair`, the
original kept as config.ini.bad); maix then reads and writes it as usual.
"""
from __future__ import annotations

import os
from typing import Callable, Iterable, Mapping

from maix import app, err

from ..core.persist import IniStore
from ..core.settings import SPECS

SECTION = "settings"
_UNSET = "\x1f<unset>"  # returned for a key that is not in the file; never a saved value


class MaixSettingsStore:
    """`load()` -> the saved `{dotted key: text}`; `save(changes)` writes them."""

    def __init__(self, keys: Iterable[str] = SPECS, section: str = SECTION,
                 warn: Callable[[str], None] = print) -> None:
        self.keys = tuple(keys)
        self.section = section
        # app.get/set_app_config_kv create ./data/config.ini, but not ./data itself.
        os.makedirs(app.get_app_data_path(), exist_ok=True)
        # Before maix's first read: maix caches the file process-wide from then on.
        IniStore(self.path, section, warn=warn).repair()

    @property
    def path(self) -> str:
        return app.get_app_config_path()

    def load(self) -> dict[str, str]:
        saved: dict[str, str] = {}
        for key in self.keys:
            # maix loads ./data/config.ini on the first call and caches it process-wide.
            value = app.get_app_config_kv(self.section, key, _UNSET)
            if value != _UNSET:
                saved[key] = value
        return saved

    def save(self, changes: Mapping[str, str]) -> None:
        """Write `changes` (the file is written once, after the last key)."""
        items = list(changes.items())
        for i, (key, value) in enumerate(items):
            result = app.set_app_config_kv(self.section, key, str(value),
                                           write_file=i == len(items) - 1)
            if result != err.Err.ERR_NONE:
                raise OSError(f"cannot save setting {key} to {self.path}: {result}")
