"""Timing helpers shared by the benchmark scripts (run as `python benchmarks/X.py`)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best(fn: Callable[[], object], rounds: int = 5) -> float:
    """Best wall time of `rounds` calls: the least disturbed by other work on the machine."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def best_cpu(fn: Callable[[], object], rounds: int = 5) -> float:
    """Least CPU time of `rounds` calls (single-threaded work); never zero."""
    times = []
    for _ in range(rounds):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return max(min(times), 1e-9)
