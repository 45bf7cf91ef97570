"""Multi-file projects in tests/projects: each folder is a small repository and its case.yaml
says which files are linted (the rest is cross-check context, as under pre-commit) and every
finding expected, as ``path:line:col RULE``. Nothing more may be found."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from svclint.engine import InputFile, lint

from .conftest import REPO, config_of
from .test_cli import run

PROJECTS = REPO / "tests" / "projects"


def _manifests(root: Path) -> list[str]:
    return sorted(
        path.relative_to(root).as_posix() for path in root.rglob("*")
        if path.suffix in (".yaml", ".yml", ".json") and path.name != "case.yaml"
    )


def _input(root: Path, path: str) -> InputFile:
    return InputFile(path, (root / path).read_bytes())


@pytest.mark.parametrize("name", sorted(path.name for path in PROJECTS.iterdir() if (path / "case.yaml").is_file()))
def test_project(name: str) -> None:
    root = PROJECTS / name
    case: dict[str, Any] = yaml.safe_load((root / "case.yaml").read_text())
    every = _manifests(root)
    linted = case.get("lint", every)
    context = [] if case.get("context") == "none" else [path for path in every if path not in linted]
    for backend in ("libyaml", "ruamel"):
        result = lint([_input(root, path) for path in linted], config=config_of(case.get("config")),
                      context=[_input(root, path) for path in context], backend=backend)
        found = sorted(f"{d.path}:{d.range.start.line + 1}:{d.range.start.column + 1} {d.rule_id}" for d in result.diagnostics)
        assert found == sorted(case["expect"]), (case["about"], [d.message for d in result.diagnostics])
        for diagnostic in result.diagnostics:
            assert diagnostic.path in linted  # context files are read, never reported
            if diagnostic.rule_id in ("SVC410", "SVC411", "SVC420", "SVC441"):
                assert diagnostic.related, f"{diagnostic.rule_id} should point at the workload or Service it means"


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """selector-typo as a git repository: the Service in k8s/svc, its Deployment in k8s/apps."""
    root = tmp_path / "repo"
    shutil.copytree(PROJECTS / "selector-typo", root)
    (root / "case.yaml").unlink()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def test_cli_one_changed_file_is_checked_against_the_repository(svclint_exe: list[str], repository: Path) -> None:
    done = run(svclint_exe, "check", "svc/web.yaml", cwd=repository / "k8s")
    assert done.returncode == 1, done.stdout + done.stderr
    # run from a subfolder: the context is still the whole git repository
    assert "svc/web.yaml:7:5: error SVC410 selector-matches-nothing" in done.stdout
    assert "closest: Deployment web, whose pods have `tier: frontend`" in done.stdout
    assert "apps/web.yaml:10:32" in done.stdout  # the related location, in a file that was not linted


def test_cli_context_options(svclint_exe: list[str], repository: Path) -> None:
    alone = run(svclint_exe, "check", "--no-context", "k8s/svc/web.yaml", cwd=repository)
    assert alone.returncode == 0, alone.stdout
    explicit = run(svclint_exe, "check", "--context", "k8s/apps", "k8s/svc/web.yaml", cwd=repository)
    assert explicit.returncode == 1 and "SVC410" in explicit.stdout
    (repository / ".svclint.yaml").write_text("context: []\n")
    configured = run(svclint_exe, "check", "k8s/svc/web.yaml", cwd=repository)
    assert configured.returncode == 0, configured.stdout
    (repository / ".svclint.yaml").write_text("context: ['k8s/apps/*.yaml']\n")
    globbed = run(svclint_exe, "check", "k8s/svc/web.yaml", cwd=repository)
    assert globbed.returncode == 1 and "SVC410" in globbed.stdout


def test_cli_reports_only_the_files_given(svclint_exe: list[str], repository: Path) -> None:
    done = run(svclint_exe, "check", "k8s/apps/web.yaml", cwd=repository)
    assert done.returncode == 0, done.stdout  # the broken Service is context, not reported


def test_cli_namespace_option(svclint_exe: list[str], repository: Path) -> None:
    (repository / "k8s" / "apps" / "web.yaml").write_text(
        (repository / "k8s" / "apps" / "web.yaml").read_text().replace("name: web\n", "name: web\n  namespace: shop\n", 1))
    # the Service names no namespace: with -n shop it lands beside the Deployment
    done = run(svclint_exe, "check", "-n", "shop", "k8s/svc/web.yaml", cwd=repository)
    assert done.returncode == 1 and "namespace shop" in done.stdout, done.stdout
