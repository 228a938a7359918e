"""The files a PC run writes: every one checked before the first byte, each written so
that a file in place is always whole.

A run never writes over its own input, through a symbolic link, or over something that
is not a regular file (a folder, /dev/null, a pipe); two outputs never share a file.

One source (a video, a camera, one image): an output is written under a temporary name
next to its final one, `.<name>.<pid>-<random>.part<suffix>`; a run that ends, or is
stopped by a signal, renames it into place; a run that fails (a full disk, an unreadable
source) removes it, so the previous file of that name, if any, is left exactly as it
was. A run killed outright leaves it; the next run writing that output removes it (its
process, named in it, is gone).

Many stills: each still's outputs are in place as soon as that still is done
(`put_file`: an annotated image is written without a name, O_TMPFILE, and linked into
place whole; `AppendFile`: the JSON lines and the report are written in place, each
line synced), so a run killed outright leaves every still done so far and no temporary
file.
"""
from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Iterable

from ..core.persist import (NAME_MAX, cut_name, install, keep_mode_and_owner,
                            not_a_regular_file)


class OutputError(ValueError):
    """An output the run must not write (the message is the `error:` line)."""


def check_output_file(path: Path, what: str) -> None:
    """`path` may be written as output `what` (e.g. "--json"): absent or a regular file,
    in a folder that exists and can be written. OutputError otherwise."""
    reason = not_a_regular_file(path)
    if reason is not None:
        raise OutputError(f"{what} {path} {reason}; give a file name")
    check_folder_writable(path.parent, f"{what} {path}")


def check_folder_writable(folder: Path, what: str) -> None:
    folder = folder if str(folder) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{what}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{what}: cannot write in the folder {folder}")


STDOUT = Path("-")  # `--json -`, `--report -`: standard output, the app's messages on stderr


def file_key(path: Path) -> tuple:
    """What identifies the file `path` names: its device and inode when it exists (hard
    links and symbolic links to one file agree), else its absolute resolved path (a
    symbolic link loop: the link's own path)."""
    try:
        st = os.stat(path)
    except OSError:
        return ("path", os.path.realpath(path))
    return ("inode", st.st_dev, st.st_ino)


def check_distinct(named: Iterable[tuple[str, Path]],
                   reads: Iterable[tuple[str, Path]] = ()) -> None:
    """No two of the (role, path) pairs name the same file, and no output is one of the
    files the app reads (`reads`: (what it is, path), e.g. "the settings file"). Roles are
    the options ("--source", "--json", ...); a clash with "--source" is an output over an
    input."""
    seen: dict[tuple, str] = {}
    for role, path in named:
        key = file_key(path)
        if key in seen:
            first = seen[key]
            if "--source" in (first, role):
                other = role if first.startswith("--source") else first
                raise OutputError(f"{other} {path} is the source: the app never writes over "
                                  "its input; choose another name")
            raise OutputError(f"{first} and {role} name the same file ({path})")
        seen[key] = role
    for what, path in reads:
        role = seen.get(file_key(path), "--source")
        if role != "--source":
            raise OutputError(f"{role} {path} is {what}: the app never writes over a file "
                              "it reads; choose another name")


# `.NAME.PID-XXXXXX.partSUFFIX`: what the name adds to the final one, the suffix aside
# (two dots, a pid of up to 7 digits, a dash, 6 random hex digits, ".part")
_TEMP_EXTRA = 21
_TEMP_NAME = re.compile(r"\.(?P<name>.*)\.(?P<pid>[1-9][0-9]{0,6})-[0-9a-f]{6}\.part"
                        r"(?P<suffix>.*)", re.DOTALL)


def _temp_key(path: Path) -> tuple[str, str]:
    """(the final name as the temporary name holds it, the suffix)."""
    suffix = path.suffix
    return cut_name(path.name, NAME_MAX - _TEMP_EXTRA - len(os.fsencode(suffix))), suffix


def temp_name(path: Path) -> Path:
    """A fresh temporary name for `path`, next to it: `.NAME.PID-XXXXXX.partSUFFIX`,
    which fits in a file name as the final name does (a long name gives up its last
    bytes, never the suffix OpenCV reads the format from) and names its process."""
    name, suffix = _temp_key(path)
    return path.with_name(f".{name}.{os.getpid()}-{secrets.token_hex(3)}.part{suffix}")


def _alive(pid: int) -> bool:
    """Whether a process `pid` exists (anything uncertain counts as alive)."""
    if os.name != "posix" or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process
    return True


