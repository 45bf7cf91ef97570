"""The real-world corpus in ../shared: no crash, no internal error, and only the findings that
were reviewed as real problems (see the counts in the closing notes)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from svclint.config import Config
from svclint.discover import read, walk
from svclint.engine import lint

# Rules whose findings on the corpus were each reviewed as a real problem of the file.
REVIEWED = {"SVC002", "SVC009", "SVC010", "SVC101", "SVC102", "SVC103", "SVC104", "SVC213", "SVC219"}


def test_corpus_lints_without_internal_errors(shared_dir: Path) -> None:
    corpus = shared_dir / "corpus" / "realworld"
    config = Config()
    totals: Counter[str] = Counter()
    for folder in sorted(path for path in corpus.iterdir() if path.is_dir()):
        files = [read(path, explicit, config) for path, explicit in walk([str(folder)], config)]
        result = lint(files, config=config)
        totals.update(diagnostic.rule_id for diagnostic in result.diagnostics)
    assert "SVC900" not in totals
    assert "SVC001" not in totals  # every corpus file is valid YAML
    assert set(totals) <= REVIEWED, totals
