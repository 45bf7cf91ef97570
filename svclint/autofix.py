"""``check --fix`` and ``--diff``: apply fixes, lint again, repeat until nothing changes, then
write each changed file atomically.

Fixes are text edits at recorded offsets, so every byte outside them stays as it was (comments,
quoting, key order, line endings, the final newline). A fix is applied whole or not at all, and
a round whose edits would make a file unparsable (or add a duplicate key) is dropped for that
file, so fixing can only remove problems.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .config import Config
from .diagnostics import Diagnostic
from .engine import InputFile, LintResult, lint
from .fix import apply_edits, select_fixes
from .parse import parse
from .source import encode_like

MAX_ROUNDS = 10


@dataclass(slots=True)
class FixedFile:
    path: str
    original: bytes  # the bytes read, to detect a change on disk before writing
    before: str
    after: str
    data: bytes  # ``after``, encoded as the original was (same BOM and encoding)
    fixes: int


@dataclass(slots=True)
class FixRun:
    result: LintResult  # the findings that remain after fixing
    fixed: list[FixedFile]
    unsafe_left: int  # fixes held back because they are unsafe and --unsafe-fixes was not given


def as_bytes(data: bytes | str | None) -> bytes:
    return data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data or b""


def _damage(text: str, backend: str) -> int:
    """How many structural problems a text has (syntax errors, duplicate keys, tabs)."""
    return sum(1 for problem in parse(text, backend=backend).problems
               if problem.kind in ("syntax", "duplicate-key", "tab-indentation", "key-type"))


def fix_files(
    files: Sequence[InputFile],
    *,
    config: Config,
    context: Sequence[InputFile] = (),
    backend: str = "auto",
    unsafe: bool = False,
) -> FixRun:
    """Fix ``files`` in memory until a lint round offers no applicable fix."""
    current = {item.path: item for item in files if item.data is not None}
    original = {path: as_bytes(item.data) for path, item in current.items()}
    first_text: dict[str, str] = {}
    applied: Counter[str] = Counter()
    frozen: set[str] = set()  # files whose next fixes would have damaged them
    damage: dict[str, int] = {}  # structural problems of each file's current text, once counted
    result = lint(list(current.values()), config=config, context=context, backend=backend)
    for _ in range(MAX_ROUNDS):
        changed = False
        by_path: dict[str, list[Diagnostic]] = {}
        for diagnostic in result.diagnostics:
            by_path.setdefault(diagnostic.path, []).append(diagnostic)
        for path, diagnostics in by_path.items():
            source = result.sources.get(path)
            if path in frozen or path not in current or source is None:
                continue
            edits, count = select_fixes(diagnostics, unsafe=unsafe)
            if not edits:
                continue
            after = apply_edits(source.text, edits)
            if after == source.text:
                continue
            before_damage = damage[path] if path in damage else _damage(source.text, backend)
            after_damage = _damage(after, backend)
            if after_damage > before_damage:
                frozen.add(path)
                continue
            damage[path] = after_damage
            first_text.setdefault(path, source.text)
            item = current[path]
            current[path] = InputFile(path, encode_like(after, original[path]), None, item.explicit)
            applied[path] += count
            changed = True
        if not changed:
            break
        result = lint(list(current.values()), config=config, context=context, backend=backend)
    fixed = []
    for item in files:
        if item.path in first_text:
            source = result.sources[item.path]
            fixed.append(FixedFile(item.path, original[item.path], first_text[item.path], source.text,
                                   as_bytes(current[item.path].data), applied[item.path]))
    unsafe_left = 0 if unsafe else sum(1 for d in result.diagnostics if d.fix is not None and not d.fix.safe)
    return FixRun(result, fixed, unsafe_left)


def unified_diff(fixed: FixedFile) -> str:
    """A unified diff of one fix, with the line endings of the file."""
    lines = difflib.unified_diff(
        fixed.before.splitlines(keepends=True), fixed.after.splitlines(keepends=True),
        fromfile=f"a/{fixed.path}", tofile=f"b/{fixed.path}",
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


class ChangedOnDisk(Exception):
    """The file is no longer what svclint read; writing would lose someone's edit."""


def write_atomically(fixed: FixedFile) -> None:
    """Replace the file with its fixed bytes: a temporary file in the same directory, the
    original's permissions, fsync, rename. Refuses when the file changed since it was read."""
    with open(fixed.path, "rb") as handle:
        if handle.read() != fixed.original:
            raise ChangedOnDisk(f"{fixed.path}: changed on disk while svclint ran; not overwritten")
    real = os.path.realpath(fixed.path)  # write through a symlink, keep the link
    mode = os.stat(real).st_mode & 0o7777
    descriptor, temporary = tempfile.mkstemp(prefix=".svclint-", suffix=".tmp", dir=os.path.dirname(real) or ".")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(fixed.data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, real)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