class StaleTemps:
    """The temporary files that runs killed outright (`kill -9`, power loss) left in
    `folder`: named as `temp_name` names them, by a process that no longer exists.
    `remove(path)` removes those that were for `path` (and nothing else)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._found: dict[tuple[str, str], list[str]] = {}
        try:
            names = os.listdir(folder)
        except OSError:
            return
        for name in names:
            match = _TEMP_NAME.fullmatch(name)
            if match is not None and not _alive(int(match["pid"])):
                self._found.setdefault((match["name"], match["suffix"]), []).append(name)

    def remove(self, path: Path) -> None:
        for name in self._found.pop(_temp_key(path), []):
            stale = self.folder / name
            try:
                if stat.S_ISREG(os.lstat(stale).st_mode):
                    stale.unlink()
            except OSError:
                pass  # not ours to insist on


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new, empty temporary file for `path` (0600, as mkstemp makes): (fd, its path)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        temp = temp_name(path)
        try:
            return os.open(temp, flags, 0o600), temp
        except FileExistsError:
            continue


class PartFile:
    """An output written under a temporary name next to `path` (same folder, same
    suffix: OpenCV picks the format from it), renamed over `path` by `commit()`;
    `discard()` removes it. Either leaves no temporary file behind; the ones that runs
    killed outright left for `path` are removed when it is made."""

    def __init__(self, path: Path) -> None:
        folder = path.parent if str(path.parent) else Path(".")
        StaleTemps(folder).remove(path)
        fd, self.temp = _create_temp(path)
        os.close(fd)
        self.path = path

    def commit(self) -> None:
        """Put the finished file in place (keeping a replaced file's mode). OSError if
        `path` has meanwhile become something that is not a regular file."""
        try:
            install(self.temp, self.path)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        try:
            self.temp.unlink()
        except FileNotFoundError:
            pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:  # a write may be short
        view = view[os.write(fd, view):]


def put_file(path: Path, data: bytes, *, unnamed: bool = True) -> None:
    """`path` holds `data`, whole and synced, replacing a file of that name (its mode
    and owner kept). OSError if `path` is not a regular file or absent, or if the write
    fails: the old file is then left as it was.

    Where the file system can (Linux: O_TMPFILE), the data go into a file without a
    name, linked into place once whole: a process killed meanwhile leaves nothing. A
    name that is taken is replaced by a rename from a temporary name that lives for
    two system calls. Elsewhere (or `unnamed=False`) the data are written under a
    temporary name, renamed into place (see `temp_name`, `StaleTemps`)."""
    reason = not_a_regular_file(path)
    if reason is not None:
        raise OSError(f"{path} {reason}")
    if unnamed and hasattr(os, "O_TMPFILE") and _put_unnamed(path, data):
        return
    fd, temp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        install(temp, path)
    except BaseException:
        try:
            temp.unlink()
        except OSError:
            pass
        raise


def _put_unnamed(path: Path, data: bytes) -> bool:
    """put_file through O_TMPFILE: False (nothing done) where the file system or the
    system cannot (no O_TMPFILE, no /proc to link from)."""
    folder = path.parent if str(path.parent) else Path(".")
    dir_fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        try:
            fd = os.open(".", os.O_TMPFILE | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), 0o666,
                         dir_fd=dir_fd)
        except OSError as err:
            if err.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
                return False  # a file system (or kernel) without O_TMPFILE
            raise
        try:
            _write_all(fd, data)
            try:
                old: os.stat_result | None = os.lstat(path.name, dir_fd=dir_fd)
            except FileNotFoundError:
                old = None
            keep_mode_and_owner(fd, old)
            os.fsync(fd)
            if not _link(fd, path.name, dir_fd, replace=old is not None):
                return False
        finally:
            os.close(fd)
        try:
            os.fsync(dir_fd)  # the link (or rename) made durable
        except OSError:
            pass
        return True
    finally:
        os.close(dir_fd)


def _link(fd: int, name: str, dir_fd: int, *, replace: bool) -> bool:
    """Give the unnamed file `fd` the name `name` in `dir_fd`: linked there directly
    when it is free, else linked under a temporary name and renamed over it. False
    if it cannot be linked at all (no /proc). os.link follows /proc/self/fd/N only
    through linkat, which a dir_fd makes it use (plain link() would not: EXDEV)."""
    source = f"/proc/self/fd/{fd}"
    if not replace:
        try:
            os.link(source, name, dst_dir_fd=dir_fd)
            return True
        except FileExistsError:
            pass  # made meanwhile: replaced below
        except OSError:
            return False
    while True:
        temp = temp_name(Path(name)).name
        try:
            os.link(source, temp, dst_dir_fd=dir_fd)
            break
        except FileExistsError:
            continue
        except OSError:
            return False
    try:
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(temp, dir_fd=dir_fd)
        except OSError:
            pass
        raise
    return True


class AppendFile:
    """An output of many stills, written in place, one record (a still's JSON line, its
    report frames) at a time. The file is opened (a previous file of that name emptied)
    at the first record, so a run that reads no image leaves it as it was; each record
    is written and synced before `append` returns; a record whose write fails is cut
    back off, so the file ends with the last whole record. A process killed outright
    leaves whole records only, unless the kill lands inside a record's write (a few
    microseconds): that last record is then cut short (a JSON line without its newline).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._size = 0

    def append(self, data: bytes) -> None:
        if self._fd is None:
            self._fd = self._open()
        try:
            _write_all(self._fd, data)
            os.fsync(self._fd)
        except OSError as err:  # a full disk: the run fails, the whole records stay
            try:
                os.ftruncate(self._fd, self._size)
            except OSError:
                pass
            raise write_failed(self.path, err) from err
        self._size += len(data)

    def _open(self) -> int:
        reason = not_a_regular_file(self.path)
        flags = (os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
                 | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            if reason is not None:
                raise OSError(reason)
            fd = os.open(self.path, flags, 0o666)
        except OSError as err:
            raise OSError(f"cannot write {self.path}: "
                          f"{not_a_regular_file(self.path) or err.strerror or err}") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OSError(f"cannot write {self.path}: it is not a regular file")
        folder = self.path.parent if str(self.path.parent) else Path(".")
        try:  # a new file's name made durable with its first record
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError:
            pass
        return fd

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def write_failed(path: Path, err: OSError) -> OSError:
    """`err` saying which output (a full disk at a flush names no file); an error that
    already says it (no errno) is kept."""
    if err.strerror is None:
        return err
    return OSError(f"cannot write {path}: {err.strerror}")
