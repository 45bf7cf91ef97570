"""The report cache: each file's report (its findings and its summaries for the cross-checks),
kept under the file's path and a hash of its bytes.

One cache file holds the reports of one project under one *fingerprint*: svclint's version and
code, the rules and schemas it ships, the configuration, the parser and the Python version.
Anything that could change a report changes the fingerprint, so a report is reused only for the
same bytes read by the same svclint with the same settings. Cross-checks always run again, from
the cached summaries, so a change in one file is seen by the findings of every other.

Location: ``--cache-dir``, else ``$SVCLINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/svclint`` (or
``~/.cache/svclint``): outside the repository, so a cache cannot be committed and handed to
someone else. Any of it may be deleted at any time. A file that cannot be read, is truncated, or
holds anything but svclint's own record types is ignored and rewritten: the loader refuses every
other class, so a planted file cannot run code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import io
import os
import pickle
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from . import __version__
from .config import Config
from .diagnostics import Diagnostic
from .engine import FileReport, InputFile

FORMAT = 1
KEPT_RUNS = 8  # results of whole runs kept (a few command lines, each over its own files)


@dataclass
class RunRecord:
    """The outcome of a whole run: its findings after cross-checks and suppression."""

    diagnostics: list[Diagnostic]
    documents: int
    objects: int
_MODULES = ("svclint.", "builtins", "re", "pathlib", "ipaddress")


def default_directory() -> Path:
    explicit = os.environ.get("SVCLINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "svclint"


class ReportCache:
    def __init__(self, directory: Path, fingerprint: str) -> None:
        self.file = directory / f"reports-{fingerprint}.pickle"
        self.runs_file = directory / f"runs-{fingerprint}.pickle"
        self._entries: dict[str, tuple[bytes, FileReport]] | None = None
        self._run: tuple[str, RunRecord] | None = None
        self._runs: dict[str, RunRecord] | None = None
        self._digests: dict[str, bytes] = {}
        self._changed = False

    @classmethod
    def open(cls, directory: Path | None, config: Config, backend: str, project: Path) -> ReportCache:
        """The cache of ``project`` (the folder svclint runs for) under these settings."""
        key = hashlib.sha256()
        for part in (FORMAT, __version__, sys.version, backend, _stable(config), str(project.resolve()), _code_stamp()):
            key.update(repr(part).encode("utf-8", "surrogatepass"))
            key.update(b"\0")
        return cls(directory or default_directory(), key.hexdigest()[:32])

    def get_run(self, inputs: list[InputFile], diagnose: list[bool]) -> RunRecord | None:
        """The result of a run over exactly these files (same bytes, same roles), if one was kept:
        a re-run with nothing changed skips even the cross-checks."""
        key = self._run_key(inputs, diagnose)
        if key is None:
            return None
        record = self._load_runs().get(key)
        return record if isinstance(record, RunRecord) else None

    def _load_runs(self) -> dict[str, RunRecord]:
        if self._runs is None:
            self._runs = _read(self.runs_file, RunRecord)
        return self._runs

    def put_run(self, inputs: list[InputFile], diagnose: list[bool], record: RunRecord) -> None:
        key = self._run_key(inputs, diagnose)
        if key is not None:
            self._run = (key, record)

    def _run_key(self, inputs: list[InputFile], diagnose: list[bool]) -> str | None:
        digest = hashlib.blake2b(digest_size=16)
        for item, reported in zip(inputs, diagnose, strict=True):
            file_digest = self._digest(item)
            digest.update(f"{item.path}\0{reported}\0{item.error}\0".encode("utf-8", "surrogatepass"))
            digest.update(file_digest or b"-")
        return digest.hexdigest()

    def get(self, item: InputFile, diagnose: bool) -> FileReport | None:
        digest = self._digest(item)
        if digest is None:
            return None
        entry = self._load().get(item.path)
        if entry is None or entry[0] != digest or (diagnose and entry[1].diagnostics is None):
            return None
        return entry[1]

    def put(self, item: InputFile, report: FileReport) -> None:
        digest = self._digest(item)
        if digest is None:
            return
        entries = self._load()
        current = entries.get(item.path)
        if current is not None and current[0] == digest and current[1].diagnostics is not None and report.diagnostics is None:
            return  # keep the fuller report
        entries[item.path] = (digest, report)
        self._changed = True

    def save(self) -> None:
        """Write atomically (a temporary file renamed over the old one); a read-only or full disk
        only costs the next run its speed."""
        with contextlib.suppress(OSError):  # deliberate: the cache is an optimisation, never an error
            if self._changed and self._entries is not None:
                _write(self.file, self._entries)
                self._changed = False
            if self._run is not None:
                runs = self._load_runs()
                runs.pop(self._run[0], None)
                runs[self._run[0]] = self._run[1]
                _write(self.runs_file, dict(list(runs.items())[-KEPT_RUNS:]))
                self._run = None

    def _digest(self, item: InputFile) -> bytes | None:
        if item.error is not None or item.data is None or item.size is not None:
            return None  # unreadable or oversized: nothing worth keeping
        digest = self._digests.get(item.path)
        if digest is None:
            data = item.data.encode("utf-8", "surrogatepass") if isinstance(item.data, str) else item.data
            # a file named on the command line is judged more strictly than one found by walking
            # and a Kustomize patch by fewer rules than a whole object
            digest = hashlib.blake2b(data + bytes([item.explicit, item.partial]), digest_size=16).digest()
            self._digests[item.path] = digest
        return digest

    def _load(self) -> dict[str, tuple[bytes, FileReport]]:
        if self._entries is None:
            self._entries = _read(self.file, FileReport)
        return self._entries


def _write(path: Path, entries: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tag = path.parent / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n# svclint's cache: safe to delete.\n")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".svclint-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            pickle.dump((FORMAT, entries), out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _read(path: Path, kind: type) -> dict[str, Any]:
    """The entries of a cache file whose values are ``kind`` (or a (digest, kind) pair); an
    unreadable or foreign file reads as empty."""
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    try:
        loaded = _RecordUnpickler(io.BytesIO(data)).load()
    except Exception:  # corrupt, truncated, from another version, or not ours: start afresh
        return {}
    if not (isinstance(loaded, tuple) and len(loaded) == 2 and loaded[0] == FORMAT and isinstance(loaded[1], dict)):
        return {}
    entries: dict[str, Any] = {}
    for key, value in loaded[1].items():
        record = value[1] if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], bytes) else value
        if isinstance(key, str) and isinstance(record, kind):
            entries[key] = value
    return entries


class _RecordUnpickler(pickle.Unpickler):
    """Loads svclint's record types (dataclasses and enums) and plain data, nothing else: a
    pickle can name any callable, and this refuses all but those."""

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
