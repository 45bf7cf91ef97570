"""The report cache and the worker processes are speed only: every way of running gives the
same findings as a plain run, and a broken or planted cache file is never trusted."""

from __future__ import annotations

import os
import pickle
import re
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from svclint import discover, engine
from svclint.cache import ReportCache
from svclint.config import Config
from svclint.engine import InputFile, lint

from .conftest import config_of
from .test_cli import run
from .test_projects import PROJECTS, _input, _manifests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
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
            with sqlite3.connect(next((tmp_path / "cache").glob("svclint-*.sqlite3"))) as db:
                db.execute("DELETE FROM runs")
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


@pytest.mark.parametrize("name", NAMES)
def test_each_file_alone_with_the_rest_as_context_finds_what_a_plain_run_finds(name: str, tmp_path: Path) -> None:
    """What pre-commit does: one file reported, the repository as context. With a warm cache,
    only the context files that offer what the reported file needs are loaded (index.offers and
    index.needs); the findings must be those of a run that reads every file."""
    root, linted, context, config = _case(name)
    every = [*linted, *context]
    cache = _open(tmp_path, config)
    lint([_input(root, path) for path in every], config=config, cache=cache)
    cache.save()
    for path in every:
        rest = [_input(root, other) for other in every if other != path]
        plain = lint([_input(root, path)], context=rest, config=config)
        cache = _open(tmp_path, config)
        cached = lint([_input(root, path)], context=rest, config=config, cache=cache)
        assert cached.diagnostics == plain.diagnostics, path


def test_generated_monorepo_each_file_alone(tmp_path: Path) -> None:
    from bench import generate  # type: ignore[import-not-found]

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    paths = [str(path.relative_to(corpus)) for path in generate(corpus, 2400)]  # 12 teams of 100 apps
    texts = {path: (corpus / path).read_bytes() for path in paths}
    config = Config()
    cache = _open(tmp_path, config)
    lint([InputFile(path, texts[path]) for path in paths], config=config, cache=cache)
    cache.save()
    edits = [  # a selector that now misses; one that selects the pods of another team's namespace
        lambda text: text.replace(b"selector: {app: app-", b"selector: {app: ap-", 1),
        lambda text: re.sub(rb"selector: {app: app-(\d+)}", lambda m: b"selector: {app: app-%d}" % ((int(m[1]) + 100) % 1200),
                            text, count=1),
    ]
    for number, path in enumerate(paths[::7]):
        rest = [InputFile(other, texts[other]) for other in paths if other != path]
        text = edits[number % 2](texts[path])
        plain = lint([InputFile(path, text)], context=rest, config=config)
        cache = _open(tmp_path, config)
        assert lint([InputFile(path, text)], context=rest, config=config, cache=cache).diagnostics == plain.diagnostics
        cache.save()
        assert any(d.rule_id == "SVC410" and ("on the Service, or move the workload" in d.message) == bool(number % 2)
                   for d in plain.diagnostics)


@pytest.mark.parametrize("content", [b"", b"not a database", b"SQLite format 3\x00" + b"\xff" * 200, pickle.dumps({"x": 1})])
def test_a_corrupt_cache_is_ignored_and_rewritten(content: bytes, tmp_path: Path) -> None:
    root, linted, context, config = _case("selector-typo")
    plain = lint([_input(root, p) for p in linted], context=[_input(root, p) for p in context], config=config).diagnostics
    cache = _open(tmp_path, config)
    cache.file.parent.mkdir(parents=True)
    cache.file.write_bytes(content)
    assert lint([_input(root, p) for p in linted], context=[_input(root, p) for p in context], config=config,
                cache=cache).diagnostics == plain
    cache.save()
    assert cache.file.read_bytes().startswith(b"SQLite format 3\x00")
    again = _open(tmp_path, config)
    assert lint([_input(root, p) for p in linted], context=[_input(root, p) for p in context], config=config,
                cache=again).diagnostics == plain


class _Planted:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("touch planted",))


def test_a_planted_cache_record_cannot_run_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = Config()
    files = [InputFile("a.yaml", b"apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}], sessionAffinity: x}\n")]
    plain = lint(files, config=config).diagnostics
    cache = _open(tmp_path, config)
    lint(files, config=config, cache=cache)
    cache.save()
    with sqlite3.connect(cache.file) as db:
        db.execute("UPDATE files SET context = ?, report = ?", (pickle.dumps(_Planted()), pickle.dumps(_Planted())))
        db.execute("UPDATE runs SET record = ?", (pickle.dumps(_Planted()),))
    assert lint(files, config=config, cache=_open(tmp_path, config)).diagnostics == plain
    assert not (tmp_path / "planted").exists()


