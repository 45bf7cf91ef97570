"""Hostile and broken input: every input gets findings or a clear message at a valid position,
in bounded time and memory, and the other files are still linted.

The invariants every result must keep are in ``check_result``; the table below pairs each input
users (and attackers) feed svclint with the finding it must produce, and the property tests at
the end feed it generated YAML, mutated real manifests and random bytes.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from svclint.config import Config, from_data
from svclint.discover import read, read_stream, walk
from svclint.engine import InputFile, LintResult, lint
from svclint.registry import QUOTED_LIMIT, builtin_rules, shorten_quoted
from svclint.report import renderer

from .test_reports import MANIFESTS

RULE_IDS = {rule.id for rule in builtin_rules()}
FORMATS = ("text", "json", "sarif", "junit", "github")

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: web  # the front door
  labels: {app: web, tier: "frontend"}
spec:
  sessionAffinity: cluster
  selector:
    app: web
  ports:
    - name: http
      port: 80
      targetPort: 8080
      protocol: HTTP
  description: |
    a block scalar, with "quotes" and a # that is not a comment
"""
DEPLOYMENT = "---\n" + MANIFESTS.split("---\n")[1]  # selects app=web, declares port `http` 8080


def check_result(result: LintResult, *, internal_error: bool = False) -> None:
    """What every result keeps, whatever the input: known rules, no internal error (unless one
    is injected), ranges inside their file with lines and columns that agree with the offsets,
    bounded messages, and every reporter renders."""
    for diagnostic in result.diagnostics:
        assert diagnostic.rule_id in RULE_IDS, diagnostic
        assert internal_error or diagnostic.rule_id != "SVC900", diagnostic.message
        assert diagnostic.message and len(diagnostic.message) < 2_000, diagnostic.message[:300]
        source = result.sources[diagnostic.path]
        start, end = diagnostic.range.start, diagnostic.range.end
        assert 0 <= start.offset <= end.offset <= len(source.text), diagnostic
        assert source.position(start.offset) == start and source.position(end.offset) == end, diagnostic
        for related in diagnostic.related:
            other = result.sources[related.path]
            assert 0 <= related.range.start.offset <= related.range.end.offset <= len(other.text)
        if diagnostic.fix is not None:
            for edit in diagnostic.fix.edits:
                assert 0 <= edit.span.start <= edit.span.end <= len(source.text)
    for name in FORMATS:
        out = io.StringIO()
        renderer(name)(result, out, False)
        assert out.getvalue()


def lint_bytes(data: bytes | None, *, path: str = "input.yaml", config: Config | None = None, backend: str = "auto",
               explicit: bool = True) -> LintResult:
    result = lint([InputFile(path, data, None, explicit)], config=config or Config(), backend=backend)
    check_result(result)
    return result


def found(result: LintResult) -> list[tuple[str, str]]:
    return [(d.rule_id, f"{d.range.start.line + 1}:{d.range.start.column + 1}") for d in result.diagnostics]


def svc(spec: str) -> bytes:
    return f"apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n{spec}".encode()


def alias_bomb(levels: int = 9) -> bytes:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: lol}", "data:", "  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels + 1):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"  {name}: &{name} [{', '.join(['*' + previous] * 10)}]")
    return ("\n".join(lines) + "\n").encode()


