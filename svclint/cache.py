"""The report cache: each file's report (its findings and its summaries for the cross-checks),
kept under the file's path and a hash of its bytes, in one SQLite database per *fingerprint*.

The fingerprint covers svclint's version and code, the rules and schemas it ships, the
configuration, the parser and the Python version: anything that could change a report changes
it, so a report is reused only for the same bytes read by the same svclint with the same
settings. Cross-checks always run again, from the cached summaries, so a change in one file is
seen by the findings of every other; a run over exactly the same files and bytes as a recent
one reuses that run's findings whole.

A file is recognised by its content hash. Its status (size, times, inode; see
``discover.file_signature``) is kept beside the hash once the file has been still for a while,
and a file whose status is unchanged is taken to hold the same bytes without being read again,
as git's index does. Rows are written one file at a time, so a run that changed one file writes
one row, and a run reads the summaries of a context file without its findings.

Location: ``--cache-dir``, else ``$SVCLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/svclint`` (or
``~/.cache/svclint``): outside the repository, so a cache cannot be committed and handed to
someone else. Any of it may be deleted at any time. A database that cannot be read is ignored
and replaced; a stored record that holds anything but svclint's own record types is refused by
the loader, so a planted file cannot run code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import io
import os
import pickle
import sqlite3
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from . import __version__
from .config import Config
from .diagnostics import Diagnostic
from .engine import FileReport, InputFile
from .index import offers
from .suppress import Suppressions

FORMAT = 2
KEPT_RUNS = 8  # results of whole runs kept (a few command lines, each over its own files)
KEPT_DATABASES = 8  # fingerprints kept (settings or versions used lately); older ones are deleted
WRITE_AHEAD_MIN_ROWS = 200  # fewer rows are written at once, sooner than a writer process starts
STALE_ROWS = 1_000  # rows of files no longer seen, kept until this many beyond the run's own
_MODULES = ("svclint.", "builtins", "re", "pathlib", "ipaddress")
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, content BLOB NOT NULL, flags INTEGER NOT NULL,"
    " size INTEGER, mtime INTEGER, ctime INTEGER, inode INTEGER, context BLOB NOT NULL, report BLOB)",
    "CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, used INTEGER NOT NULL, record BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # what each file's summaries may mean to other files (index.offers): a run that reports a few
    # files loads only the context files that offer something those files need
    "CREATE TABLE IF NOT EXISTS offers (key TEXT NOT NULL, path TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS offers_by_key ON offers (key)",
    "CREATE INDEX IF NOT EXISTS offers_by_path ON offers (path)",
)


@dataclass
class RunRecord:
    """The outcome of a whole run: its findings after cross-checks and suppression."""

    diagnostics: list[Diagnostic]
    documents: int
    objects: int


class _Row(NamedTuple):
    content: bytes  # hash of the file's bytes
    flags: int  # how the file was read (explicit, partial): part of what its report depends on
    signature: tuple[int, int, int, int] | None
    full: bool  # the row holds findings, not only the summaries of a context file


def default_directory() -> Path:
    explicit = os.environ.get("SVCLINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "svclint"


class ReportCache:
    def __init__(self, directory: Path, fingerprint: str) -> None:
        self.directory = directory
        self.file = directory / f"svclint-{fingerprint}.sqlite3"
        self._db: sqlite3.Connection | None = None
        self._rows: dict[str, _Row] | None = None
        self._digests: dict[str, bytes] = {}
        self._writes: dict[str, _Write] = {}  # path -> what to store
        self._settled: dict[str, tuple[int, int, int, int]] = {}  # path -> a status to record
        self._run: tuple[str, RunRecord] | None = None
        self._seen: set[str] = set()
        self._writer: tuple[int, dict[str, Any]] | None = None  # see write_ahead: its process id, its rows

    @classmethod
    def open(cls, directory: Path | None, config: Config, backend: str, project: Path) -> ReportCache:
        """The cache of ``project`` (the folder svclint runs for) under these settings."""
        key = hashlib.sha256()
        for part in (FORMAT, __version__, sys.version, backend, _stable(config), str(project.resolve()), _code_stamp()):
            key.update(repr(part).encode("utf-8", "surrogatepass"))
            key.update(b"\0")
        return cls(directory or default_directory(), key.hexdigest()[:32])

    # --- whole runs ---------------------------------------------------------------------------

    def get_run(self, inputs: list[InputFile], diagnose: list[bool]) -> RunRecord | None:
        """The result of a run over exactly these files (same bytes, same roles), if one was kept:
        a re-run with nothing changed skips even the cross-checks."""
        if not self._load_rows():
            return None  # a new cache: no run to find (and no need to hash every file)
        key = self._run_key(inputs, diagnose)
        blob = self._query_one("SELECT record FROM runs WHERE key = ?", (key,))
        record = _unpickle(blob) if blob is not None else None
        return record if isinstance(record, RunRecord) else None

    def put_run(self, inputs: list[InputFile], diagnose: list[bool], record: RunRecord) -> None:
        self._run = (self._run_key(inputs, diagnose), record)

    def _run_key(self, inputs: list[InputFile], diagnose: list[bool]) -> str:
        digest = hashlib.blake2b(digest_size=16)
        for item, reported in zip(inputs, diagnose, strict=True):
            content = self._digest(item)
            digest.update(f"{item.path}\0{reported}\0{_flags(item)}\0{item.error}\0".encode("utf-8", "surrogatepass"))
            digest.update(content or b"-")
        return digest.hexdigest()

    # --- one file at a time -------------------------------------------------------------------

    def knows(self, item: InputFile) -> bool:
        """Whether the file's status matches the one recorded with its hash (it need not be read)."""
        row = self._load_rows().get(item.path)
        return item.signature is not None and row is not None and row.signature == item.signature

    def get(self, item: InputFile, diagnose: bool) -> FileReport | None:
        self._seen.add(item.path)
        content = self._digest(item)
        row = self._load_rows().get(item.path)
        if content is None or row is None or row.content != content or row.flags != _flags(item) or (diagnose and not row.full):
            return None
        if item.signature is not None and row.signature != item.signature:
            self._settled[item.path] = item.signature  # read and found unchanged: next time, no read
        blobs = self._query_one_row(f"SELECT context{', report' if diagnose else ''} FROM files WHERE path = ?", (item.path,))
        if blobs is None:
            return None
        return restored(item.path, blobs[0], blobs[1] if diagnose else None)

    def put(self, item: InputFile, report: FileReport, form: StoredReport | None = None) -> None:
        """Keep ``report`` for the file; ``form``, its stored form, if made already (by a worker)."""
        self._seen.add(item.path)
        content = self._digest(item)
        if content is None:
            return
        row = self._load_rows().get(item.path)
        flags = _flags(item)
        if row is not None and row.content == content and row.flags == flags and row.full and report.diagnostics is None:
            return  # keep the fuller report
        signature = item.signature or (None, None, None, None)
        # pickled when written (by the forked writer, after a big run), unless a worker did already
        self._writes[item.path] = ((item.path, content, flags, *signature), form or report)

    def irrelevant(self, items: list[InputFile], needed: set[str]) -> set[str]:
        """Paths of the files among ``items`` that the cache knows as they are now and whose
        summaries offer nothing in ``needed``: a run reporting other files can leave them out."""
        rows = self._load_rows()
        self._seen.update(item.path for item in items)  # still in the project, even when left out
        known = {item.path for item in items
                 if (row := rows.get(item.path)) is not None and row.content == self._digest(item) and row.flags == _flags(item)}
        if not known:
            return set()
        offering: set[str] = set()
        keys = sorted(needed)
        with contextlib.suppress(sqlite3.Error, OSError):
            db = self._connect()
            if db is None:
                return set()
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                offering.update(path for (path,) in db.execute(
                    f"SELECT DISTINCT path FROM offers WHERE key IN ({', '.join('?' * len(chunk))})", chunk))
            return known - offering
        return set()

    # --- storage ------------------------------------------------------------------------------

    def write_ahead(self) -> None:
        """Start writing the file rows kept so far in a forked process, on the other core while
        this one runs the cross-checks; ``save`` waits for it, and writes the rows itself if it
        failed. (A thread would not do: the sqlite3 module takes the GIL back after every row.)"""
        if self._writer is not None or len(self._writes) < WRITE_AHEAD_MIN_ROWS or not hasattr(os, "fork"):
            return  # a few rows are written sooner than a process is forked
        writes = dict(self._writes)
        pid = os.fork()
        if pid == 0:  # the writer: its own connection (the parent's must not be touched after fork)
            code = 1
            try:
                self._db = None
                db = self._connect(create=True)
                if db is not None:
                    with db:
                        _insert_files(db, writes)
                    code = 0
            finally:
                os._exit(code)
        self._writer = (pid, writes)

    def save(self) -> None:
        """Write this run's rows in one transaction; a read-only, full or locked disk, or a
        broken database, only costs the next run its speed."""
        written: dict[str, Any] = {}
        if self._writer is not None:
            pid, writes = self._writer
            self._writer = None
            with contextlib.suppress(OSError):
                if os.waitpid(pid, 0)[1] == 0:
                    written = writes
        if not (self._writes or self._settled or self._run):
            return
        with contextlib.suppress(OSError, sqlite3.Error):  # deliberate: the cache is an optimisation, never an error
            db = self._connect(create=True)
            if db is None:
                return
            with db:
                _insert_files(db, {path: write for path, write in self._writes.items() if written.get(path) is not write})
                db.executemany("UPDATE files SET size = ?, mtime = ?, ctime = ?, inode = ? WHERE path = ?",
                               [(*signature, path) for path, signature in self._settled.items() if path not in self._writes])
                if self._run is not None:
                    used = db.execute("SELECT coalesce(max(used), 0) + 1 FROM runs").fetchone()[0]
                    db.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?)", (self._run[0], used, _pickle(self._run[1])))
                    db.execute("DELETE FROM runs WHERE used <= ?", (used - KEPT_RUNS,))
                rows = self._load_rows()
                stale = [path for path in rows if path not in self._seen and path not in self._writes]
                if len(stale) > STALE_ROWS + len(self._seen):
                    db.executemany("DELETE FROM files WHERE path = ?", [(path,) for path in stale])
                    db.executemany("DELETE FROM offers WHERE path = ?", [(path,) for path in stale])
            self._writes.clear()
            self._settled.clear()
            self._run = None
            self._rows = None
        self._forget_old_databases()

    def _connect(self, *, create: bool = False) -> sqlite3.Connection | None:
        if self._db is not None:
            return self._db
        if not create and not self.file.exists():
            return None
        try:
            if create:
                self._prepare_directory()
            self._db = self._open_database()
        except sqlite3.DatabaseError:  # not a database, or a broken one: start afresh
            if not create:
                return None
            self.file.unlink(missing_ok=True)
            self._db = self._open_database()
        return self._db

    def _open_database(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.file, timeout=2.0)
        try:
            version = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() if _has_meta(db) else None
            if version is None or version[0] != str(FORMAT):
                with db:
                    for statement in (*(f"DROP TABLE IF EXISTS {table}" for table in ("files", "runs", "offers")), *_SCHEMA):
                        db.execute(statement)
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (str(FORMAT),))
        except BaseException:
            db.close()
            raise
        return db

    def _prepare_directory(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tag = self.directory / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n# svclint's cache: safe to delete.\n")

    def _load_rows(self) -> dict[str, _Row]:
        if self._rows is None:
            self._rows = {}
            with contextlib.suppress(sqlite3.Error, OSError):
                db = self._connect()
                if db is not None:
                    for path, content, flags, size, mtime, ctime, inode, full in db.execute(
                            "SELECT path, content, flags, size, mtime, ctime, inode, report IS NOT NULL FROM files"):
                        signature = (size, mtime, ctime, inode) if size is not None else None
                        self._rows[path] = _Row(content, flags, signature, bool(full))
        return self._rows

    def _query_one(self, sql: str, parameters: tuple[Any, ...]) -> Any:
        row = self._query_one_row(sql, parameters)
        return row[0] if row is not None else None

    def _query_one_row(self, sql: str, parameters: tuple[Any, ...]) -> tuple[Any, ...] | None:
        with contextlib.suppress(sqlite3.Error, OSError):
            db = self._connect()
            if db is not None:
                row: tuple[Any, ...] | None = db.execute(sql, parameters).fetchone()
                return row
        return None

    def _digest(self, item: InputFile) -> bytes | None:
        """The hash of the file's bytes (None: unreadable or oversized, nothing worth keeping).
        A deferred file's is the recorded one, which ``knows`` vouched for."""
        if item.deferred:
            row = self._load_rows().get(item.path)
            return row.content if row is not None else None
        if item.error is not None or item.data is None or item.size is not None:
            return None
        digest = self._digests.get(item.path)
        if digest is None:
            data = item.data.encode("utf-8", "surrogatepass") if isinstance(item.data, str) else item.data
            digest = hashlib.blake2b(data, digest_size=16).digest()
            self._digests[item.path] = digest
        return digest

    def _forget_old_databases(self) -> None:
        """Keep the databases of the last few fingerprints; drop older ones and old formats."""
        with contextlib.suppress(OSError):
            for legacy in [*self.directory.glob("reports-*.pickle"), *self.directory.glob("runs-*.pickle")]:
                legacy.unlink(missing_ok=True)
            databases = sorted(self.directory.glob("svclint-*.sqlite3"), key=lambda path: path.stat().st_mtime_ns, reverse=True)
            for old in databases[KEPT_DATABASES:]:
                if old != self.file:
                    old.unlink(missing_ok=True)


# A file row to store: (path, content hash, flags, size, mtime, ctime, inode), and the report or
# its stored form (made by the worker that analysed the file).
_Write = tuple[tuple[Any, ...], "FileReport | StoredReport"]


def _insert_files(db: sqlite3.Connection, writes: dict[str, _Write]) -> None:
    """Store file rows and their offers (within the caller's transaction)."""
    rows, offered = [], []
    for path, (head, kept) in writes.items():
        form = kept if isinstance(kept, StoredReport) else stored(kept)
        rows.append((*head, form.context, form.full))
        offered += [(key, path) for key in sorted(form.offered)]
    db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany("DELETE FROM offers WHERE path = ?", [(path,) for path in writes])
    db.executemany("INSERT INTO offers VALUES (?, ?)", offered)


def _has_meta(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is not None


def _flags(item: InputFile) -> int:
    """A file named on the command line is judged more strictly than one found by walking, and a
    Kustomize patch by fewer rules than a whole object: each is a report of its own."""
    return int(item.explicit) | int(item.partial) << 1


@dataclass(frozen=True, slots=True)
class StoredReport:
    """A report as a row keeps it: its summaries (what a context file gives), its findings (None
    for a context file) and its offers. Made where the report is made, in a worker process when
    there are workers, so the process that writes the cache only stores bytes."""

    context: bytes
    full: bytes | None
    offered: frozenset[str]


def stored(report: FileReport) -> StoredReport:
    context = _pickle((report.unparsed, report.summaries))
    full = _pickle(dataclasses.replace(report, summaries=[])) if report.diagnostics is not None else None
    offered = {key for summary in report.summaries for key in offers(summary)} | ({"unparsed"} if report.unparsed else set())
    return StoredReport(context, full, frozenset(offered))


def restored(path: str, context_blob: object, full_blob: object | None) -> FileReport | None:
    """The report of a stored form (``full_blob`` None: a context file's, without findings), or
    None if the blobs are not svclint's own records."""
    context = _unpickle(context_blob)
    report = _unpickle(full_blob) if full_blob is not None else None
    if not (isinstance(context, tuple) and len(context) == 2 and isinstance(context[1], list)):
        return None
    unparsed, summaries = context
    if report is None:
        if full_blob is not None:
            return None
        return FileReport(path, None, summaries, bool(unparsed), 0, 0, Suppressions(), [])
    if not isinstance(report, FileReport):
        return None
    report.summaries, report.unparsed = summaries, bool(unparsed)
    return report


def _pickle(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _unpickle(blob: object) -> object:
    """A stored record, or None if it is not one of svclint's own (corrupt, foreign, planted)."""
    if not isinstance(blob, bytes):
        return None
    try:
        return _RecordUnpickler(io.BytesIO(blob)).load()
    except Exception:  # corrupt, truncated, from another version, or not ours
        return None


class _RecordUnpickler(pickle.Unpickler):
    """Loads svclint's record types (dataclasses, named tuples and enums) and plain data,
    nothing else: a pickle can name any callable, and this refuses all but those."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "re" and name == "_compile":
            return super().find_class(module, name)
        if module == "copyreg" and name == "_reconstructor":
            return super().find_class(module, name)
        if not module.startswith(_MODULES):
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in svclint's cache")
        found = super().find_class(module, name)
        if module.startswith("svclint.") and not (isinstance(found, type) and (dataclasses.is_dataclass(found) or issubclass(found, enum.Enum))):
            raise pickle.UnpicklingError(f"{module}.{name} is not a record type")
        if module in ("builtins",) and found not in (set, frozenset, dict, list, tuple, bytes, str, int, float, bool, object, complex, bytearray, slice, range):
            raise pickle.UnpicklingError(f"builtins.{name} is not allowed in svclint's cache")
        if module in ("pathlib", "ipaddress") and not isinstance(found, type):
            raise pickle.UnpicklingError(f"{module}.{name} is not a type")
        return found


def _stable(value: Any) -> Any:
    """A repr-able form of the config that is the same in every process (sets sorted)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, tuple((f.name, _stable(getattr(value, f.name))) for f in dataclasses.fields(value)))
    if isinstance(value, dict):
        return tuple(sorted((repr(_stable(key)), _stable(item)) for key, item in value.items()))
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(repr(_stable(item)) for item in value))
    if isinstance(value, (list, tuple)):
        return tuple(_stable(item) for item in value)
    if hasattr(value, "pattern"):
        return ("pattern", value.pattern)
    return repr(value)


def _code_stamp() -> tuple[tuple[str, int, int], ...]:
    """Size and modification time of svclint's own files (code, rules, schemas): an edited
    checkout or another install gets other fingerprints, never a stale report."""
    root = Path(__file__).resolve().parent
    folders = [root, root / "checks", root / "report",
               *(Path(str(resources.files(package))) for package in ("svclint.builtin_rules", "svclint.builtin_schemas"))]
    stamp = []
    for folder in folders:
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            if entry.is_file() and entry.name.endswith((".py", ".yaml", ".json")):
                info = entry.stat()
                stamp.append((entry.path, info.st_size, info.st_mtime_ns))
    return tuple(stamp)
