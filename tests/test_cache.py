"""The report cache and the worker processes are speed only: every way of running gives the
same findings as a plain run, and a broken or planted cache file is never trusted."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import pytest
import yaml

from svclint import engine
from svclint.cache import ReportCache
from svclint.config import Config
from svclint.engine import InputFile, lint

from .conftest import config_of
from .test_cli import run
from .test_projects import PROJECTS, _input, _manifests

NAMES = sorted(path.name for path in PROJECTS.iterdir() if (path / "case.yaml").is_file())


def _case(name: str) -> tuple[Path, list[str], list[str], Config]:
    root = PROJECTS / name
    case: dict[str, Any] = yaml.safe_load((root / "case.yaml").read_text())
    every = _manifests(root)
    linted = case.get("lint", every)
    context = [] if case.get("context") == "none" else [path for path in every if path not in linted]
    return root, linted, context, config_of(case.get("config"))


def _open(tmp_path: Path, config: Config) -> ReportCache:
    return ReportCache.open(tmp_path / "cache", config, "auto", tmp_path)


@pytest.mark.parametrize("name", NAMES)
def test_cached_runs_find_what_a_plain_run_finds(name: str, tmp_path: Path) -> None:
    root, linted, context, config = _case(name)

    def files() -> tuple[list[InputFile], list[InputFile]]:
        return [_input(root, path) for path in linted], [_input(root, path) for path in context]

    plain = lint(*files()[:1], context=files()[1], config=config).diagnostics
    for attempt in ("cold", "warm: the whole run is reused", "per file: the run record is gone"):
        if attempt.startswith("per file"):
            next((tmp_path / "cache").glob("runs-*.pickle")).unlink()
        cache = _open(tmp_path, config)
        linted_files, context_files = files()
        assert lint(linted_files, context=context_files, config=config, cache=cache).diagnostics == plain, attempt
        cache.save()


def test_an_edit_in_a_context_file_reaches_the_findings_of_a_cached_file(tmp_path: Path) -> None:
    root, linted, context, config = _case("selector-typo")  # the Service selects tier=fronted: SVC410
    texts = {path: (root / path).read_bytes() for path in [*linted, *context]}
    found = []
    for round_ in range(2):
        if round_:  # the Deployment (context only) takes the Service's spelling: the finding must go
            texts["k8s/apps/web.yaml"] = texts["k8s/apps/web.yaml"].replace(b"tier: frontend", b"tier: fronted")
        cache = _open(tmp_path, config)
        cached = lint([InputFile(p, texts[p]) for p in linted], context=[InputFile(p, texts[p]) for p in context],
                      config=config, cache=cache)
        cache.save()
        plain = lint([InputFile(p, texts[p]) for p in linted], context=[InputFile(p, texts[p]) for p in context], config=config)
        assert cached.diagnostics == plain.diagnostics
        found.append([d.rule_id for d in cached.diagnostics])
    assert found == [["SVC410"], []]


def test_other_settings_never_reuse_a_report(tmp_path: Path) -> None:
    root, linted, _, _ = _case("target-ports")
    files = [_input(root, path) for path in linted]
    everything, only_ports = Config(), Config(select=("SVC42",))
    cache = _open(tmp_path, everything)
    lint(files, config=everything, cache=cache)
    cache.save()
    narrowed = lint(files, config=only_ports, cache=_open(tmp_path, only_ports)).diagnostics
    assert narrowed == lint(files, config=only_ports).diagnostics
    assert {d.rule_id[:5] for d in narrowed} <= {"SVC42"}


@pytest.mark.parametrize("content", [b"", b"not a pickle", b"\x80\x05garbage", pickle.dumps({"x": 1})])
def test_a_corrupt_cache_is_ignored_and_rewritten(content: bytes, tmp_path: Path) -> None:
    root, linted, context, config = _case("selector-typo")
    plain = lint([_input(root, p) for p in linted], context=[_input(root, p) for p in context], config=config).diagnostics
    cache = _open(tmp_path, config)
    cache.file.parent.mkdir(parents=True)
    cache.file.write_bytes(content)
    cache.runs_file.write_bytes(content)
    assert lint([_input(root, p) for p in linted], context=[_input(root, p) for p in context], config=config,
                cache=cache).diagnostics == plain
    cache.save()
    assert cache.file.read_bytes() != content and cache.runs_file.read_bytes() != content


class _Planted:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("touch planted",))


def test_a_planted_cache_file_cannot_run_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = Config()
    cache = _open(tmp_path, config)
    cache.file.parent.mkdir(parents=True)
    cache.file.write_bytes(pickle.dumps((1, {"a.yaml": (b"x" * 16, _Planted())})))
    lint([InputFile("a.yaml", b"apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n")],
         config=config, cache=cache)
    assert not (tmp_path / "planted").exists()


def test_worker_processes_find_what_one_process_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 0)
    for name in NAMES:
        root, linted, context, config = _case(name)
        one = lint([_input(root, p) for p in linted], context=[_input(root, p) for p in context], config=config)
        two = lint([_input(root, p) for p in linted], context=[_input(root, p) for p in context], config=config, jobs=2)
        assert two.diagnostics == one.diagnostics, name
        assert (two.documents, two.objects) == (one.documents, one.objects)


def test_cli_cache_location_and_no_cache(svclint_exe: list[str], tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "k8s").mkdir(parents=True)
    (project / "k8s" / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec:\n  sessionAffinity: cluster\n  ports: [{port: 80}]\n")
    cache_dir = tmp_path / "cache"
    env = {"SVCLINT_CACHE_DIR": str(cache_dir)}
    first = run(svclint_exe, "check", "--no-cache", "k8s", cwd=project, env=env)
    assert first.returncode == 1 and not cache_dir.exists()
    for _ in range(2):
        again = run(svclint_exe, "check", "k8s", cwd=project, env=env)
        assert again.stdout == first.stdout and again.returncode == 1
    assert (cache_dir / "CACHEDIR.TAG").is_file() and list(cache_dir.glob("reports-*.pickle"))
    for junk in cache_dir.glob("*.pickle"):
        junk.write_bytes(b"\x00" * 10)
    assert run(svclint_exe, "check", "k8s", cwd=project, env=env).stdout == first.stdout
    elsewhere = tmp_path / "elsewhere"
    assert run(svclint_exe, "check", "--cache-dir", str(elsewhere), "k8s", cwd=project, env=env).stdout == first.stdout
    assert list(elsewhere.glob("reports-*.pickle"))
