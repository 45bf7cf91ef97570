"""Our conformance suite: Service manifests with the verdict of the Kubernetes API server.

``tests/conformance/accepted.yaml`` holds Services the server accepts: svclint must report no
error on them. ``rejected.yaml`` holds Services it rejects, each with every error svclint must
report (rule id and line), and no others. The cases are written from ValidateService,
SetDefaults_Service and the IP/port allocators; both parser backends must agree.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from svclint.diagnostics import Severity

from .conftest import config_of, lint_text

CASES = Path(__file__).parent / "conformance"


def _load(name: str) -> list[Any]:
    cases: list[dict[str, Any]] = yaml.safe_load((CASES / name).read_text(encoding="utf-8"))
    return [pytest.param(case, id=case["name"]) for case in cases]


def _found(case: dict[str, Any], backend: str, severity: Severity) -> Counter[str]:
    result = lint_text(case["manifest"], config_of(case.get("config")), backend=backend)
    return Counter(f"{d.rule_id}@{d.range.start.line + 1}" for d in result.diagnostics if d.severity == severity)


@pytest.mark.parametrize("backend", ["libyaml", "ruamel"])
@pytest.mark.parametrize("case", _load("accepted.yaml"))
def test_accepted_service_has_no_error(case: dict[str, Any], backend: str) -> None:
    assert _found(case, backend, Severity.ERROR) == Counter()
    if "warnings" in case:
        assert _found(case, backend, Severity.WARNING) == Counter(case["warnings"])


@pytest.mark.parametrize("backend", ["libyaml", "ruamel"])
@pytest.mark.parametrize("case", _load("rejected.yaml"))
def test_rejected_service_reports_the_servers_errors(case: dict[str, Any], backend: str) -> None:
    assert case["errors"], "a rejected case names the errors it expects"
    assert _found(case, backend, Severity.ERROR) == Counter(case["errors"])
