"""Turn command-line paths into input files: walk directories, read bytes, never raise.

Walking follows symlinked directories once (loops are cut by resolved path), skips hidden
folders and the usual vendored trees, and honours `exclude` globs from the config.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from .config import Config
from .engine import InputFile

EXTENSIONS = (".yaml", ".yml", ".json")
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".terraform"})


def walk(paths: Iterable[str], config: Config, *, force_exclude: bool = False) -> Iterator[tuple[str, bool]]:
    """(path, explicit) for every file to lint; explicit files are those named on the command line.

    ``force_exclude`` applies the config's ``exclude`` to named files too (pre-commit names every
    changed file, and the user's excludes should still hold).
    """
    seen_dirs: set[str] = set()
    seen_files: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if force_exclude and config.excluded(raw):
            continue
        if path.is_dir():
            yield from _walk_dir(path, config, seen_dirs, seen_files)
        elif raw not in seen_files:
            seen_files.add(raw)
            yield raw, True


def _walk_dir(root: Path, config: Config, seen_dirs: set[str], seen_files: set[str]) -> Iterator[tuple[str, bool]]:
    try:
        real = os.path.realpath(root)
    except OSError:
        return
    if real in seen_dirs:
        return
    seen_dirs.add(real)
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        path = os.path.join(root, entry.name)
        if config.excluded(path):
            continue
        try:
            is_dir = entry.is_dir()  # follows symlinks; a broken link is neither
        except OSError:  # a link in a loop: listed if it looks like a manifest, and reported unreadable
            is_dir = False
        if is_dir:
            if entry.name.startswith(".") or entry.name in SKIP_DIRS:
                continue
            yield from _walk_dir(Path(path), config, seen_dirs, seen_files)
        elif entry.name.lower().endswith(EXTENSIONS) and path not in seen_files:
            seen_files.add(path)
            yield path, False


def repository_root(start: Path) -> Path:
    """The git work tree holding ``start`` (a folder with ``.git``), else ``start`` itself."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


SETTLED_NS = 2_000_000_000  # a file unchanged this long has a status the cache may trust


def read(path: str, explicit: bool, config: Config, *, defer: bool = False) -> InputFile:
    """Read one file's bytes; any failure becomes an InputFile with an error, not an exception.

    The file's status (size, times, inode) is kept as its ``signature`` once it has been still
    for SETTLED_NS: a later change is bound to alter it, so the report cache may recognise the
    file by its status alone. With ``defer``, such a file is not read now: the engine reads it
    only if the cache does not know it (a warm run of a large repository reads nothing)."""
    try:
        status = os.stat(path)
        if stat.S_ISDIR(status.st_mode):
            return InputFile(path, None, "is a directory, not a file", explicit)
        signature = file_signature(status)
        if status.st_size > config.max_file_size:
            with open(path, "rb") as handle:  # the head alone: enough to say what the file is
                head = handle.read(config.max_file_size + 1)
            return InputFile(path, head, None, explicit, status.st_size)
        if defer and signature is not None:
            return InputFile(path, None, None, explicit, signature=signature, deferred=True)
        with open(path, "rb") as handle:
            return read_stream(handle, path, explicit, config, signature)
    except FileNotFoundError:
        return InputFile(path, None, "no such file (or a broken symbolic link)", explicit)
    except PermissionError:
        return InputFile(path, None, "permission denied", explicit)
    except OSError as exc:
        return InputFile(path, None, f"cannot read: {exc.strerror or exc}", explicit)


def file_signature(status: os.stat_result) -> tuple[int, int, int, int] | None:
    """(size, mtime, ctime, inode) of a regular file that has been still for SETTLED_NS, else
    None: a change within the filesystem's clock tick of the last one could leave it unchanged."""
    if not stat.S_ISREG(status.st_mode) or time.time_ns() - max(status.st_mtime_ns, status.st_ctime_ns) < SETTLED_NS:
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


def read_stream(handle: BinaryIO, path: str, explicit: bool, config: Config,
                signature: tuple[int, int, int, int] | None = None) -> InputFile:
    """All of a stream (stdin, a file that grew since it was measured), but never more than
    the size limit in memory: past it, the rest is counted and dropped."""
    data = handle.read(config.max_file_size + 1)
    if len(data) <= config.max_file_size:
        return InputFile(path, data, None, explicit, signature=signature)
    size = len(data)
    while chunk := handle.read(1 << 20):
        size += len(chunk)
    return InputFile(path, data, None, explicit, size)
