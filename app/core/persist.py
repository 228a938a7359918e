"""User changes saved as flat dotted keys in an INI section, as MaixPy's app config does.

The device stores per-app strings with `app.set_app_config_kv(section, key, value)` in
`data/config.ini` (MaixCDK inifile2: `[section]` headers, `key=value` lines, `#`
comments). `IniStore` reads and writes the same file on a PC, so a config can move
between the two. The device adapter implements `SettingsStore` with get/set_app_config_kv.

Robustness: writes are atomic (temp file, fsync, os.replace) and keep the file's mode;
a file that cannot be decoded (binary, over MAX_FILE_BYTES) gives a warning and no values
(it is kept as `<name>.bad` when next saved); an undecipherable line is warned about and
skipped while every other key survives (the first few are named, the rest counted);
keys and sections this app does not know are written back untouched. Something that is
not a regular file (a symbolic link, a folder, a device, a pipe) is never read, written
through or replaced.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Protocol

from .settings import CappedWarnings, Settings, apply

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

# A settings file is a few hundred bytes; anything past this is not one (and reading a
# 50 MB file line by line is how a hostile file would stall the start).
MAX_FILE_BYTES = 1 << 20


def not_a_regular_file(path: Path | str) -> str | None:
    """Why `path` must not be read, written through or replaced as a file the app owns;
    None when it is a regular file or does not exist. Symbolic links count as foreign:
    replacing one would cut the link, writing through it would write elsewhere."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as err:
        return f"cannot be checked ({err.strerror})"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "is a symbolic link"
    if stat.S_ISDIR(mode):
        return "is a folder"
    return "is not a regular file (a device, a pipe or a socket)"


@dataclass
class _Line:
    """One kept line of the file, verbatim, with the section it belongs to.

    key:    set for `key = value` lines; header: set for `[section]` lines.
    """

    text: str
    section: str
    key: str | None = None
    header: bool = False


@dataclass
class _Contents:
    """What reading the file gave.

    lines:   the lines worth keeping (empty for an absent, corrupt or foreign file).
    dirty:   the file holds something the device's reader rejects (a malformed line, a
             repeated section, a byte-order mark): writing `lines` back would clean it.
    corrupt: not text at all or far too large: no values; set aside as .bad on a save.
    foreign: why the path is not ours to read or write (see not_a_regular_file).
    """

    lines: list[_Line]
    dirty: bool = False
    corrupt: bool = False
    foreign: str | None = None


def _strip_comment(line: str) -> str:
    # As inifile2: everything from the first '#' on is a comment.
    return line.split("#", 1)[0].strip()


def _parse(text: str, origin: str, warn: Callable[[str], None]) -> tuple[list[_Line], int]:
    """The lines of an INI text worth keeping, and how many were dropped; malformed ones
    are warned about (the first few, then a count) and dropped.

    MaixCDK's inifile2 rejects the whole file for one line without '=', a ';' comment,
    a repeated, nameless or unclosed `[section]`: such a line is dropped (a bad section
    with its keys) rather than kept or written back.
    """
    lines: list[_Line] = []
    capped = CappedWarnings(warn, origin, "malformed lines")
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
                capped(f"{origin}:{number}: bad or repeated section {clean[:40]!r} dropped")
                section = None
                continue
            seen.add(name)
            section = name
            lines.append(_Line(raw, name, header=True))
        elif section is None:
            continue  # inside a dropped section: its keys go with it
        elif clean.startswith(";") or "=" not in clean or not clean.split("=", 1)[0].strip():
            capped(f"{origin}:{number}: not 'key = value', dropped: {clean[:40]!r}")
        else:
            lines.append(_Line(raw, section, clean.split("=", 1)[0].strip()))
    capped.close()
    return lines, len(text.splitlines()) - len(lines)


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


