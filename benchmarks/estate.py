"""Estate load + validate + allocate on the generated Guangdong estate, against a plain parse.

Prints, in one run: plain `yaml.load(..., Loader=yaml.CSafeLoader)` of the same files, govops'
load + validate + allocate (in-process, best of N), the whole `govops estate validate` process,
and peak memory. Targets (issue 3): validate ≤ 4× the plain parse and ≤ 2 s.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _timing import best, best_cpu

from govops.estate.generator import generate
from govops.estate.loader import load_estate

ROUNDS = 5


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        estate = Path(tmp) / "guangdong"
        generate("guangdong", estate)
        files = [p for p in estate.rglob("*") if p.suffix in (".yaml", ".yml")]
        size = sum(p.stat().st_size for p in files)

        def parse() -> None:
            for path in files:
                yaml.load(path.read_text(), Loader=yaml.CSafeLoader)

        parse_s = best(parse, ROUNDS)
        validate_s = best(lambda: load_estate(estate), ROUNDS)
        # CPU time too: on a shared machine wall time measures the neighbours as much as govops
        parse_cpu = best_cpu(parse, ROUNDS)
        validate_cpu = best_cpu(lambda: load_estate(estate), ROUNDS)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "govops", "estate", "validate", str(estate)],
                       check=True, capture_output=True)
        process_s = time.perf_counter() - start
        loaded = load_estate(estate)
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"estate: guangdong, {len(loaded.nodes)} nodes, {len(loaded.links)} links, "
          f"{sum(len(v) for v in loaded.allocation.prefixes.values())} prefixes, "
          f"{len(files)} files, {size / 1e6:.1f} MB")
    print(f"plain CSafeLoader parse:        {parse_s:.3f} s")
    print(f"load + validate + allocate:     {validate_s:.3f} s  "
          f"(ratio {validate_s / parse_s:.2f}x, target <= 4x and <= 2 s)")
    print(f"same, CPU time:                 {validate_cpu:.3f} s vs parse {parse_cpu:.3f} s  "
          f"(ratio {validate_cpu / parse_cpu:.2f}x)")
    print(f"govops estate validate process: {process_s:.3f} s (incl. interpreter start-up)")
    print(f"peak memory (RSS):              {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
