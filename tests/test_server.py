"""`svclint server`, driven end to end as an editor drives it: a subprocess speaking LSP over
stdio (tests/lsp_client.py), a workspace on disk, documents opened, edited and closed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .lsp_client import LspClient
from .test_reports import MANIFESTS

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  sessionAffinity: cluster
  ports:
    - name: http
      port: 80
      targetPort: htp
"""

DEPLOYMENT = MANIFESTS.split("---\n")[1]  # selects app=web, declares port `http` 8080


def _uri(path: Path) -> str:
    return path.resolve().as_uri()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    (tmp_path / "k8s" / "apps").mkdir(parents=True)
    (tmp_path / "k8s" / "svc").mkdir()
    (tmp_path / "k8s" / "apps" / "web.yaml").write_text(DEPLOYMENT)
    (tmp_path / "k8s" / "svc" / "web.yaml").write_text(SERVICE)
    return tmp_path


def start(svclint_exe: list[str], workspace: Path, encodings: list[str] | None = None) -> LspClient:
    client = LspClient([*svclint_exe, "server", "--debounce", "0.05"], cwd=workspace,
                       env={**os.environ, "NO_COLOR": "1"})
    capabilities: dict[str, Any] = {
        "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}, "workspaceFolders": True},
        "textDocument": {"publishDiagnostics": {"relatedInformation": True, "versionSupport": True},
                         "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix", "source.fixAll"]}}},
                         "hover": {"contentFormat": ["markdown", "plaintext"]}},
    }
    if encodings:
        capabilities["general"] = {"positionEncodings": encodings}
    result = client.request("initialize", {
        "processId": os.getpid(), "rootUri": _uri(workspace), "capabilities": capabilities,
        "workspaceFolders": [{"uri": _uri(workspace), "name": "workspace"}],
    })
    assert result["serverInfo"]["name"] == "svclint"
    client.notify("initialized", {})
    return client


@pytest.fixture
def client(svclint_exe: list[str], workspace: Path) -> Iterator[LspClient]:
    lsp = start(svclint_exe, workspace)
    yield lsp
    assert lsp.close() == 0, lsp.stderr_text()


def open_document(client: LspClient, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = _uri(path)
    client.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "yaml", "version": version, "text": path.read_text() if text is None else text}})
    return uri


def change(client: LspClient, uri: str, text: str, version: int) -> None:
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]})


