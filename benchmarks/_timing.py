"""Timing helpers shared by the benchmark scripts (run as `python benchmarks/X.py`)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best(fn: Callable[[], object], rounds: int = 5, clock: Callable[[], float] = time.perf_counter
         ) -> float:
    """Least time of `rounds` calls on `clock` (wall by default): the least disturbed by other
    work on the machine."""
    times = []
    for _ in range(rounds):
        start = clock()
        fn()
        times.append(clock() - start)
    return min(times)


def best_cpu(fn: Callable[[], object], rounds: int = 5) -> float:
    """Least CPU time of `rounds` calls (single-threaded work); never zero."""
    return max(best(fn, rounds, time.process_time), 1e-9)
