"""The pre-commit hooks, run by the real `pre-commit` in a temporary git repository.

The repository's `.pre-commit-config.yaml` points at a git copy of this checkout (the working
tree, so uncommitted changes are what is tested); pre-commit installs svclint from it into its
own environment, as it would for a user, and runs as the git hook on `git commit`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import REPO

pytest.importorskip("pre_commit", reason="pre-commit is in the test extras: pip install -e '.[test]'")

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  sessionAffinity: {affinity}
  ports:
    - port: 80
      targetPort: http
"""

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx
          ports: [{name: http, containerPort: 8080}]
"""

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "svclint tests", "GIT_AUTHOR_EMAIL": "tests@svclint.invalid",
    "GIT_COMMITTER_NAME": "svclint tests", "GIT_COMMITTER_EMAIL": "tests@svclint.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, env=env, text=True, capture_output=True, check=check)


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository holding this checkout's working tree: what `repo:` points at."""
    if not (REPO / ".pre-commit-hooks.yaml").is_file() or not (REPO / ".git").exists():
        pytest.skip("needs the svclint source checkout (a git work tree) to install the hook from")
    listed = _git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
    target = tmp_path_factory.mktemp("svclint-hooks")
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    env = {**os.environ, **GIT_IDENTITY}
    _git(target, "init", "-q", env=env)
    _git(target, "add", "-A", env=env)
    _git(target, "commit", "-q", "-m", "svclint under test", env=env)
    return target, _git(target, "rev-parse", "HEAD").stdout.strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's cache, shared by the tests here so svclint is installed once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def user_repository(tmp_path: Path, hook_repository: tuple[Path, str], pre_commit_home: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    hooks, rev = hook_repository
    root = tmp_path / "user"
    root.mkdir()
    env = {**os.environ, **GIT_IDENTITY, "PRE_COMMIT_HOME": str(pre_commit_home), "NO_COLOR": "1"}
    env.pop("GITHUB_ACTIONS", None)
    _git(root, "init", "-q", env=env)
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks}\n    rev: {rev}\n    hooks:\n      - id: svclint\n      - id: svclint-all\n        stages: [manual]\n"
    )
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs: {}\n")
    (root / "tsconfig.json").write_text('{\n  // comments and trailing commas, as TypeScript allows\n  "compilerOptions": {"strict": true,},\n}\n')
    (root / "k8s" / "apps").mkdir(parents=True)
    (root / "k8s" / "svc").mkdir()
    (root / "k8s" / "apps" / "web.yaml").write_text(DEPLOYMENT)
    _git(root, "add", "-A", env=env)
    _git(root, "commit", "-q", "--no-verify", "-m", "the application", env=env)
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=root, env=env, text=True, capture_output=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    yield root, env


def _commit(root: Path, env: dict[str, str], message: str) -> subprocess.CompletedProcess[str]:
    _git(root, "add", "-A", env=env)
    return _git(root, "commit", "-m", message, env=env, check=False)


def test_a_bad_manifest_fails_the_commit_and_a_fixed_one_passes(user_repository: tuple[Path, dict[str, str]]) -> None:
    root, env = user_repository
    service = root / "k8s" / "svc" / "web.yaml"
    service.write_text(SERVICE.format(affinity="cluster"))
    (root / "README.yaml").write_text("title: not a manifest\n")
    failed = _commit(root, env, "add the Service")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert "svclint" in output and "Failed" in output
    assert "k8s/svc/web.yaml:8:20: error SVC203 invalid-session-affinity" in output
    # other YAML and JSON that pre-commit passes is not a manifest: nothing said about it
    assert "README.yaml" not in output and "tsconfig.json" not in output and ".pre-commit-config" not in output
    assert _git(root, "rev-list", "--count", "HEAD").stdout.strip() == "1"

    service.write_text(SERVICE.format(affinity="ClientIP"))
    passed = _commit(root, env, "add the Service")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "svclint" in passed.stdout + passed.stderr and "Passed" in passed.stdout + passed.stderr
    assert _git(root, "rev-list", "--count", "HEAD").stdout.strip() == "2"


def test_cross_checks_see_the_repository_but_report_only_the_changed_files(user_repository: tuple[Path, dict[str, str]]) -> None:
    root, env = user_repository
    # a committed file with a mistake, which this commit does not touch
    (root / "k8s" / "svc" / "old.yaml").write_text(SERVICE.format(affinity="cluster").replace("name: web", "name: old"))
    _git(root, "add", "-A", env=env)
    _git(root, "commit", "-q", "--no-verify", "-m", "an old mistake", env=env)

    # the targetPort name is declared by the Deployment in k8s/apps, which is not part of the commit
    service = root / "k8s" / "svc" / "web.yaml"
    service.write_text(SERVICE.format(affinity="None"))
    passed = _commit(root, env, "add the Service")
    assert passed.returncode == 0, passed.stdout + passed.stderr

    service.write_text(SERVICE.format(affinity="None").replace("targetPort: http", "targetPort: htp"))
    failed = _commit(root, env, "break the target port")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "k8s/svc/web.yaml:11:19: error SVC420 undeclared-target-port-name" in output and "did you mean `http`?" in output
    assert "old.yaml" not in output

    # the whole-repository hook reports the old mistake too
    everything = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--hook-stage", "manual", "svclint-all"],
                                cwd=root, env=env, text=True, capture_output=True)
    assert everything.returncode != 0
    assert "k8s/svc/old.yaml:8:20: error SVC203" in everything.stdout and "k8s/svc/web.yaml:11:19" in everything.stdout