def _read_regular(path: Path) -> bytes:
    """At most MAX_FILE_BYTES + 1 bytes of `path`, never through a symbolic link and
    never from a device or a pipe (opened without blocking, checked once open).
    FileNotFoundError if absent; OSError(reason) for anything that is not ours."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as err:
        raise OSError(not_a_regular_file(path) or f"cannot read ({err.strerror})") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(not_a_regular_file(path) or "is not a regular file")
        return f.read(MAX_FILE_BYTES + 1)


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

    def _read(self) -> _Contents:
        try:
            data = _read_regular(self.path)
        except FileNotFoundError:
            return _Contents([])
        except OSError as err:
            return _Contents([], foreign=str(err))
        if len(data) > MAX_FILE_BYTES:
            self.warn(f"{self.path}: over {MAX_FILE_BYTES} bytes, not a settings file "
                      "(corrupt?); using defaults")
            return _Contents([], corrupt=True)
        try:
            text = data.decode("utf-8")
            if "\x00" in text:
                raise UnicodeDecodeError("utf-8", data, 0, 1, "NUL byte")
        except UnicodeDecodeError:
            self.warn(f"{self.path}: not a text file (corrupt?); using defaults")
            return _Contents([], corrupt=True)
        bom = text.startswith("\ufeff")  # some editors write one; inifile2 rejects it
        if bom:
            self.warn(f"{self.path}: starts with a byte-order mark (maix's reader rejects "
                      "it); read without it, removed when next saved")
        lines, dropped = _parse(text[1:] if bom else text, str(self.path), self.warn)
        return _Contents(lines, dirty=bom or dropped > 0)

    def load(self) -> dict[str, str]:
        """This section's `{key: value}`; the first of repeated keys wins (as on the device)."""
        contents = self._read()
        if contents.foreign is not None:
            self.warn(f"{self.path} {contents.foreign}: settings not read")
        out: dict[str, str] = {}
        for line in contents.lines:
            if line.section == self.section and line.key is not None:
                out.setdefault(line.key, _value(line))
        return out

    def save(self, changes: dict[str, str]) -> None:
        """Merge `changes` into the section and replace the file atomically.

        A failed write (read-only or full disk, a path that is not a regular file) is
        warned about, not raised: the app keeps running with its settings in memory. A
        key or value the format cannot hold (newline, '#', '=' in a key) is a ValueError.
        """
        for key, value in changes.items():
            if "\n" in key + value or "#" in key + value or "=" in key or not key.strip():
                raise ValueError(f"cannot store {key!r} = {value!r} in an INI file")
        if not changes:
            return
        contents = self._read()
        try:
            if contents.foreign is not None:
                raise OSError(f"the path {contents.foreign}")
            if contents.corrupt:  # keep the unreadable file for inspection, start afresh
                self._set_aside()
            write_atomic(self.path, _merge(contents.lines, self.section, changes).encode())
        except OSError as err:
            self.warn(f"{self.path}: settings not saved ({err})")

    def repair(self) -> bool:
        """Rewrite the file without what MaixCDK's inifile2 would reject the whole file
        for (malformed lines, bad sections, a byte-order mark), so that every good key
        survives on the device; the original is kept as `<name>.bad`. A corrupt file is
        set aside. True if the file was changed."""
        contents = self._read()
        if contents.foreign is not None or not (contents.dirty or contents.corrupt):
            return False
        try:
            if contents.corrupt:
                self._set_aside()
                return True
            write_atomic(self._backup, self.path.read_bytes())
            text = "\n".join(line.text for line in contents.lines)
            write_atomic(self.path, (text + "\n" if text else "").encode())
        except OSError as err:
            self.warn(f"{self.path}: cannot repair ({err})")
            return False
        self.warn(f"{self.path}: malformed lines removed (the original is kept as {self._backup})")
        return True

    @property
    def _backup(self) -> Path:
        return self.path.with_name(self.path.name + ".bad")

    def _set_aside(self) -> None:
        reason = not_a_regular_file(self._backup)
        if reason is not None:
            raise OSError(f"{self._backup} {reason}")
        os.replace(self.path, self._backup)
        self.warn(f"{self.path}: unreadable file moved to {self._backup}")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


NAME_MAX = 255  # bytes in one file name (ext4, XFS, btrfs, tmpfs)


def cut_name(name: str, limit: int) -> str:
    """`name` cut to at most `limit` bytes, for a temporary name that must fit in a file
    name as the final one does (it may end mid-character: it is never shown)."""
    return os.fsdecode(os.fsencode(name)[:max(limit, 1)])


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data`: a synced temp file in the same folder, renamed over it
    (see `install`). OSError if `path` is not a regular file or absent, or if the write
    fails: the old file is then left as it was."""
    reason = not_a_regular_file(path)
    if reason is not None:
        raise OSError(f"{path} {reason}")
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # only when a file is written: not on every start

    # NAME.XXXXXXXX.tmp: the name gives up its last bytes to fit (13 for the rest)
    fd, tmp = tempfile.mkstemp(prefix=cut_name(path.name, NAME_MAX - 13) + ".", suffix=".tmp",
                               dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        install(Path(tmp), path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def install(temp: Path, path: Path) -> None:
    """Rename the finished file `temp` (in `path`'s folder) over `path`, durably: its
    data synced first, the rename synced after. The new file keeps the old one's mode
    (and owner, where allowed); a new one gets the usual 0666 & ~umask. OSError, with
    `temp` left for the caller to remove, if `path` is not a regular file or absent
    (never replaced: a symbolic link, a folder, a device)."""
    reason = not_a_regular_file(path)
    if reason is not None:
        raise OSError(f"{path} {reason}")
    try:
        old: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        old = None
    fd = os.open(temp, os.O_RDONLY)
    try:
        keep_mode_and_owner(fd, old)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)
    _sync_folder(path.parent)


def keep_mode_and_owner(fd: int, old: os.stat_result | None) -> None:
    """mkstemp makes 0600 files: give the new file the old one's mode (a user's 0644
    stays 0644) and, where allowed (root), its owner."""
    if old is None:
        os.fchmod(fd, 0o666 & ~_umask())
        return
    if hasattr(os, "fchown") and (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
        try:
            os.fchown(fd, old.st_uid, old.st_gid)
        except OSError:
            pass  # not allowed to give it away: the mode is still kept
    os.fchmod(fd, stat.S_IMODE(old.st_mode))


def _sync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX; Windows cannot open folders)."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