def test_a_file_known_by_its_status_is_not_read_and_any_change_is_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file whose status (size, times, inode) matches the one recorded is not read again; an
    edit that keeps the size and restores the modification time still changes its ctime."""
    monkeypatch.setattr(discover, "SETTLED_NS", 0)  # here every file counts as settled at once
    config = Config()
    service = tmp_path / "svc.yaml"
    service.write_bytes(b"apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}], sessionAffinity: cluster}\n")

    def run() -> list[str]:
        cache = _open(tmp_path, config)
        item = discover.read(str(service), True, config, defer=True)
        assert item.deferred and item.data is None
        result = lint([item], config=config, cache=cache)
        cache.save()
        return [d.rule_id for d in result.diagnostics]

    assert run() == ["SVC203"]
    assert run() == ["SVC203"]  # from the cache, by status
    before = service.stat()
    service.write_bytes(service.read_bytes().replace(b"cluster", b"ClientIP"[:7]))  # same size: "Client" + "I"
    os.utime(service, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert service.stat().st_size == before.st_size and service.stat().st_mtime_ns == before.st_mtime_ns
    assert run() == ["SVC203"]  # `ClientI` is wrong too, but it is read anew: the message names it
    cache = _open(tmp_path, config)
    result = lint([discover.read(str(service), True, config, defer=True)], config=config, cache=cache)
    assert "ClientI" in result.diagnostics[0].message


def test_worker_processes_find_what_one_process_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 0)
    for name in NAMES:
        root, linted, context, config = _case(name)
        one = lint([_input(root, p) for p in linted], context=[_input(root, p) for p in context], config=config)
        for jobs in (2, 3):  # this process and one worker, or two
            more = lint([_input(root, p) for p in linted], context=[_input(root, p) for p in context], config=config, jobs=jobs)
            assert more.diagnostics == one.diagnostics, name
            assert (more.documents, more.objects) == (one.documents, one.objects)


def test_workers_fill_the_cache_as_one_process_does(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Workers send a cached report as its stored form alone: runs cold and warm still agree."""
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 0)
    for name in NAMES:
        root, linted, context, config = _case(name)
        files, around = [_input(root, p) for p in linted], [_input(root, p) for p in context]
        plain = lint(files, context=around, config=config)
        for phase in ("cold", "warm"):
            cache = _open(tmp_path / name, config)
            result = lint(files, context=around, config=config, jobs=2, cache=cache)
            cache.save()
            assert result.diagnostics == plain.diagnostics, (name, phase)
            assert (result.documents, result.objects) == (plain.documents, plain.objects)


@pytest.mark.parametrize("writer", ["succeeds", "fails"])
def test_rows_written_ahead_by_a_forked_writer_or_else_by_save(writer: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The file rows are written by a forked process during the cross-checks; if it fails,
    ``save`` writes them itself. Either way the next run finds every report in the cache."""
    from svclint import cache as cache_module

    parent = os.getpid()
    insert = cache_module._insert_files

    def failing_in_the_writer(db: sqlite3.Connection, writes: dict[str, Any]) -> None:
        if writer == "fails" and os.getpid() != parent:
            raise sqlite3.OperationalError("disk I/O error")
        insert(db, writes)

    monkeypatch.setattr(cache_module, "_insert_files", failing_in_the_writer)
    monkeypatch.setattr(cache_module, "WRITE_AHEAD_MIN_ROWS", 1)  # a small project gets a writer too
    root, linted, _, config = _case("target-ports")
    files = [_input(root, path) for path in linted]
    cache = _open(tmp_path, config)
    plain = lint(files, config=config, cache=cache).diagnostics
    assert cache._writer is not None  # the writer was started
    cache.save()
    with sqlite3.connect(next((tmp_path / "cache").glob("svclint-*.sqlite3"))) as db:
        assert {path for (path,) in db.execute("SELECT path FROM files")} == {item.path for item in files}
        db.execute("DELETE FROM runs")  # each file's report, not the run's
    again = _open(tmp_path, config)
    assert all(again.get(item, True) is not None for item in files)
    assert lint(files, config=config, cache=again).diagnostics == plain


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
    assert (cache_dir / "CACHEDIR.TAG").is_file() and list(cache_dir.glob("svclint-*.sqlite3"))
    for junk in cache_dir.glob("svclint-*.sqlite3"):
        junk.write_bytes(b"\x00" * 10)
    assert run(svclint_exe, "check", "k8s", cwd=project, env=env).stdout == first.stdout
    elsewhere = tmp_path / "elsewhere"
    assert run(svclint_exe, "check", "--cache-dir", str(elsewhere), "k8s", cwd=project, env=env).stdout == first.stdout
    assert list(elsewhere.glob("svclint-*.sqlite3"))