# (id, input bytes, the findings it must produce as (rule, line:col), in order; None: see the test)
CASES: list[tuple[str, bytes, list[tuple[str, str]]]] = [
    # YAML syntax errors
    ("unclosed-single-quote", b"apiVersion: v1\nkind: Service\nmetadata:\n  name: 'web\n", [("SVC001", "5:1")]),
    ("unclosed-double-quote", b'apiVersion: v1\nkind: Service\nmetadata: {name: "web}\n', [("SVC001", "4:1")]),
    ("unclosed-flow-sequence", svc("  ports: [80\n"), [("SVC001", "7:1")]),
    ("unclosed-flow-mapping", svc("  selector: {app: web\n  ports: []\n"), [("SVC001", "7:8")]),
    ("bad-indentation", b"apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n    labels: x\n", [("SVC001", "5:11")]),
    ("dedent-into-sequence", svc("  ports:\n  - port: 80\n   name: x\n"), [("SVC001", "8:4")]),
    ("tab-indentation", b"apiVersion: v1\nkind: Service\nmetadata:\n\tname: web\n", [("SVC003", "4:1")]),
    ("bare-document-after-end-marker", svc("  ports: [{port: 80}]\n...\nfoo\n...\n"), [("SVC008", "8:1")]),
    ("error-before-end-marker", svc("  ports: [\n...\n---\nkind: Service\n"), [("SVC001", "7:1"), ("SVC009", "9:1")]),
    ("error-then-valid-document", svc("  ports: [\n---\n").decode().encode() + svc("  sessionAffinity: cluster\n  ports: [{port: 80}]\n"),
     [("SVC001", "7:1"), ("SVC203", "13:20")]),
    # not text
    ("binary", bytes(range(256)) * 4, [("SVC005", "1:1")]),
    ("nul-byte", svc("  ports: [{port: 80}]\n")[:20] + b"\x00" + svc("  ports: [{port: 80}]\n")[20:], [("SVC005", "1:1")]),
    ("invalid-utf8", svc("  ports: [{port: 80}]  # caf\xe9\n".replace("\xe9", "")) .replace(b"caf", b"caf\xe9"), [("SVC005", "6:29")]),
    ("truncated-utf8", svc("  ports: [{port: 80}]\n") + "# é".encode()[:-1], [("SVC005", "7:3")]),
    ("utf16-without-bom", svc("  ports: [{port: 80}]\n").decode().encode("utf-16-le"), [("SVC005", "1:1")]),
    ("bad-utf16-after-bom", b"\xff\xfe" + "apiVersion".encode("utf-16-le") + b"\x00\xd8", [("SVC005", "1:11")]),
    ("empty", b"", []),
    ("only-comments", b"# nothing here\n\n", []),
    ("only-document-markers", b"---\n---\n...\n", []),
    # not Kubernetes
    ("scalar", b"hello\n", [("SVC008", "1:1")]),
    ("list", b"- a\n- b\n", [("SVC008", "1:1")]),
    ("null-documents", b"---\n~\n---\nnull\n", []),
    ("huge-integers", svc("  ports:\n    - port: 99999999999999999999999\n      targetPort: 340282366920938463463374607431768211456\n"),
     [("SVC102", "7:13"), ("SVC212", "7:13"), ("SVC102", "8:19"), ("SVC212", "8:19")]),
    ("non-string-keys", svc("  ports: [{port: 80}]\n  selector:\n    [a]: b\n    {c: 1}: d\n    1: x\n"),
     [("SVC007", "8:5"), ("SVC007", "9:5")]),
    ("merge-keys", svc("  ports:\n    - &p {port: 80, name: a}\n    - <<: *p\n      name: b\n      port: 81\n"), []),
    ("merge-key-of-a-scalar", svc("  ports:\n    - <<: 3\n      port: 80\n"), [("SVC001", "7:11")]),
    ("anchor-and-alias", svc("  selector: &s {app: web}\n  ports: [{port: 80}]\n  x: *s\n"), [("SVC101", "8:3")]),
    ("undefined-alias", svc("  ports: [{port: 80}]\n  selector: *nowhere\n"), [("SVC001", "7:13")]),
    ("custom-tags", svc("  type: !custom NodePort\n  ports: [{port: !!int '80', nodePort: !!str 30000}]\n"), [("SVC102", "7:40")]),
    ("yaml-1.1-booleans", svc("  ports: [{port: 80}]\n  selector: {enabled: on, app: yes}\n"), [("SVC102", "7:23"), ("SVC102", "7:32")]),
    ("octal-looking-ports", svc("  type: NodePort\n  ports:\n    - port: 0080\n      nodePort: 070000\n"), [("SVC206", "9:17")]),
    ("duplicate-keys", svc("  ports: [{port: 80}]\n  ports: [{port: 81}]\n"), [("SVC002", "7:3")]),
    # resource attacks (the limits are configurable; these are the defaults)
    ("alias-bomb", alias_bomb(), [("SVC006", "9:38")]),
    ("nesting-10k-flow", svc("  x: " + "[" * 10_000 + "]" * 10_000 + "\n"), [("SVC006", "6:204")]),
    ("nesting-10k-block-sequence", svc("  x:\n    " + "- " * 10_000 + "x\n"), [("SVC006", "7:401")]),
    ("nesting-10k-flow-mappings", svc("  x: " + "{a: " * 10_000 + "}" * 10_000 + "\n"), [("SVC006", "6:798")]),
    ("self-referencing-alias", svc("  ports: &p [{port: 80}, *p]\n"), [("SVC215", "6:15"), ("SVC001", "6:26")]),
    # templates and partial objects
    ("helm-template", svc("  ports:\n  {{- range .Values.ports }}\n  - port: {{ . }}\n  {{- end }}\n"), [("SVC004", "7:3")]),
    ("helm-value-in-line", b"apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n", [("SVC004", "4:9")]),
    ("jinja-template", svc("{% if tls %}\n  ports: [{port: 443}]\n{% endif %}\n"), [("SVC004", "6:1")]),
    ("envsubst-placeholders", svc("  ports:\n    - port: ${PORT}\n      nodePort: $NODE_PORT\n"), [("SVC104", "7:13"), ("SVC104", "8:17")]),
]


