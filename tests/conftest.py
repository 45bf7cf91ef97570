"""Shared helpers: lint a string, locate ../shared, find the svclint executable under test."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from svclint.config import Config, from_data
from svclint.engine import InputFile, LintResult, RuleSet, lint

# Property tests run the `ci` profile; HYPOTHESIS_PROFILE=fuzz (or --hypothesis-profile=fuzz)
# runs a deep fuzzing session of 20,000 examples a test.
settings.register_profile("ci", max_examples=200, print_blob=True)
settings.register_profile("fuzz", max_examples=20_000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
# ../shared beside the checkout; CI's wheel run copies the tests elsewhere and names it here.
SHARED = Path(os.environ.get("SVCLINT_SHARED") or REPO.parent / "shared")


def lint_text(text: str, config: Config | None = None, *, path: str = "manifest.yaml", backend: str = "auto",
              rules: RuleSet | None = None) -> LintResult:
    return lint([InputFile(path, text.encode("utf-8"))], config=config or Config(), backend=backend, rules=rules)


def config_of(data: dict[str, object] | None) -> Config:
    return from_data(data or {})


def positions(result: LintResult, rule_id: str) -> list[str]:
    return [f"{d.range.start.line + 1}:{d.range.start.column + 1}" for d in result.diagnostics if d.rule_id == rule_id]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside this checkout (it is in CI); skipping tests that read it")
    return SHARED


@pytest.fixture(scope="session")
def svclint_exe() -> list[str]:
    """The command under test: $SVCLINT_EXE (an installed wheel in CI) or this interpreter's module."""
    exe = os.environ.get("SVCLINT_EXE")
    if exe:
        return [exe]
    found = shutil.which("svclint", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "svclint"]


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """CLI runs in tests keep their report cache in a temporary folder, not the user's."""
    os.environ.setdefault("SVCLINT_CACHE_DIR", str(tmp_path_factory.mktemp("svclint-cache")))
