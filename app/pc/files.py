"""The files a PC run writes: every one checked before the first byte, each written under
a temporary name and renamed into place only when it is whole.

A run never writes over its own input, through a symbolic link, or over something that
is not a regular file (a folder, /dev/null, a pipe); two outputs never share a file.
While the run goes, an output is `.<name>.<random>.part<suffix>` next to its final name;
a run that ends, or is stopped by a signal, renames it into place; a run that fails
(a full disk, an unreadable source) removes it, so the previous file of that name, if
any, is left exactly as it was.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable

from ..core.persist import NAME_MAX, cut_name, install, not_a_regular_file


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


class PartFile:
    """An output written under a temporary name next to `path` (same folder, same
    suffix: OpenCV picks the format from it), renamed over `path` by `commit()`;
    `discard()` removes it. Either leaves no temporary file behind."""

    def __init__(self, path: Path) -> None:
        folder = path.parent if str(path.parent) else Path(".")
        # `.NAME.XXXXXXXX.partSUFFIX` must fit in a file name as the final name does: a
        # long name gives up its last bytes, never the suffix OpenCV reads the format from.
        prefix = f".{cut_name(path.name, NAME_MAX - 15 - len(os.fsencode(path.suffix)))}."
        fd, temp = tempfile.mkstemp(prefix=prefix, suffix=f".part{path.suffix}", dir=folder)
        os.close(fd)
        self.path = path
        self.temp = Path(temp)

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



def write_failed(path: Path, err: OSError) -> OSError:
    """`err` saying which output (a full disk at a flush names no file); an error that
    already says it (no errno) is kept."""
    if err.strerror is None:
        return err
    return OSError(f"cannot write {path}: {err.strerror}")
