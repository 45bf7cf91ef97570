#!/usr/bin/env python3
"""Throughput (documents/s) and peak memory of `svclint check`, cold and warm, beside the
parse floors of the YAML libraries, on generated corpora and on the real-world corpus.

    python benchmarks/bench.py --docs 1000 10000 50000
    python benchmarks/bench.py --docs 1000 --realworld ../shared/corpus/realworld

Every svclint figure is the wall time of the real command in a child process, Python start
included; peak memory is the largest process of that run (workers included). "cold" runs with
an empty report cache, "warm" runs again with nothing changed, "one file" lints one edited file
of the corpus with the rest as cross-check context (what pre-commit does), after a warm run.
The generated corpus is deterministic: Deployment + Service pairs (about 1 KB and 0.3 KB)
in files of 20 documents, ten files to a team's folder and namespace (a monorepo of 50,000
documents has 250 teams), with one tutorial mistake in every tenth Service.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import Launcher

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: team-{team}
  labels: {{app: app-{i}, tier: backend}}
  annotations:
    owner: team-{team}@example.com
spec:
  replicas: 2
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}, tier: backend}}
    spec:
      containers:
        - name: app
          image: registry.example.com/app-{i}:1.{i}
          args: ["--listen=:8080", "--log-level=info"]
          env:
            - {{name: APP_NAME, value: app-{i}}}
            - {{name: TEAM, value: team-{team}}}
          ports:
            - {{name: http, containerPort: 8080}}
            - {{name: metrics, containerPort: 9090}}
          readinessProbe:
            httpGet: {{path: /healthz, port: http}}
          resources:
            limits: {{cpu: 500m, memory: 256Mi}}
            requests: {{cpu: 100m, memory: 128Mi}}
"""
SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: app-{i}
  namespace: team-{team}
spec:
  selector: {{app: app-{i}}}
  sessionAffinity: {affinity}
  ports:
    - name: http
      port: 80
      targetPort: http
"""


FILES_PER_TEAM = 10  # a team's folder: 10 files, 200 documents, one namespace


def generate(folder: Path, documents: int) -> list[Path]:
    pairs = documents // 2
    per_file = 10
    written = []
    for start in range(0, pairs, per_file):
        parts = []
        team = start // (per_file * FILES_PER_TEAM)
        for i in range(start, min(start + per_file, pairs)):
            parts.append(DEPLOYMENT.format(i=i, team=team))
            parts.append(SERVICE.format(i=i, team=team, affinity="cluster" if i % 10 == 0 else "None"))
        path = folder / f"team-{team:03d}" / f"apps-{start:06d}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text("---\n".join(parts))
        written.append(path)
    subprocess.run(["git", "init", "-q", str(folder)], check=True)  # the repository is the context
    return written


def run_svclint(args: list[str], cwd: Path, cache: Path) -> tuple[float, float]:
    """Wall seconds and peak MB of one `svclint check` run (exit 0 or 1 expected), measured by
    the launcher (measure.py), so the corpus this process holds does not count."""
    env = {**os.environ, "SVCLINT_CACHE_DIR": str(cache), "NO_COLOR": "1"}
    report = LAUNCHER.run([sys.executable, "-m", "svclint", "check", *args], cwd, env)
    if report["code"] not in (0, 1):
        raise SystemExit(f"svclint {' '.join(args)} exited {report['code']}: {report['stderr']}")
    return float(report["wall"]), float(report["peak"])  # type: ignore[arg-type]


def floors(texts: list[str], documents: int, budget: float) -> list[tuple[str, float]]:
    """Documents/s of bare parsing with each library, on the same texts (capped to ``budget``
    seconds each: the slow ones parse a prefix and are scaled)."""
    import yaml
    from ruamel.yaml import YAML

    per_text = documents / max(1, len(texts))
    candidates: list[tuple[str, Callable[[str], object]]] = []
    round_trip, safe = YAML(typ="rt"), YAML(typ="safe", pure=True)
    candidates.append(("ruamel.yaml round-trip load", lambda text: list(round_trip.load_all(text))))
    candidates.append(("ruamel.yaml safe load (pure)", lambda text: list(safe.load_all(text))))
    candidates.append(("PyYAML CSafeLoader load", lambda text: list(yaml.load_all(text, Loader=yaml.CSafeLoader))))
    candidates.append(("PyYAML C compose (gc paused)", lambda text: list(yaml.compose_all(text, Loader=yaml.CSafeLoader))))
    if importlib.util.find_spec("ryml") is not None:
        import ryml

        candidates.append(("rapidyaml tree (parse only)", lambda text: ryml.parse_in_arena(text.encode())))
    else:
        print("    (rapidyaml is not installed: pip install rapidyaml to see its floor)")
    results = []
    for label, parse in candidates:
        gc.disable()
        start = time.perf_counter()
        done = 0
        for text in texts:
            with contextlib.suppress(Exception):  # the real-world corpus holds broken YAML on purpose
                parse(text)
            done += 1
            if time.perf_counter() - start > budget:
                break
        elapsed = time.perf_counter() - start
        gc.enable()
        results.append((label, done * per_text / elapsed))
    return results


def engine_floor(folder: Path, backend: str) -> float:
    """svclint's own parse (to offset-keeping nodes), no rules: documents/s."""
    from svclint.parse import parse

    texts = [path.read_text() for path in sorted(folder.rglob("*.yaml"))]
    gc.disable()
    start = time.perf_counter()
    documents = sum(len(parse(text, backend=backend).documents) for text in texts)
    elapsed = time.perf_counter() - start
    gc.enable()
    return documents / elapsed


