#!/usr/bin/env python3
"""Time and peak memory of `svclint check` on resource attacks, at the default limits.

    python benchmarks/attacks.py

Each attack is a generated file linted alone by the real command in a child process (Python
start included; `--no-cache --no-context -j 1`); the table gives wall seconds, peak MB, the
exit code and the first finding. The limits that bound them are in the config's `limits:`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import Launcher

SERVICE = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web-{i}\nspec:\n  selector: {{app: web}}\n  ports:\n    - port: 80\n"


def alias_bomb(levels: int) -> str:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: lol}", "data:", "  a: &a [" + ", ".join(["lol"] * 10) + "]"]
    for level in range(1, levels + 1):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"  {name}: &{name} [{', '.join(['*' + previous] * 10)}]")
    return "\n".join(lines) + "\n"


def services(size: int) -> str:
    out, total, index = [], 0, 0
    while total < size:
        document = SERVICE.format(i=index)
        out.append(document)
        total += len(document) + 4
        index += 1
    return "---\n".join(out)


ATTACKS: list[tuple[str, Callable[[], str | bytes]]] = [
    ("billion laughs (10^10 nodes)", lambda: alias_bomb(9)),
    ("10,000-deep flow sequences", lambda: "a: " + "[" * 10_000 + "]" * 10_000 + "\n"),
    ("10,000-deep flow mappings", lambda: "a: " + "{a: " * 10_000 + "}" * 10_000 + "\n"),
    ("10,000-deep block sequences", lambda: "a:\n  " + "- " * 10_000 + "x\n"),
    ("1 MB single line", lambda: "apiVersion: v1\nkind: Service\nmetadata: {name: " + "a" * 1_000_000 + "}\n"),
    ("1,000,000 empty documents", lambda: "---\n{}\n" * 1_000_000),
    ("1,000,000 objects without kind", lambda: "---\na: 1\n" * 1_000_000),
    ("100 MB file of Services", lambda: services(100 * 1024 * 1024)),
    ("10 MB file of Services (at the limit)", lambda: services(10 * 1024 * 1024 - 200)),
    ("10 MB of random bytes", lambda: os.urandom(10 * 1024 * 1024)),
]


def run(launcher: Launcher, path: Path) -> tuple[float, float, int, str]:
    report = launcher.run([sys.executable, "-m", "svclint", "check", "--no-cache", "--no-context", "-j", "1", path.name],
                          path.parent, {**os.environ, "NO_COLOR": "1"})
    first = str(report["stdout"]).split("\n", 1)[0].strip()
    return float(report["wall"]), float(report["peak"]), int(report["code"]), first  # type: ignore[call-overload]


def main() -> None:
    launcher = Launcher()  # before any attack is generated: see measure.py
    print(f"svclint attacks: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, default limits")
    print(f"| {'attack':<38} | {'input':>9} | {'wall s':>6} | {'peak MB':>7} | exit | first finding |")
    print(f"|{'-' * 40}|{'-' * 11}|{'-' * 8}|{'-' * 9}|------|---------------|")
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index, (_, make) in enumerate(ATTACKS):
            path = Path(folder) / f"{index}" / "attack.yaml"
            path.parent.mkdir()
            data = make()
            path.write_bytes(data.encode() if isinstance(data, str) else data)
            del data
            paths.append(path)
        for (name, _), path in zip(ATTACKS, paths, strict=True):
            wall, peak, code, first = run(launcher, path)
            size = f"{path.stat().st_size / 1e6:.1f} MB" if path.stat().st_size >= 100_000 else f"{path.stat().st_size} B"
            finding = first.split(": ", 1)[1] if ": " in first else first
            print(f"| {name:<38} | {size:>9} | {wall:6.2f} | {peak:7.0f} | {code:>4} | {finding[:110]} |")
    launcher.close()


if __name__ == "__main__":
    main()