def by_code(diagnostics: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {diagnostic["code"]: diagnostic for diagnostic in diagnostics}


def test_cli_server_publishes_diagnostics_and_clears_them_after_a_fix(client: LspClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "k8s" / "svc" / "web.yaml")
    published = client.diagnostics(uri, bool)
    found = by_code(published["diagnostics"])
    assert set(found) == {"SVC203", "SVC420"} and published["version"] == 1
    affinity = found["SVC203"]
    assert affinity["range"] == {"start": {"line": 6, "character": 19}, "end": {"line": 6, "character": 26}}
    assert affinity["severity"] == 1 and affinity["source"] == "svclint"
    assert affinity["codeDescription"]["href"].endswith("#svc203-invalid-session-affinity")
    # the cross-check read the Deployment from disk (not open in the editor)
    (related,) = found["SVC420"]["relatedInformation"]
    assert related["location"]["uri"] == _uri(workspace / "k8s" / "apps" / "web.yaml")
    assert "did you mean `http`" in found["SVC420"]["message"]

    fixed = SERVICE.replace("cluster", "ClientIP").replace("htp", "http")
    change(client, uri, fixed, 2)
    cleared = client.diagnostics(uri, lambda diagnostics: not diagnostics)
    assert cleared["version"] == 2


def test_cli_server_cross_checks_open_documents_against_each_other(client: LspClient, workspace: Path) -> None:
    service = open_document(client, workspace / "k8s" / "svc" / "web.yaml", SERVICE.replace("htp", "http"))
    assert set(by_code(client.diagnostics(service, bool)["diagnostics"])) == {"SVC203"}
    # rename the container port in the Deployment's unsaved buffer: the Service now names a port nobody declares
    deployment = open_document(client, workspace / "k8s" / "apps" / "web.yaml", DEPLOYMENT.replace("name: http", "name: web"))
    client.diagnostics(service, lambda diagnostics: "SVC420" in by_code(diagnostics))
    client.notify("textDocument/didClose", {"textDocument": {"uri": deployment}})
    assert client.diagnostics(deployment)["diagnostics"] == []
    # closed: the copy on disk (with `http`) is the context again
    client.diagnostics(service, lambda diagnostics: set(by_code(diagnostics)) == {"SVC203"})


def test_cli_server_code_actions(client: LspClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "k8s" / "svc" / "web.yaml")
    diagnostics = client.diagnostics(uri, bool)["diagnostics"]
    affinity = by_code(diagnostics)["SVC203"]
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": affinity["range"], "context": {"diagnostics": [affinity]}})
    titles = [action["title"] for action in actions]
    fix = next(action for action in actions if "SVC203" in action["title"] and action["title"] != "Disable SVC203 for this line"
               and "file" not in action["title"])
    assert fix["kind"] == "quickfix" and fix["isPreferred"] is False
    assert fix["edit"]["changes"][uri] == [{"range": affinity["range"], "newText": "ClientIP"}]
    disable = next(action for action in actions if action["title"] == "Disable SVC203 for this line")
    assert disable["edit"]["changes"][uri] == [{"range": {"start": {"line": 6, "character": 0}, "end": {"line": 6, "character": 0}},
                                                "newText": "  # svclint: disable-next-line=SVC203\n"}]
    assert "Disable SVC203 for this file" in titles
    # applying the disable comment silences the rule
    lines = SERVICE.splitlines(keepends=True)
    change(client, uri, "".join([*lines[:6], "  # svclint: disable-next-line=SVC203\n", *lines[6:]]), 2)
    client.diagnostics(uri, lambda found: set(by_code(found)) == {"SVC420"})


def test_cli_server_fix_all(client: LspClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "k8s" / "svc" / "web.yaml", SERVICE.replace("port: 80", "port: 80\n      protocol: tcp"))
    client.diagnostics(uri, bool)
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
        "context": {"diagnostics": [], "only": ["source.fixAll"]}})
    (fix_all,) = actions
    assert fix_all["kind"] == "source.fixAll.svclint"
    (edit,) = fix_all["edit"]["changes"][uri]
    assert "protocol: TCP" in edit["newText"] and "sessionAffinity: cluster" in edit["newText"]  # safe fixes only


def test_cli_server_hover_shows_the_schema_documentation(client: LspClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "k8s" / "svc" / "web.yaml")
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 10, "character": 9}})
    assert hover["contents"]["kind"] == "markdown"
    assert hover["contents"]["value"].startswith("**`spec.ports[0].targetPort`**: integer or string (Service, v1)")
    assert "named port" in hover["contents"]["value"]
    assert hover["range"] == {"start": {"line": 10, "character": 6}, "end": {"line": 10, "character": 16}}
    on_value = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 6, "character": 22}})
    assert "**`spec.sessionAffinity`**: string" in on_value["contents"]["value"] and "ClientIP" in on_value["contents"]["value"]
    assert client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 50, "character": 0}}) is None


def test_cli_server_reads_the_workspace_config_and_reloads_it(client: LspClient, workspace: Path) -> None:
    config = workspace / ".svclint.yaml"
    config.write_text("ignore: [SVC203]\n")
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": _uri(config), "type": 1}]})
    uri = open_document(client, workspace / "k8s" / "svc" / "web.yaml")
    client.diagnostics(uri, lambda found: set(by_code(found)) == {"SVC420"})
    config.write_text("ignore: [SVC420]\n")
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": _uri(config), "type": 2}]})
    client.diagnostics(uri, lambda found: set(by_code(found)) == {"SVC203"})


