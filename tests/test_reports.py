"""CI output formats: SARIF validated against the official 2.1.0 schema (what GitHub code
scanning ingests) and GitHub workflow commands, both driven through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest

from .test_cli import run

MANIFESTS = """apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  sessionAffinity: clientip
  selector: {app: web}
  ports:
    - name: http
      port: 80
      targetPort: htp
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx, ports: [{name: http, containerPort: 8080}]}]
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "web.yaml").write_text(MANIFESTS)
    return tmp_path


def _sarif(svclint_exe: list[str], project: Path) -> dict[str, Any]:
    done = run(svclint_exe, "check", "--format", "sarif", "k8s", cwd=project)
    assert done.returncode == 1, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def test_cli_sarif_validates_against_the_official_schema(svclint_exe: list[str], project: Path, shared_dir: Path) -> None:
    document = _sarif(svclint_exe, project)
    schema = json.loads((shared_dir / "schemas-ref" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(document)


def test_cli_sarif_has_what_code_scanning_needs(svclint_exe: list[str], project: Path) -> None:
    (sarif_run,) = _sarif(svclint_exe, project)["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    assert all(rule["helpUri"].startswith("https://") and rule["shortDescription"]["text"] for rule in rules)
    by_rule = {result["ruleId"]: result for result in sarif_run["results"]}
    assert set(by_rule) == {"SVC203", "SVC420"}
    for result in sarif_run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert len(result["partialFingerprints"]["svclint/v1"]) == 32
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": "k8s/web.yaml", "uriBaseId": "%SRCROOT%"}
    affinity = by_rule["SVC203"]
    assert affinity["level"] == "error"
    assert affinity["locations"][0]["physicalLocation"]["region"] == {"startLine": 6, "startColumn": 20, "endLine": 6, "endColumn": 28}
    (change,) = affinity["fixes"][0]["artifactChanges"]
    assert change["replacements"] == [{"deletedRegion": {"startLine": 6, "startColumn": 20, "endLine": 6, "endColumn": 28},
                                       "insertedContent": {"text": "ClientIP"}}]
    related = by_rule["SVC420"]["relatedLocations"][0]
    assert related["physicalLocation"]["region"]["startLine"] == 21 and "http 8080/TCP" in related["message"]["text"]


def test_cli_sarif_fingerprints_survive_moved_lines(svclint_exe: list[str], project: Path) -> None:
    before = {r["ruleId"]: r["partialFingerprints"] for r in _sarif(svclint_exe, project)["runs"][0]["results"]}
    (project / "k8s" / "web.yaml").write_text("# a comment that moves every line down\n\n" + MANIFESTS)
    after = {r["ruleId"]: r["partialFingerprints"] for r in _sarif(svclint_exe, project)["runs"][0]["results"]}
    assert before == after


def test_cli_github_format_is_the_default_inside_actions(svclint_exe: list[str], project: Path) -> None:
    done = run(svclint_exe, "check", "k8s", cwd=project, env={"GITHUB_ACTIONS": "true"})
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("::error file=k8s/web.yaml,line=6,col=20,endLine=6,endColumn=28,title=SVC203 invalid-session-affinity::")
    assert all(line.startswith("::") for line in lines[:-1]) and "%0A" not in lines[0]
    plain = run(svclint_exe, "check", "--format", "text", "k8s", cwd=project, env={"GITHUB_ACTIONS": "true"})
    assert plain.stdout.startswith("k8s/web.yaml:6:20: error SVC203")


def test_github_escaping() -> None:
    from svclint.report.github import escape_data, escape_property

    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"
    assert escape_data("50% done\r\n") == "50%25 done%0D%0A"


def test_cli_junit_lists_every_file_and_each_finding(svclint_exe: list[str], project: Path) -> None:
    (project / "k8s" / "clean.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: db}\nspec:\n  ports: [{port: 5432}]\n")
    done = run(svclint_exe, "check", "--format", "junit", "--output-file", "report.xml", "k8s", cwd=project)
    assert done.returncode == 1 and done.stdout == "", done.stderr
    root = ElementTree.parse(project / "report.xml").getroot()
    assert root.tag == "testsuites" and root.get("failures") == "2" and root.get("tests") == "3"
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == {"k8s/web.yaml", "k8s/clean.yaml"}
    (passing,) = suites["k8s/clean.yaml"].iter("testcase")
    assert passing.find("failure") is None
    cases = list(suites["k8s/web.yaml"].iter("testcase"))
    assert [case.get("name") for case in cases] == [
        "SVC203 invalid-session-affinity at k8s/web.yaml:6:20", "SVC420 undeclared-target-port-name at k8s/web.yaml:11:19"]
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("type") == "error:SVC203" and cases[0].get("line") == "6"
    assert "`ClientIP`" in (failure.get("message") or "") and (failure.text or "").startswith("k8s/web.yaml:6:20: error SVC203")


def test_junit_replaces_characters_xml_cannot_carry() -> None:
    from svclint.report.junit import xml_text

    assert xml_text("a\x00b\x1bc\td\ud800") == "a\ufffdb\ufffdc\td\ufffd"
