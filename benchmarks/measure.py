"""Wall time and peak memory of a command, measured from a small launcher process.

Linux counts a child's peak RSS from the moment it is forked, so a child of a benchmark that
holds a corpus in memory inherits that memory in its figure (a 500 MB parent makes `python -c
pass` peak at 511 MB). The launcher is started before the benchmark allocates anything and
runs every measured command itself; its own 10 MB is the most a figure can be off by.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_LAUNCHER = r"""
import json, os, resource, subprocess, sys, time
for line in sys.stdin:
    job = json.loads(line)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # a fresh small process per job: its children's peak is this job's alone
        os.close(read_end)
        start = time.perf_counter()
        done = subprocess.run(job["args"], cwd=job["cwd"], env=job["env"], capture_output=True)
        report = {"wall": time.perf_counter() - start, "code": done.returncode,
                  "peak": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "stdout": done.stdout.decode("utf-8", "replace")[:4000],
                  "stderr": done.stderr.decode("utf-8", "replace")[-4000:]}
        with os.fdopen(write_end, "w") as out:
            out.write(json.dumps(report))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as result:
        report = result.read()
    os.waitpid(pid, 0)
    print(report, flush=True)
"""


class Launcher:
    """Runs commands for a benchmark from a process that stays small (see the module docstring);
    each run reports its wall time, its peak RSS (the largest process of the run, workers
    included), its exit code and the head of its output."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", _LAUNCHER], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def run(self, args: list[str], cwd: Path, env: dict[str, str]) -> dict[str, object]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"args": args, "cwd": str(cwd), "env": env}) + "\n")
        self.process.stdin.flush()
        result: dict[str, object] = json.loads(self.process.stdout.readline())
        return result

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait()