def test_cli_server_keeps_serving_through_broken_and_foreign_documents(client: LspClient, workspace: Path) -> None:
    uri = open_document(client, workspace / "k8s" / "svc" / "web.yaml")
    client.diagnostics(uri, bool)
    for version, cut in enumerate(range(0, len(SERVICE), 17), start=2):  # typed half-way, every state in between
        change(client, uri, SERVICE[:cut] + "  ports: [\n\t{port: 80", version)
    broken = client.diagnostics(uri, lambda found: "SVC001" in by_code(found) or "SVC006" in by_code(found))
    assert all(d["range"]["start"]["line"] <= d["range"]["end"]["line"] for d in broken["diagnostics"])
    workflow = workspace / ".github" / "ci.yml"
    workflow.parent.mkdir()
    other = open_document(client, workflow, "on: push\njobs: {build: {runs-on: ubuntu-latest}}\n")
    assert client.diagnostics(other)["diagnostics"] == []
    change(client, uri, SERVICE, 100)
    assert set(by_code(client.diagnostics(uri, lambda found: "SVC203" in by_code(found))["diagnostics"])) == {"SVC203", "SVC420"}


def test_cli_server_speaks_the_negotiated_position_encoding(svclint_exe: list[str], workspace: Path) -> None:
    lsp = start(svclint_exe, workspace, encodings=["utf-8"])
    try:
        text = SERVICE.replace("name: web\nspec", 'name: "wéb-😀"\nspec')
        uri = open_document(lsp, workspace / "k8s" / "svc" / "web.yaml", text)
        name = by_code(lsp.diagnostics(uri, lambda found: "SVC301" in by_code(found))["diagnostics"])["SVC301"]
        # `"wéb-😀"` is 7 code points, 8 UTF-16 units and 11 UTF-8 bytes (é is 2, the emoji 4)
        assert name["range"] == {"start": {"line": 3, "character": 8}, "end": {"line": 3, "character": 19}}
    finally:
        assert lsp.close() == 0


def test_cli_server_serves_through_hostile_text_mid_edit(client: LspClient, workspace: Path) -> None:
    """The inputs of tests/test_hostile.py, typed into an open buffer one after another: each
    version gets its diagnostics, inside the document, and the server then still hovers and lints."""
    from .test_hostile import CASES, alias_bomb
    from .test_hostile import SERVICE as RICH_SERVICE

    uri = open_document(client, workspace / "k8s" / "svc" / "web.yaml")
    client.diagnostics(uri, bool)
    edits = [data.decode("utf-8", "replace") for _, data, _ in CASES]
    edits += [
        RICH_SERVICE.replace("web", "w\x00b", 1),  # a NUL typed (or pasted) into the buffer
        RICH_SERVICE + "# \ud800 a lone surrogate, as a broken paste leaves it\n",
        "\ufeff" + RICH_SERVICE.replace("\n", "\r\n"),
        alias_bomb().decode() + "  z: " + "[" * 10_000,
        "metadata:\n  name: " + "x" * 1_000_000 + "\n",
        *(RICH_SERVICE[:cut] for cut in range(0, len(RICH_SERVICE), 23)),
    ]
    for version, text in enumerate(edits, start=2):
        change(client, uri, text, version)
        published = client.wait(lambda message, v=version: message.get("method") == "textDocument/publishDiagnostics"
                                and message["params"]["uri"] == uri and message["params"].get("version") == v, timeout=60)
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for diagnostic in published["params"]["diagnostics"]:
            start, end = diagnostic["range"]["start"], diagnostic["range"]["end"]
            assert (start["line"], start["character"]) <= (end["line"], end["character"]), diagnostic
            assert end["line"] < len(lines) or (end["line"] == len(lines) and end["character"] == 0), diagnostic
            assert diagnostic["code"] != "SVC900", diagnostic["message"]
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 2}})
    assert hover is None or "apiVersion" in hover["contents"]["value"]
    change(client, uri, SERVICE, len(edits) + 2)
    assert set(by_code(client.diagnostics(uri, lambda found: "SVC203" in by_code(found))["diagnostics"])) == {"SVC203", "SVC420"}
    assert "Traceback" not in client.stderr_text()
