"""The real-world corpus in ../shared: no crash, no internal error, and only the findings that
were reviewed as real problems (see the counts in the closing notes)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from svclint.config import Config
from svclint.discover import read, walk
from svclint.engine import lint

# Rules whose findings on the corpus were each reviewed as a real problem of the file.
REVIEWED = {"SVC002", "SVC009", "SVC010", "SVC101", "SVC102", "SVC103", "SVC104", "SVC213", "SVC219",
            # cross-resource warnings, reviewed (see the issue 4 closing note): undeclared but
            # listening target ports, StatefulSets without their headless Service
            "SVC422", "SVC431"}
# Cross-resource errors, each reviewed: the vitess example's controllers are Go templates
# upstream, left out of the corpus, so its two Services select nothing in the set.
REVIEWED_CROSS_ERRORS = {
    ("SVC410", "kubernetes__examples/_archived__storage__vitess__vtctld-service.yaml"),
    ("SVC410", "kubernetes__examples/_archived__storage__vitess__vtgate-service.yaml"),
}


def test_corpus_lints_without_internal_errors(shared_dir: Path) -> None:
    corpus = shared_dir / "corpus" / "realworld"
    config = Config()
    totals: Counter[str] = Counter()
    cross_errors = set()
    for folder in sorted(path for path in corpus.iterdir() if path.is_dir()):  # each folder one set
        files = [read(path, explicit, config) for path, explicit in walk([str(folder)], config)]
        result = lint(files, config=config)
        totals.update(diagnostic.rule_id for diagnostic in result.diagnostics)
        cross_errors |= {(d.rule_id, str(Path(d.path).relative_to(corpus))) for d in result.diagnostics
                         if d.rule_id.startswith("SVC4") and d.severity == 1}
    assert cross_errors == REVIEWED_CROSS_ERRORS
    assert "SVC900" not in totals
    assert "SVC001" not in totals  # every corpus file is valid YAML
    assert set(totals) <= REVIEWED | {rule for rule, _ in REVIEWED_CROSS_ERRORS}, totals