@pytest.mark.parametrize(("data", "expected"), [pytest.param(data, expected, id=name) for name, data, expected in CASES])
@pytest.mark.parametrize("backend", ["libyaml", "ruamel"])
def test_hostile_input_gets_its_finding(data: bytes, expected: list[tuple[str, str]], backend: str) -> None:
    assert found(lint_bytes(data, backend=backend)) == expected


def test_long_values_are_quoted_short() -> None:
    value = "x" * 1_000_000
    result = lint_bytes(f"{value}\n".encode())
    (diagnostic,) = result.diagnostics
    assert diagnostic.rule_id == "SVC008" and "(1,000,000 characters)" in diagnostic.message
    assert len(diagnostic.message) < QUOTED_LIMIT + 200


def test_only_long_quoted_values_are_shortened() -> None:
    """Quotes pair up in order: the prose between two short quoted values is not a quoted value."""
    prose = "between them, a long explanation " * 5
    message = f"selector `app=web` {prose} set `namespace: team-0` and a long `{'y' * 500}`"
    shortened = shorten_quoted(message)
    assert shortened.startswith(f"selector `app=web` {prose} set `namespace: team-0` and a long `yyy")
    assert shortened.endswith("...` (500 characters)")


def test_a_one_megabyte_line() -> None:
    long_line = svc("  type: ExternalName\n  externalName: " + "a" * 1_000_000 + "\n")
    result = lint_bytes(long_line)
    assert found(result) == [("SVC222", "7:17")]
    assert "(1,000,000 characters) is not a DNS name" in result.diagnostics[0].message
    text = io.StringIO()
    renderer("text")(result, text, False)
    assert len(text.getvalue()) < 2_000  # no 1 MB source line echoed back


@pytest.mark.parametrize("newline", ["\r\n", "\r", "mixed"])
def test_line_endings_keep_positions(newline: str) -> None:
    plain = lint_bytes(SERVICE.encode())
    lines = SERVICE.split("\n")
    text = "".join(line + ("\r\n" if index % 2 else "\n") for index, line in enumerate(lines[:-1])) if newline == "mixed" \
        else SERVICE.replace("\n", newline)
    assert found(lint_bytes(text.encode())) == found(plain) == [("SVC203", "7:20"), ("SVC202", "14:17"), ("SVC101", "15:3")]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_byte_order_marks_keep_positions(encoding: str) -> None:
    data = SERVICE.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    assert found(lint_bytes(data)) == found(lint_bytes(SERVICE.encode()))


def test_every_cut_of_a_manifest_stream() -> None:
    """The editor case: every prefix of a two-document file, cut at every byte (mid-character,
    mid-quote, mid-flow), gets findings with valid ranges and never an exception."""
    data = (SERVICE.replace("web  #", "wéb-😀  #") + DEPLOYMENT).encode()
    for cut in range(len(data) + 1):
        lint_bytes(data[:cut])
    for cut in range(0, len(data) + 1, 11):  # the pure-Python reference parser too, on a sample
        lint_bytes(data[:cut], backend="ruamel")


# --- files that are not files ----------------------------------------------------------------