def bench_corpus(label: str, folder: Path, documents: int, one_file: Path | None, budget: float) -> None:
    with tempfile.TemporaryDirectory() as cache_folder:
        cache = Path(cache_folder)
        rows = []
        wall, peak = run_svclint(["--no-cache", "."], folder, cache)
        rows.append(("svclint --no-cache", wall, peak))
        wall, peak = run_svclint(["--no-cache", "-j", "1", "."], folder, cache)
        rows.append(("svclint --no-cache -j 1", wall, peak))
        wall, peak = run_svclint(["."], folder, cache)
        rows.append(("svclint cold (empty cache)", wall, peak))
        wall, peak = run_svclint(["."], folder, cache)
        rows.append(("svclint warm (nothing changed)", wall, peak))
        print(f"\n## {label}: {documents} documents")
        for name, seconds, mb in rows:
            print(f"  {name:<34} {seconds:7.2f} s  {documents / seconds:9.0f} docs/s  peak {mb:5.0f} MB")
        if one_file is not None:
            original = one_file.read_text()
            one_file.write_text(original + "# an edit\n")
            try:
                wall, peak = run_svclint([str(one_file.relative_to(folder))], folder, cache)
                second, _ = run_svclint([str(one_file.relative_to(folder))], folder, cache)
            finally:
                one_file.write_text(original)
            print(f"  {'one edited file, repo as context':<34} {wall:7.2f} s  (again, unchanged: {second:.2f} s)  peak {peak:5.0f} MB")
    texts = [path.read_text() for path in sorted(folder.rglob("*.yaml"))]
    own = [("svclint's parser (libyaml composer)", engine_floor(folder, "libyaml")),
           ("svclint's parser (libyaml events)", engine_floor(folder, "libyaml-events"))]
    cold = documents / rows[0][1]
    print(f"  parse floors (same files; no rules):{'':<3}docs/s   svclint cold / floor")
    for name, rate in [*own, *floors(texts, documents, budget)]:
        print(f"    {name:<42} {rate:9.0f}   {cold / rate:5.2f}")


LAUNCHER = Launcher()  # started before anything big is loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--realworld", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus" / "realworld")
    parser.add_argument("--floor-seconds", type=float, default=3.0, help="time cap per parse floor")
    args = parser.parse_args()
    print(f"svclint benchmark: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for count in args.docs:
        with tempfile.TemporaryDirectory() as folder:
            files = generate(Path(folder), count)
            bench_corpus(f"generated {count}", Path(folder), count, files[len(files) // 2], args.floor_seconds)
    if args.realworld.is_dir():
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / "realworld"
            subprocess.run(["cp", "-r", str(args.realworld), str(copy)], check=True)
            subprocess.run(["git", "init", "-q", str(copy)], check=True)
            from svclint.parse import parse

            documents = sum(len(parse(path.read_text()).documents) for path in copy.rglob("*.yaml"))
            edited = sorted(copy.rglob("*.yaml"))[100]
            bench_corpus("shared/corpus/realworld", copy, documents, edited, args.floor_seconds)
    else:
        print(f"(no real-world corpus at {args.realworld})")


if __name__ == "__main__":
    main()
