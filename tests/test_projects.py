"""Multi-file projects in tests/projects: each folder is a small repository and its case.yaml
says which files are linted (the rest is cross-check context, as under pre-commit) and every
finding expected, as ``path:line:col RULE``. Nothing more may be found."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from svclint.engine import InputFile, lint

from .conftest import config_of
from .test_cli import run

PROJECTS = Path(__file__).resolve().parent / "projects"


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


@pytest.mark.parametrize("name", sorted(path.name for path in PROJECTS.iterdir() if (path / "case.yaml").is_file()))
def test_subset_with_context_reports_what_the_whole_run_reports(name: str) -> None:
    """pre-commit's view (one file, the rest as context) agrees with linting everything at once."""
    root = PROJECTS / name
    case: dict[str, Any] = yaml.safe_load((root / "case.yaml").read_text())
    config = config_of(case.get("config"))
    every = _manifests(root)
    whole = lint([_input(root, path) for path in every], config=config)
    for path in every:
        alone = lint([_input(root, path)], config=config, context=[_input(root, other) for other in every if other != path])
        assert alone.diagnostics == [d for d in whole.diagnostics if d.path == path], path


LABEL = st.from_regex(r"[a-z][a-z0-9-]{0,6}[a-z0-9]", fullmatch=True)


@given(labels=st.dictionaries(LABEL, LABEL, min_size=1, max_size=5), data=st.data())
@settings(max_examples=150, deadline=None)
def test_a_selector_drawn_from_the_template_labels_always_matches(labels: dict[str, str], data: st.DataObject) -> None:
    keys = data.draw(st.lists(st.sampled_from(sorted(labels)), min_size=1, unique=True))
    selector = {key: labels[key] for key in keys}
    changed = data.draw(st.sampled_from(keys))
    text = f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: app}}
spec:
  selector: {{matchLabels: {json.dumps(labels)}}}
  template:
    metadata: {{labels: {json.dumps(labels)}}}
    spec:
      containers: [{{name: app, image: app}}]
---
apiVersion: v1
kind: Service
metadata: {{name: app}}
spec:
  selector: {json.dumps(selector)}
  ports: [{{port: 80}}]
---
apiVersion: v1
kind: Service
metadata: {{name: broken}}
spec:
  selector: {json.dumps({**selector, changed: selector[changed] + "x"})}
  ports: [{{port: 80}}]
"""
    result = lint([InputFile("set.yaml", text.encode())])
    assert [d.rule_id for d in result.diagnostics if d.rule_id.startswith("SVC4")] == ["SVC410"], result.diagnostics
    (finding,) = [d for d in result.diagnostics if d.rule_id == "SVC410"]
    assert finding.range.start.line == 21 and finding.related  # the broken one, pointing at the template