def test_a_directory_named_like_a_manifest_is_walked(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").mkdir()
    (tmp_path / "x.yaml" / "svc.yaml").write_bytes(svc("  ports: [{port: 80}]\n"))
    assert [path for path, _ in walk([str(tmp_path)], Config())] == [str(tmp_path / "x.yaml" / "svc.yaml")]
    item = read(str(tmp_path / "x.yaml"), True, Config())
    assert item.error == "is a directory, not a file"
    assert found(lint([item])) == [("SVC005", "1:1")]


def test_broken_symlinks_and_symlink_loops_when_walking(tmp_path: Path) -> None:
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "svc.yaml").write_bytes(svc("  ports: [{port: 80}]\n"))
    (tmp_path / "k8s" / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (tmp_path / "k8s" / "loop").symlink_to(tmp_path / "k8s")
    (tmp_path / "k8s" / "up").symlink_to(tmp_path)
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    walked = [Path(path).relative_to(tmp_path).as_posix() for path, _ in walk([str(tmp_path)], Config())]
    assert walked == ["a.yaml", "b.yaml", "k8s/gone.yaml", "k8s/svc.yaml"]  # each folder once, links that lead nowhere listed
    items = [read(str(tmp_path / path), False, Config()) for path in walked]
    result = lint(items)
    check_result(result)
    assert {(Path(d.path).name, d.rule_id) for d in result.diagnostics} == {
        ("a.yaml", "SVC005"), ("b.yaml", "SVC005"), ("gone.yaml", "SVC005")}
    assert "symbolic link" in next(d.message for d in result.diagnostics if d.path.endswith("gone.yaml"))


def test_an_oversized_file_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:  # 100 MB, sparse: the test costs no disk
        handle.write(svc("  ports: [{port: 80}]\n"))
        handle.truncate(100 * 1024 * 1024)
    item = read(str(huge), True, Config())
    assert item.data is not None and len(item.data) == Config().max_file_size + 1
    (diagnostic,) = lint([item]).diagnostics
    assert diagnostic.rule_id == "SVC006" and "104,857,600 bytes" in diagnostic.message
    stream = read_stream(io.BytesIO(b"a" * 5_000), "-", True, from_data({"limits": {"max-file-size": 1_000}}))
    assert stream.size == 5_000 and stream.data is not None and len(stream.data) == 1_001


def test_a_million_documents_stop_at_the_document_limit() -> None:
    result = lint_bytes(b"---\n{}\n" * 1_000_000)
    assert found(result)[-1] == ("SVC006", "200001:1")
    assert "more than 100000 documents" in result.diagnostics[-1].message
    assert result.documents == 100_000


def test_limits_are_configurable() -> None:
    config = from_data({"limits": {"max-depth": 8, "max-alias-expansion": 1000, "max-documents": 2}})
    assert found(lint_bytes(svc("  x: [[[[[[[[[]]]]]]]]]\n"), config=config)) == [("SVC006", "6:12")]
    assert [rule for rule, _ in found(lint_bytes(alias_bomb(3), config=config))] == ["SVC006"]
    assert [rule for rule, _ in found(lint_bytes(b"a: 1\n---\nb: 2\n---\nc: 3\n", config=config))] == ["SVC009", "SVC009", "SVC006"]


# --- the whole CLI on a folder of hostile files -------------------------------------------------


def hostile_folder(folder: Path) -> dict[str, bytes]:
    """Every case above as a file, plus a normal bad Service, a Helm chart and a Kustomize overlay."""
    files = {f"cases/{name}.yaml": data for name, data, _ in CASES}
    files["app/web.yaml"] = SERVICE.encode() + DEPLOYMENT.encode()
    files["chart/templates/svc.yaml"] = svc("  ports:\n  {{- range .Values.ports }}\n  - port: {{ . }}\n  {{- end }}\n")
    files["base/svc.yaml"] = svc("  selector: {app: api}\n  ports: [{name: http, port: 80}]\n")
    files["base/kustomization.yaml"] = b"resources: [svc.yaml]\n"
    files["overlay/kustomization.yaml"] = (b"resources: [../base]\npatches:\n  - path: svc-patch.yaml\n"
                                           b"  - path: ops.yaml\n    target: {kind: Service}\n")
    files["overlay/svc-patch.yaml"] = svc("  type: NodePort\n  sessionAffinity: cluster\n")
    files["overlay/ops.yaml"] = b"- op: replace\n  path: /spec/type\n  value: LoadBalancer\n"
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    (folder / "cases" / "dir.yaml").mkdir()
    (folder / "cases" / "broken-link.yaml").symlink_to(folder / "nowhere.yaml")
    (folder / "cases" / "loop").symlink_to(folder / "cases")
    unreadable = folder / "cases" / "unreadable.yaml"
    unreadable.write_bytes(svc("  ports: [{port: 80}]\n"))
    unreadable.chmod(0)
    return files


def without_root_file_access() -> None:
    """Run in the child before exec: drop the capabilities that let root read any file, so a
    file with mode 000 is unreadable to svclint even when the tests run as root (as in CI)."""
    if os.geteuid() != 0:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_cli_survives_a_folder_of_hostile_files(svclint_exe: list[str], tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    hostile_folder(folder)
    env = {**os.environ, "NO_COLOR": "1", "SVCLINT_CACHE_DIR": str(folder / ".cache")}
    done = subprocess.run([*svclint_exe, "check", "--format", "json", "--no-cache", "."], cwd=folder, capture_output=True,
                          text=True, timeout=300, env=env, preexec_fn=without_root_file_access)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stderr == ""
    report = json.loads(done.stdout)
    by_file: dict[str, set[str]] = {}
    for entry in report["files"]:
        by_file[entry["path"].removeprefix("./")] = {d["code"] for d in entry["diagnostics"]}
    assert by_file["cases/unreadable.yaml"] == {"SVC005"}
    assert by_file["cases/broken-link.yaml"] == {"SVC005"}
    assert by_file["cases/alias-bomb.yaml"] == {"SVC006"}
    assert by_file["chart/templates/svc.yaml"] == {"SVC004"}
    assert by_file["app/web.yaml"] >= {"SVC203", "SVC202"}  # the good files are still linted
    assert by_file["overlay/svc-patch.yaml"] == {"SVC203"}  # a patch: no SVC219 for its missing ports
    assert "overlay/ops.yaml" not in by_file or by_file["overlay/ops.yaml"] == set()
    assert all("SVC900" not in codes for codes in by_file.values())


def test_cli_fix_on_hostile_files_loses_nothing(svclint_exe: list[str], tmp_path: Path) -> None:
    """--fix rewrites only files it has a fix for; every other file keeps its exact bytes."""
    folder = tmp_path / "repo"
    files = hostile_folder(folder)
    done = subprocess.run([*svclint_exe, "check", "--fix", "--no-cache", "."], cwd=folder, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    changed = sorted(name for name, data in files.items() if (folder / name).read_bytes() != data)
    assert changed == ["cases/yaml-1.1-booleans.yaml"]  # the only file with a safe fix
    assert b'enabled: "on"' in (folder / "cases/yaml-1.1-booleans.yaml").read_bytes()
    after_first = {name: (folder / name).read_bytes() for name in files}
    again = subprocess.run([*svclint_exe, "check", "--fix", "--no-cache", "."], cwd=folder, capture_output=True, text=True,
                           timeout=300, env={**os.environ, "NO_COLOR": "1"})
    assert again.returncode == 1 and {name: (folder / name).read_bytes() for name in files} == after_first  # idempotent


# --- an internal error costs one file, not the run -------------------------------------------


def test_an_internal_error_outside_the_rules_is_a_finding_on_that_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in the model or the summaries (here: a fault injected into one file's summary)
    becomes SVC900 on that file; the other file still gets its findings."""
    import svclint.engine

    real = svclint.engine.summarize

    def faulty(obj, namespace, text):  # type: ignore[no-untyped-def]
        if obj.path == "broken.yaml":
            raise KeyError("injected")
        return real(obj, namespace, text)

    monkeypatch.setattr(svclint.engine, "summarize", faulty)
    result = lint([InputFile("broken.yaml", SERVICE.encode()), InputFile("fine.yaml", SERVICE.encode())])
    check_result(result, internal_error=True)
    assert found(result)[:1] == [("SVC900", "1:1")] and result.diagnostics[0].path == "broken.yaml"
    assert "internal error while analysing this file: KeyError" in result.diagnostics[0].message
    assert {d.rule_id for d in result.diagnostics if d.path == "fine.yaml"} == {"SVC203", "SVC202", "SVC101"}


# --- fuzzing ----------------------------------------------------------------------------------

YAML_TOKENS = ["\n", "  ", "- ", ": ", "? ", ",", "[", "]", "{", "}", "'", '"', "#", "&a ", "*a", "!!str ", "!t ",
               "<<: ", "|", ">-", "---\n", "...\n", "\t", "\\", "%YAML 1.1\n", "{{ .Values.x }}", "${X}", "\r", "\ufeff",
               "\x00", "é", "😀", "\ud800", "apiVersion: v1\n", "kind: Service\n", "spec:\n", "  ports:\n", "    - port: 80\n",
               "targetPort: http", "nodePort: 99999", "on", "0o17", "0x1F", "1e400", "~"]


def _corpus() -> list[str]:
    texts = [SERVICE, SERVICE + DEPLOYMENT]
    for rule in builtin_rules():
        texts += [example["manifest"] for example in rule.examples["fail"]] + list(rule.examples["pass"])
    return texts


CORPUS = _corpus()


@st.composite
def mutated_manifests(draw: st.DrawFn) -> str:
    """A real manifest (a rule example), cut, spliced and sprinkled with YAML punctuation."""
    text = draw(st.sampled_from(CORPUS))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate", "swap-lines", "truncate"]))
        if action == "insert":
            text = text[:at] + draw(st.sampled_from(YAML_TOKENS)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)):]
        elif action == "duplicate":
            end = min(len(text), at + draw(st.integers(1, 80)))
            text = text[:end] + text[at:end] + text[end:]
        elif action == "swap-lines":
            lines = text.split("\n")
            first, second = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[first], lines[second] = lines[second], lines[first]
            text = "\n".join(lines)
        else:
            text = text[:at]
    return text


generated_yaml = st.lists(st.sampled_from(YAML_TOKENS) | st.text(max_size=6), max_size=60).map("".join)
FUZZ = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], deadline=None)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # lone surrogates too: they are invalid UTF-8 on disk


@FUZZ
@given(mutated_manifests(), st.booleans())
def test_fuzz_mutated_manifests(text: str, explicit: bool) -> None:
    lint_bytes(_encode(text), explicit=explicit)


@FUZZ
@given(generated_yaml)
def test_fuzz_generated_yaml_on_both_parsers(text: str) -> None:
    for backend in ("libyaml", "ruamel"):
        lint_bytes(_encode(text), backend=backend)


@FUZZ
@given(st.binary(max_size=2_000))
def test_fuzz_random_bytes(data: bytes) -> None:
    lint_bytes(data)


@FUZZ
@given(mutated_manifests(), st.booleans())
def test_fuzz_text_handed_in_by_an_editor(text: str, unsafe: bool) -> None:
    """The language server's path: text (not bytes, lone surrogates possible) and fixes applied."""
    from svclint.autofix import fix_files

    run = fix_files([InputFile("doc.yaml", text, None, False)], config=Config(), unsafe=unsafe)
    check_result(run.result)
    for fixed in run.fixed:
        again = fix_files([InputFile("doc.yaml", fixed.after, None, False)], config=Config(), unsafe=unsafe)
        assert again.fixed == []  # idempotent: a second pass finds nothing left to fix


@FUZZ
@given(st.lists(mutated_manifests(), min_size=2, max_size=5))
def test_fuzz_sets_of_files_for_the_cross_checks(texts: list[str]) -> None:
    result = lint([InputFile(f"f{index}.yaml", _encode(text)) for index, text in enumerate(texts)])
    check_result(result)


def test_kustomize_patches_are_partial_objects() -> None:
    """A patch carries only what it changes: no SVC219 (ports) or SVC103 (required fields) for
    what it leaves out, no object of its own for the cross-checks, but its present values are
    still checked."""
    kustomization = (b"resources: [../base]\npatches:\n  - path: svc.yaml\n  - patch: |-\n      kind: Service\n"
                     b"patchesStrategicMerge:\n  - deploy.yaml\npatchesJson6902:\n  - path: ops.yaml\n")
    files = [
        InputFile("overlay/kustomization.yaml", kustomization),
        InputFile("overlay/svc.yaml", svc("  type: NodePort\n  sessionAffinity: cluster\n")),
        InputFile("overlay/deploy.yaml", b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n"),
        InputFile("overlay/ops.yaml", b"- op: replace\n  path: /spec/type\n  value: LoadBalancer\n"),
        InputFile("base/svc.yaml", svc("  selector: {app: web}\n  ports: [{port: 80}]\n")),
        InputFile("other/svc.yaml", svc("  type: NodePort\n")),  # not a patch: judged whole
    ]
    result = lint(files)
    check_result(result)
    assert sorted((d.path, d.rule_id) for d in result.diagnostics) == [("other/svc.yaml", "SVC219"), ("overlay/svc.yaml", "SVC203")]
