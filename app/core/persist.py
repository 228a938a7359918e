"""User changes saved as flat dotted keys in an INI section, as MaixPy's app config does.

The device stores per-app strings with `app.set_app_config_kv(section, key, value)` in
`data/config.ini` (MaixCDK inifile2: `[section]` headers, `key=value` lines, `#`
comments). `IniStore` reads and writes the same file on a PC, so a config can move
between the two. The device adapter implements `SettingsStore` with get/set_app_config_kv.

Robustness: writes are atomic (temp file, fsync, os.replace); a file that cannot be
decoded gives a warning and no values (it is kept as `<name>.bad` when next saved); an
undecipherable line is warned about and skipped while every other key survives; keys
and sections this app does not know are written back untouched.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Protocol

from .settings import Settings, apply

DEFAULT_SECTION = "settings"


class SettingsStore(Protocol):
    def load(self) -> dict[str, str]:
        """Every stored `{dotted key: value string}` (empty if nothing is stored)."""
        ...

    def save(self, changes: dict[str, str]) -> None:
        """Store these keys (others stay as they are)."""
        ...


def format_value(value: object) -> str:
    """A setting as the string stored: true/false, repr-exact numbers, text as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def settings_changes(old: Settings, new: Settings) -> dict[str, str]:
    """`{dotted key: stored string}` for every setting that differs between old and new."""
    before, after = old.to_flat(), new.to_flat()
    return {k: format_value(v) for k, v in after.items() if before[k] != v}


def apply_saved(base: Settings, store: SettingsStore, warn: Callable[[str], None],
                source: str = "config") -> Settings:
    """`base` with the stored changes applied; bad or unknown entries are warned about."""
    return apply(base, store.load(), source, warn)


@dataclass
class MemoryStore:
    """A SettingsStore in a dict (tests, or when nothing should be written)."""

    values: dict[str, str] = field(default_factory=dict)

    def load(self) -> dict[str, str]:
        return dict(self.values)

    def save(self, changes: dict[str, str]) -> None:
        self.values.update(changes)


# --- INI --------------------------------------------------------------------------


@dataclass
class _Line:
    """One kept line of the file, verbatim, with the section it belongs to.

    key:    set for `key = value` lines; header: set for `[section]` lines.
    """

    text: str
    section: str
    key: str | None = None
    header: bool = False


def _strip_comment(line: str) -> str:
    # As inifile2: everything from the first '#' on is a comment.
    return line.split("#", 1)[0].strip()


def _parse(text: str, origin: str, warn: Callable[[str], None]) -> list[_Line]:
    """The lines of an INI text worth keeping; malformed ones are warned about and dropped.

    A repeated or nameless `[section]` makes inifile2 reject the whole file, so such a
    section is dropped with its keys rather than written back.
    """
    lines: list[_Line] = []
    section: str | None = ""  # keys before any header belong to "" (as in inifile2)
    seen = {""}
    for number, raw in enumerate(text.splitlines(), 1):
        clean = _strip_comment(raw)
        if not clean:
            if section is not None:
                lines.append(_Line(raw, section))
        elif clean.startswith("["):
            name = clean[1:clean.find("]")].strip() if "]" in clean else ""
            if not name or name in seen:
                warn(f"{origin}:{number}: bad or repeated section {clean[:40]!r} dropped")
                section = None
                continue
            seen.add(name)
            section = name
            lines.append(_Line(raw, name, header=True))
        elif section is None:
            continue  # inside a dropped section
        elif "=" not in clean or not clean.split("=", 1)[0].strip():
            warn(f"{origin}:{number}: not 'key = value', dropped: {clean[:40]!r}")
        else:
            lines.append(_Line(raw, section, clean.split("=", 1)[0].strip()))
    return lines


def _value(line: _Line) -> str:
    return _strip_comment(line.text).split("=", 1)[1].strip()


def _merge(lines: list[_Line], section: str, changes: Mapping[str, str]) -> str:
    """The file text with `changes` set in `section` (added after its last key if new)."""
    pending = dict(changes)
    out: list[str] = []
    insert_at: int | None = None  # just after the section's header / last key
    for line in lines:
        if line.section == section and line.key is not None and line.key in changes:
            if line.key in pending:  # the first occurrence is the one read back
                out.append(f"{line.key} = {pending.pop(line.key)}")
            # later repeats of a changed key are dropped
        else:
            out.append(line.text)
        if line.section == section and (line.key is not None or line.header):
            insert_at = len(out)
    added = [f"{k} = {v}" for k, v in pending.items()]
    if added and insert_at is not None:
        out[insert_at:insert_at] = added
    elif added:
        if out and out[-1].strip():
            out.append("")
        out += [f"[{section}]", *added]
    return "\n".join(out) + "\n"


class IniStore:
    """A SettingsStore on an INI file (the PC's data/config.ini).

    path:    the file (its folder is created on the first save).
    section: the INI section holding this app's keys.
    warn:    called with a message for anything skipped or recovered.
    """

    def __init__(self, path: Path | str, section: str = DEFAULT_SECTION,
                 warn: Callable[[str], None] = print) -> None:
        if not section or any(c in section for c in "[]#\n"):
            raise ValueError(f"bad INI section name {section!r}")
        self.path = Path(path)
        self.section = section
        self.warn = warn

    def _read(self) -> list[_Line] | None:
        """The file's lines; [] if absent; None if it is unreadable as text."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as err:
            self.warn(f"{self.path}: cannot read ({err}); using defaults")
            return None
        try:
            text = data.decode("utf-8")
            if "\x00" in text:
                raise UnicodeDecodeError("utf-8", data, 0, 1, "NUL byte")
        except UnicodeDecodeError:
            self.warn(f"{self.path}: not a text file (corrupt?); using defaults")
            return None
        return _parse(text, str(self.path), self.warn)

    def load(self) -> dict[str, str]:
        """This section's `{key: value}`; the first of repeated keys wins (as on the device)."""
        out: dict[str, str] = {}
        for line in self._read() or []:
            if line.section == self.section and line.key is not None:
                out.setdefault(line.key, _value(line))
        return out

    def save(self, changes: dict[str, str]) -> None:
        """Merge `changes` into the section and replace the file atomically.

        A failed write (read-only or full disk) is warned about, not raised: the app
        keeps running with its settings in memory. A key or value the format cannot
        hold (newline, '#', '=' in a key) is a ValueError.
        """
        for key, value in changes.items():
            if "\n" in key + value or "#" in key + value or "=" in key or not key.strip():
                raise ValueError(f"cannot store {key!r} = {value!r} in an INI file")
        if not changes:
            return
        lines = self._read()
        try:
            if lines is None:  # keep the unreadable file for inspection, start afresh
                backup = self.path.with_name(self.path.name + ".bad")
                os.replace(self.path, backup)
                self.warn(f"{self.path}: unreadable file moved to {backup}")
                lines = []
            _write_atomic(self.path, _merge(lines, self.section, changes))
        except OSError as err:
            self.warn(f"{self.path}: settings not saved ({err})")


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable (POSIX; Windows cannot open folders)
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
