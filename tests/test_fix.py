"""--fix, --diff and --unsafe-fixes: exact bytes after fixing, idempotence, atomic writes, and a
property test that fixing changes a document's data only where the fixes meant to."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from svclint.autofix import ChangedOnDisk, FixedFile, fix_files, write_atomically
from svclint.config import Config
from svclint.engine import InputFile, lint
from svclint.source import encode_like

MESSY = """\
# a Service from a tutorial, with its mistakes
apiVersion: v1
kind: Service
metadata:
  name: web           # keep this comment
  labels: &labels {app: web, version: "1"}
selector:             # belongs under spec
  app: web
spec:
  type: nodeport
  ports:
    - name: http
      port: 80
      target: 8080    # targetPort
      protocol: tcp
      nodeport: 30080
    - {name: dns, port: 53, protocol: udp}
  sessionAffinity: clientip
---
apiVersion: v1
kind: Service
metadata: {name: db, labels: *labels}
spec:
  type: LoadBalancer
  externalTrafficPolicy: local
  ports: [{port: 5432, Protocol: TCP}]
"""

FIXED = """\
# a Service from a tutorial, with its mistakes
apiVersion: v1
kind: Service
metadata:
  name: web           # keep this comment
  labels: &labels {app: web, version: "1"}
spec:
  selector:             # belongs under spec
    app: web
  type: NodePort
  ports:
    - name: http
      port: 80
      targetPort: 8080    # targetPort
      protocol: TCP
      nodePort: 30080
    - {name: dns, port: 53, protocol: UDP}
  sessionAffinity: ClientIP
