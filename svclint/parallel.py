"""Shares of one job done by this process and forked workers together, claimed as each becomes free.

The shares wait in an OS pipe, one fixed-size record each, largest first, written before any
worker starts. Every process (this one included) reads the next record when it is free, so no
share is promised to a process ahead of time and whoever is free takes the next one: the
processes finish within the last (smallest) share of each other. A pipe needs no lock: a read of
one record is atomic, and an empty pipe whose writer is closed reads as the end. A worker that
dies (the OOM killer, a signal) loses only the shares it took; this process does them again.

The work is a function that forked workers inherit (nothing of it is pickled); only the
workers' results travel back, pickled, through a file per worker, and this process reads them
between its own shares.
"""

from __future__ import annotations

import itertools
import os
import pickle
import struct
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO, TypeVar

Result = TypeVar("Result")
_RECORD = struct.Struct("<I")
MAX_SHARES = 16_384 // _RECORD.size  # a pipe holds 64 KiB on Linux, 16 KiB at first on macOS


def run_shares(shares: Sequence[Sequence[int]], work: Callable[[Sequence[int], bool], list[Result]],
               workers: int) -> Iterator[tuple[int, Result]]:
    """(position, result) for every position of every share, in no particular order.

    ``work(share, in_worker)`` returns one result per position of the share; ``in_worker`` says
    the result will be pickled (the work may choose a form that travels better). ``workers``
    forked processes help this one."""
    import multiprocessing

    if len(shares) > MAX_SHARES:
        raise ValueError(f"{len(shares)} shares: at most {MAX_SHARES} fit in the claims pipe")
    claims_read, claims_write = os.pipe()
    helpers: list[_Helper] = []
    try:
        with os.fdopen(claims_write, "wb") as claims:  # written whole before anyone reads: it must fit
            claims.write(b"".join(_RECORD.pack(index) for index in range(len(shares))))
        context = multiprocessing.get_context("fork")
        for _ in range(workers):
            notices, send = context.Pipe(duplex=False)
            results = tempfile.TemporaryFile()  # noqa: SIM115 - the helper closes it
            process = context.Process(target=_serve, args=(shares, work, claims_read, results, send), daemon=True)
            process.start()
            send.close()  # the worker holds the only writer: its exit is the end of the pipe
            helpers.append(_Helper(process, notices, results))
        done: set[int] = set()

        def delivered(wait: bool) -> Iterator[tuple[int, Result]]:
            for helper in helpers:
                for index, results in helper.arrived(wait):
                    done.add(index)
                    yield from zip(shares[index], results, strict=True)

        while (index := _claim(claims_read)) is not None:
            yield from zip(shares[index], work(shares[index], False), strict=True)
            done.add(index)
            yield from delivered(wait=False)
        yield from delivered(wait=True)
        for index in range(len(shares)):  # taken by a worker that died before it was done with them
            if index not in done:
                yield from zip(shares[index], work(shares[index], False), strict=True)
    finally:
        os.close(claims_read)
        for helper in helpers:
            helper.close()


class _Helper:
    """A forked worker, seen from this process: a pipe of notices (which share is done, where its
    pickled results lie) and the file it writes them to. A file, not the pipe, carries the
    results: a worker never waits for this process to be free to read them."""

    def __init__(self, process: Any, notices: Any, results: BinaryIO) -> None:
        self.process, self.notices, self.results = process, notices, results

    def arrived(self, wait: bool) -> Iterator[tuple[int, list[Any]]]:
        """The shares the worker has finished: those noticed so far, or (``wait``) all of them."""
        try:
            while wait or self.notices.poll():
                index, offset, length = self.notices.recv()
                yield index, pickle.loads(os.pread(self.results.fileno(), length, offset))
        except (EOFError, OSError):
            return  # the worker is done (or gone): nothing more will arrive

    def close(self) -> None:
        """After the run, the worker is exiting; if the run was abandoned (an exception in the
        caller), it may still be at work, and is stopped."""
        self.notices.close()
        self.results.close()
        self.process.join(timeout=1)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


def _claim(claims: int) -> int | None:
    record = os.read(claims, _RECORD.size)
    return _RECORD.unpack(record)[0] if len(record) == _RECORD.size else None


def _serve(shares: Sequence[Sequence[int]], work: Callable[[Sequence[int], bool], list[Any]], claims: int,
           results: BinaryIO, send: Any) -> None:
    """A worker: take shares until none is left; append each share's pickled results to the
    file and send a notice of where they are."""
    offset = results.seek(0, os.SEEK_END)
    try:
        while (index := _claim(claims)) is not None:
            blob = pickle.dumps(work(shares[index], True), pickle.HIGHEST_PROTOCOL)
            results.write(blob)
            results.flush()
            send.send((index, offset, len(blob)))
            offset += len(blob)
    except Exception:
        return  # the parent does the unsent shares again, and reports any error they raise
    finally:
        send.close()


def shares_of(positions: list[int], count: int) -> list[list[int]]:
    """``positions`` in about ``count`` shares of falling size, in order: the processes take the
    large ones first and end on small ones, so they finish close together."""
    count = max(1, min(count, MAX_SHARES))
    weights = [count - index for index in range(count)]  # count, ..., 1
    total = sum(weights)
    bounds = [0]
    for weight in weights:
        bounds.append(bounds[-1] + weight)
    edges = [round(len(positions) * bound / total) for bound in bounds]
    return [positions[start:end] for start, end in itertools.pairwise(edges) if end > start]
