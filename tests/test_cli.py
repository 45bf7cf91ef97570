"""The CLI as users run it: a subprocess (in CI, the console script of an installed wheel)."""

from __future__ import annotations

import json
import os
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

BAD = """apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  sessionAffinity: cluster
  ports:
    - port: 80
      protocol: HTTP
"""
CLEAN = """apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: web}
  ports:
    - port: 80
      targetPort: 8080
"""


def run(exe: list[str], *args: str, cwd: Path, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([*exe, *args], cwd=cwd, input=stdin, capture_output=True, text=True, env=environment, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "bad.yaml").write_text(BAD)
    (tmp_path / "k8s" / "clean.yaml").write_text(CLEAN)
    return tmp_path


def test_findings_exit_1_with_positions(svclint_exe: list[str], project: Path) -> None:
    done = run(svclint_exe, "check", "k8s", cwd=project)
    assert done.returncode == 1, done.stderr
    assert "k8s/bad.yaml:6:20: error SVC203 invalid-session-affinity" in done.stdout
    assert "k8s/bad.yaml:9:17: error SVC202 invalid-protocol" in done.stdout
    assert "   ^" not in done.stderr and "Traceback" not in done.stdout + done.stderr
    assert "Found 2 problems (2 errors, 0 warnings) in 2 files." in done.stdout


def test_clean_exit_0(svclint_exe: list[str], project: Path) -> None:
    done = run(svclint_exe, "check", "k8s/clean.yaml", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All checks passed" in done.stdout


def test_json_output_matches_its_schema(svclint_exe: list[str], project: Path) -> None:
    done = run(svclint_exe, "check", "--format", "json", "k8s", cwd=project)
    assert done.returncode == 1
    document = json.loads(done.stdout)
    schema = json.loads(resources.files("svclint.builtin_schemas").joinpath("output.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    (entry,) = document["files"]
    first = entry["diagnostics"][0]
    assert first["code"] == "SVC203" and first["range"]["start"] == {"line": 5, "character": 19}
    assert first["data"]["fix"]["edits"][0]["newText"] == "ClientIP"


def test_stdin_with_filename(svclint_exe: list[str], project: Path) -> None:
    done = run(svclint_exe, "check", "-", "--stdin-filename", "svc.yaml", cwd=project, stdin=BAD)
    assert done.returncode == 1
    assert done.stdout.startswith("svc.yaml:6:20:")


def test_output_file_and_exit_zero(svclint_exe: list[str], project: Path) -> None:
    done = run(svclint_exe, "check", "k8s", "--format", "json", "--output-file", "out.json", "--exit-zero", cwd=project)
    assert done.returncode == 0 and done.stdout == ""
    assert json.loads((project / "out.json").read_text())["summary"]["errors"] == 2


def test_fail_on_and_ignore(svclint_exe: list[str], project: Path) -> None:
    assert run(svclint_exe, "check", "k8s", "--ignore", "SVC203,invalid-protocol", cwd=project).returncode == 0
    assert run(svclint_exe, "check", "k8s", "--select", "SVC2", "--ignore", "SVC20", cwd=project).returncode == 0


def test_usage_and_config_errors_exit_2(svclint_exe: list[str], project: Path) -> None:
    assert run(svclint_exe, "check", "--format", "xml", "k8s", cwd=project).returncode == 2
    assert run(svclint_exe, "check", "missing.yaml", cwd=project).returncode == 2
    assert run(svclint_exe, "check", "--kube-version", "1.2", "k8s", cwd=project).returncode == 2
    (project / ".svclint.yaml").write_text("service-node-port-range: lots\n")
    done = run(svclint_exe, "check", "k8s", cwd=project)
    assert done.returncode == 2 and "service-node-port-range" in done.stderr


def test_config_file_is_found_and_applied(svclint_exe: list[str], project: Path) -> None:
    (project / ".svclint.yaml").write_text("ignore: [invalid-session-affinity]\nseverity: {SVC202: warning}\n")
    done = run(svclint_exe, "check", "k8s", cwd=project)
    assert done.returncode == 0, done.stdout
    assert "warning SVC202" in done.stdout and "SVC203" not in done.stdout


def test_pyproject_config(svclint_exe: list[str], project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.svclint]\nfail-on = "warning"\nseverity = {SVC202 = "warning"}\nignore = ["SVC203"]\n')
    assert run(svclint_exe, "check", "k8s", cwd=project).returncode == 1


def test_rules_and_rule(svclint_exe: list[str], project: Path) -> None:
    listing = run(svclint_exe, "rules", cwd=project)
    assert listing.returncode == 0 and "SVC203  invalid-session-affinity" in listing.stdout
    shown = run(svclint_exe, "rule", "SVC203", cwd=project)
    assert shown.returncode == 0
    assert "sessionAffinity: cluster" in shown.stdout and "Good:" in shown.stdout
    assert run(svclint_exe, "rule", "SVC999", cwd=project).returncode == 2
    assert run(svclint_exe, "--version", cwd=project).stdout.startswith("svclint ")


def test_bad_files_do_not_stop_the_others(svclint_exe: list[str], project: Path) -> None:
    (project / "k8s" / "binary.yaml").write_bytes(b"\x00\x01\x02")
    (project / "k8s" / "latin1.yaml").write_bytes(b"name: caf\xe9\n")
    (project / "k8s" / "chart.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n")
    (project / "k8s" / "broken.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: [\n")
    (project / "k8s" / "dir.yaml").mkdir()
    done = run(svclint_exe, "check", "k8s", cwd=project)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    for expected in ("binary.yaml:1:1: error SVC005", "latin1.yaml:1:10: error SVC005", "chart.yaml:4:9: error SVC004",
                     "broken.yaml:4:1: error SVC001", "bad.yaml:6:20: error SVC203"):
        assert expected in done.stdout, expected


def test_walked_non_manifests_are_skipped_but_named_ones_are_not(svclint_exe: list[str], project: Path) -> None:
    (project / "k8s" / "values.yaml").write_text("replicaCount: 1\nimage: nginx\n")
    done = run(svclint_exe, "check", "k8s", cwd=project)
    assert "values.yaml" not in done.stdout
    named = run(svclint_exe, "check", "k8s/values.yaml", cwd=project)
    assert "values.yaml:1:1: error SVC009" in named.stdout
    assert run(svclint_exe, "check", "--only-manifests", "k8s/values.yaml", cwd=project).stdout.startswith("All checks passed")


def test_walked_files_that_never_name_a_kind_keep_their_syntax_to_themselves(svclint_exe: list[str], project: Path) -> None:
    (project / "k8s" / "tsconfig.json").write_text('{\n  // a comment\n  "compilerOptions": {"strict": true,},\n}\n')
    (project / "k8s" / "ci.yaml").write_text("steps: [\n  - run: make\n")
    (project / "k8s" / "broken.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: [\n")
    done = run(svclint_exe, "check", "k8s", cwd=project)
    assert "tsconfig.json" not in done.stdout and "ci.yaml" not in done.stdout
    assert "broken.yaml:4:1: error SVC001" in done.stdout
    hooked = run(svclint_exe, "check", "--only-manifests", "k8s/tsconfig.json", "k8s/ci.yaml", "k8s/broken.yaml", cwd=project)
    assert "tsconfig.json" not in hooked.stdout and "broken.yaml:4:1: error SVC001" in hooked.stdout
    assert "tsconfig.json:3:20: error SVC001" in run(svclint_exe, "check", "k8s/tsconfig.json", cwd=project).stdout


def test_force_exclude_applies_excludes_to_named_files(svclint_exe: list[str], project: Path) -> None:
    (project / ".svclint.yaml").write_text("exclude: [k8s/bad.yaml]\n")
    assert run(svclint_exe, "check", "k8s/bad.yaml", cwd=project).returncode == 1
    excluded = run(svclint_exe, "check", "--force-exclude", "k8s/bad.yaml", "k8s/clean.yaml", cwd=project)
    assert excluded.returncode == 0 and "bad.yaml" not in excluded.stdout