---
apiVersion: v1
kind: Service
metadata: {name: db, labels: *labels}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  ports: [{port: 5432, protocol: TCP}]
"""

FIXED_RULES = {"SVC101", "SVC201", "SVC202", "SVC203", "SVC236"}


def _run(text: str | bytes, *, unsafe: bool = False) -> tuple[bytes, list[str]]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    run = fix_files([InputFile("m.yaml", data)], config=Config(), unsafe=unsafe)
    out = run.fixed[0].data if run.fixed else data
    return out, [d.rule_id for d in run.result.diagnostics]


@pytest.mark.parametrize("backend_text", ["lf", "crlf"])
def test_every_fix_keeps_every_other_byte(backend_text: str) -> None:
    source, expected = MESSY, FIXED
    if backend_text == "crlf":
        source, expected = source.replace("\n", "\r\n"), expected.replace("\n", "\r\n")
    fixed, remaining = _run(source)
    assert fixed.decode("utf-8") == expected
    assert not FIXED_RULES & set(remaining), remaining


def test_fixing_is_idempotent_and_relint_is_clean() -> None:
    once, _ = _run(MESSY)
    twice, _ = _run(once)
    assert twice == once
    result = lint([InputFile("m.yaml", once)])
    assert not [d for d in result.diagnostics if d.fix is not None and d.fix.safe]
    assert not FIXED_RULES & {d.rule_id for d in result.diagnostics}


def test_byte_order_mark_and_missing_final_newline_are_kept() -> None:
    source = "\ufeffapiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: nodeport\n  ports: [{port: 80}]"
    fixed, _ = _run(source.encode("utf-8"))  # the text starts with U+FEFF: a UTF-8 BOM
    assert fixed.startswith(b"\xef\xbb\xbf") and fixed.endswith(b"ports: [{port: 80}]")
    assert b"type: NodePort" in fixed
    utf16 = source.lstrip("\ufeff").encode("utf-16")
    fixed16, _ = _run(utf16)
    assert fixed16[:2] == utf16[:2] and "type: NodePort" in fixed16.decode("utf-16")


def test_unsafe_fixes_wait_for_the_flag() -> None:
    source = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: deafult}\nspec:\n  ports: [{port: 80, protocol: HTTP}]\n"
    safe_only, remaining = _run(source)
    assert safe_only.decode() == source and "SVC202" in remaining
    both, remaining = _run(source, unsafe=True)
    assert both.decode() == source.replace("deafult", "default").replace("HTTP", "TCP")
    assert "SVC202" not in remaining and "SVC302" not in remaining


def test_selector_already_in_spec_and_equal_is_removed_and_different_is_left() -> None:
    agree = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nselector:\n  app: web\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n"
    fixed, _ = _run(agree)
    assert fixed.decode() == "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n"
    disagree = agree.replace("  app: web\nspec", "  app: api\nspec")
    unchanged, remaining = _run(disagree)
    assert unchanged.decode() == disagree and "SVC101" in remaining


def test_a_fix_that_would_break_the_yaml_is_not_applied() -> None:
    # A flow-style misplaced selector cannot be cut cleanly: no fix, nothing written.
    source = "apiVersion: v1\nkind: Service\nmetadata: {name: web, selector: {app: web}}\nspec:\n  ports: [{port: 80}]\n"
    fixed, remaining = _run(source)
    assert fixed.decode() == source and "SVC101" in remaining


def test_write_is_atomic_keeps_permissions_and_refuses_a_changed_file(tmp_path: Path) -> None:
    target = tmp_path / "svc.yaml"
    target.write_text(MESSY)
    target.chmod(0o640)
    run = fix_files([InputFile(str(target), target.read_bytes())], config=Config())
    write_atomically(run.fixed[0])
    assert target.read_text() == FIXED
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["svc.yaml"]  # no temporary file left
    stale = FixedFile(str(target), b"what svclint read earlier", "", "", b"new", 1)
    with pytest.raises(ChangedOnDisk):
        write_atomically(stale)
    assert target.read_text() == FIXED


def test_cli_diff_writes_nothing_then_fix_writes_and_stdin_goes_to_stdout(tmp_path: Path, svclint_exe: list[str]) -> None:
    target = tmp_path / "svc.yaml"
    target.write_text(MESSY)
    diff = subprocess.run([*svclint_exe, "check", str(target), "--diff"], capture_output=True, text=True)
    assert diff.returncode == 1 and "-  type: nodeport" in diff.stdout and "+  type: NodePort" in diff.stdout
    assert target.read_text() == MESSY
    fixed = subprocess.run([*svclint_exe, "check", str(target), "--fix"], capture_output=True, text=True)
    assert target.read_text() == FIXED and "Fixed" in fixed.stderr, fixed.stderr
    again = subprocess.run([*svclint_exe, "check", str(target), "--diff"], capture_output=True, text=True)
    assert again.returncode == 0 and again.stdout == ""
    piped = subprocess.run([*svclint_exe, "check", "-", "--fix"], input=MESSY, capture_output=True, text=True)
    assert piped.stdout == FIXED


# --- property: fixing changes data only at the fixed paths ------------------------------------

CORRECT_KEYS = {"targetPort": ["target", "targetport", "TargetPort"], "nodePort": ["nodeport", "NodePort"],
                "protocol": ["Protocol", "PROTOCOL"]}
VALUES = {"type": ("NodePort", ["nodeport", "NODEPORT", "nodePort"]),
          "sessionAffinity": ("ClientIP", ["clientip", "clientIP", "CLIENTIP"])}


@st.composite
def messy_services(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A Service written with mistakes that each have one right repair, and its repaired data."""
    port_number = draw(st.integers(1, 65535))
    node_port = draw(st.integers(30000, 32767))
    protocol = draw(st.sampled_from(["TCP", "UDP", "SCTP"]))
    keys = {name: draw(st.sampled_from([name, *slips])) for name, slips in CORRECT_KEYS.items()}
    values = {field: draw(st.sampled_from([good, *slips])) for field, (good, slips) in VALUES.items()}
    proto_text = draw(st.sampled_from([protocol, protocol.lower()]))
    selector_outside = draw(st.booleans())
    comment = draw(st.sampled_from(["", "  # note"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = ["apiVersion: v1", "kind: Service", "metadata:", f"  name: web{comment}"]
    if selector_outside:
        lines += [f"selector:{comment}", "  app: web"]
    lines += ["spec:", f"  type: {values['type']}", f"  sessionAffinity: {values['sessionAffinity']}"]
    if not selector_outside:
        lines += ["  selector:", "    app: web"]
    lines += ["  ports:", f"    - port: {port_number}{comment}", f"      {keys['targetPort']}: {port_number}",
              f"      {keys['protocol']}: {proto_text}", f"      {keys['nodePort']}: {node_port}"]
    expected = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                "spec": {"type": "NodePort", "sessionAffinity": "ClientIP", "selector": {"app": "web"},
                         "ports": [{"port": port_number, "targetPort": port_number, "protocol": protocol,
                                    "nodePort": node_port}]}}
    return newline.join(lines) + newline, expected


@settings(max_examples=150, deadline=None)
@given(messy_services())
def test_fixed_data_is_exactly_the_repaired_data(case: tuple[str, dict[str, Any]]) -> None:
    text, expected = case
    fixed, remaining = _run(text)
    assert yaml.safe_load(fixed.decode("utf-8")) == expected
    assert not FIXED_RULES & set(remaining)
    again, _ = _run(fixed)
    assert again == fixed
    for line in text.splitlines():
        if "#" in line:
            assert line[line.index("#"):] in fixed.decode("utf-8")


def test_encode_like_round_trips_every_bom() -> None:
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "utf-16-be", "utf-32"):
        original = "kind: Service\n".encode(encoding)
        if encoding == "utf-16-be":
            original = b"\xfe\xff" + original
        again = encode_like("kind: Service\n", original)
        assert again == original, encoding
