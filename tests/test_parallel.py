"""Shares done by this process and forked workers (parallel.py): every result arrives once,
whoever is free takes the next share, and a worker that dies costs nothing but time."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from svclint.parallel import MAX_SHARES, run_shares, shares_of


@given(st.integers(0, 3000), st.integers(0, 20_000))
def test_shares_split_the_positions_in_order_largest_first(positions: int, count: int) -> None:
    shares = shares_of(list(range(positions)), count)
    assert [position for share in shares for position in share] == list(range(positions))
    assert all(shares) and len(shares) <= min(max(count, 1), MAX_SHARES)
    sizes = [len(share) for share in shares]
    assert all(later <= earlier + 1 for earlier, later in itertools.pairwise(sizes))  # rounding aside


def square_with_origin(share: Sequence[int], in_worker: bool) -> list[tuple[int, int, bool]]:
    return [(position * position, os.getpid(), in_worker) for position in share]


def test_every_result_arrives_once_from_this_process_and_the_workers() -> None:
    shares = shares_of(list(range(2_000)), 64)
    results = list(run_shares(shares, square_with_origin, workers=2))
    assert sorted(position for position, _ in results) == list(range(2_000))
    assert all(square == position * position for position, (square, _, _) in results)
    # results made here say so (whether this process took any shares is a race: workers are quick)
    assert {pid for _, (_, pid, in_worker) in results if not in_worker} <= {os.getpid()}
    assert all(pid != os.getpid() for _, (_, pid, in_worker) in results if in_worker)


def test_a_worker_that_dies_costs_only_time() -> None:
    """A worker killed mid-run (the OOM killer, a signal) loses the share it held: this process
    does that share itself, and the run's results are complete."""
    parent = os.getpid()

    def die_in_worker(share: Sequence[int], in_worker: bool) -> list[int]:
        if os.getpid() != parent and 0 in share:
            os._exit(9)
        return [position + 1 for position in share]

    shares = [[0], *shares_of(list(range(1, 500)), 16)]  # share 0 is the first claimed: by someone
    for _ in range(5):  # whoever takes share 0 first, the run completes
        results = dict(run_shares(shares, die_in_worker, workers=1))
        assert results == {position: position + 1 for position in range(500)}


def test_a_worker_whose_results_cannot_travel_leaves_them_to_this_process() -> None:
    def unpicklable_in_worker(share: Sequence[int], in_worker: bool) -> list[object]:
        return [threading.Lock() if in_worker else position for position in share]  # a lock cannot be pickled

    shares = shares_of(list(range(300)), 16)
    results = dict(run_shares(shares, unpicklable_in_worker, workers=1))
    assert results == {position: position for position in range(300)}


def test_an_abandoned_run_stops_its_workers() -> None:
    def slow_in_worker(share: Sequence[int], in_worker: bool) -> list[int]:
        if in_worker:
            time.sleep(0.2)
        return list(share)

    run = run_shares(shares_of(list(range(400)), 64), slow_in_worker, workers=2)
    next(run)
    started = time.monotonic()
    run.close()  # as when the caller raises
    assert time.monotonic() - started < 5
    assert multiprocessing.active_children() == []


def test_without_workers_this_process_does_everything() -> None:
    results = dict(run_shares(shares_of(list(range(50)), 4), square_with_origin, workers=0))
    assert {position: square for position, (square, _, _) in results.items()} == {p: p * p for p in range(50)}
