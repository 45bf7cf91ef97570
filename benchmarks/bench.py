#!/usr/bin/env python3
"""Throughput (documents/s) and peak memory of `svclint check`, measured in a child process.

    python benchmarks/bench.py --docs 1000 10000          # generated corpora of those sizes
    python benchmarks/bench.py --realworld ../shared/corpus/realworld

The generated corpus is deterministic: Deployment + Service pairs (~1 KB each) spread over
files of 20 documents, with one tutorial mistake in every tenth Service.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  namespace: team-{team}
  labels: {{app: app-{i}, tier: backend}}
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
          ports:
            - {{name: http, containerPort: 8080}}
          resources:
            limits: {{cpu: 500m, memory: 256Mi}}
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


def generate(folder: Path, documents: int) -> None:
    pairs = documents // 2
    per_file = 10
    for start in range(0, pairs, per_file):
        parts = []
        for i in range(start, min(start + per_file, pairs)):
            parts.append(DEPLOYMENT.format(i=i, team=i % 7))
            parts.append(SERVICE.format(i=i, team=i % 7, affinity="cluster" if i % 10 == 0 else "None"))
        (folder / f"apps-{start:06d}.yaml").write_text("---\n".join(parts))


def measure(path: Path) -> dict[str, float]:
    """Run svclint in a child process; return wall seconds, documents and the child's peak RSS.

    RUSAGE_CHILDREN reports the largest child so far, so sizes are measured in increasing order.
    """
    code = (
        "import sys, json, time; from svclint.config import Config; from svclint.discover import read, walk; "
        "from svclint.engine import lint; c = Config(); t = time.perf_counter(); "
        "files = [read(p, e, c) for p, e in walk([sys.argv[1]], c)]; r = lint(files, config=c); "
        "print(json.dumps({'seconds': time.perf_counter() - t, 'documents': r.documents, 'findings': len(r.diagnostics)}))"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(done.stdout)
    result["wall_with_startup"] = wall
    result["peak_mb"] = max(peak_kb, before) / 1024
    return result


def report(label: str, result: dict[str, float]) -> None:
    rate = result["documents"] / result["seconds"] if result["seconds"] else 0.0
    print(f"{label:<28} {int(result['documents']):>7} docs  {result['seconds']:7.2f} s  {rate:9.0f} docs/s  "
          f"peak {result['peak_mb']:6.0f} MB  ({int(result['findings'])} findings; {result['wall_with_startup']:.2f} s with start-up)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--realworld", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus" / "realworld")
    args = parser.parse_args()
    for count in args.docs:
        with tempfile.TemporaryDirectory() as folder:
            generate(Path(folder), count)
            report(f"generated {count}", measure(Path(folder)))
    if args.realworld.is_dir():
        report("shared/corpus/realworld", measure(args.realworld))
    else:
        print(f"(no real-world corpus at {args.realworld})")


if __name__ == "__main__":
    main()
