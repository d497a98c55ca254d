"""Estate load + validate + allocate on the generated Guangdong estate, against a plain parse.

The estate has two declared planes (issue 15): the generated profile plus a `planes.yaml`
declaring the extranet and the isolated plane (with a leak at the core), locked, so every
isolated town's plane is carried to the province core as VRF-lite logical links.

Prints, in one run: plain `yaml.load(..., Loader=yaml.CSafeLoader)` of the same files, govops'
load + validate + allocate (in-process, best of N), the whole `govops estate validate` process,
and peak memory. Targets (issues 3 and 15): validate ≤ 4× the plain parse and ≤ 2 s.
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
#: The two planes of the benchmark estate (the generated profile leaves them implicit).
PLANES = """planes:
  - {name: extranet, display_name: 电子政务外网, default: true, mlps: 2}
  - name: isolated
    display_name: 强逻辑隔离平面
    mlps: 3
    id: 200
    pools: {lan-v4: isolated-v4, lan-v6: isolated-v6}
    leaks:
      - {at: prov-core-1, to: extranet, prefixes: [198.18.24.0/24, "2001:db8:0:3::/64"]}
"""


def with_planes(estate: Path) -> None:
    """Declare the two planes in the generated estate and pin their addresses."""
    from govops.estate import lockfile

    (estate / "planes.yaml").write_text(PLANES, encoding="utf-8")
    lockfile.write(estate / lockfile.LOCK_NAME, load_estate(estate).allocation)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        estate = Path(tmp) / "guangdong"
        generate("guangdong", estate)
        with_planes(estate)
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
    carried = sum(1 for planes in loaded.carried.values() if "isolated" in planes)
    logical = sum(len(link.planes) for link in loaded.links)
    print(f"planes: {', '.join(loaded.planes)}; isolated carried by {carried} routers, "
          f"{logical} logical links on {len(loaded.links)} physical ones")
    print(f"plain CSafeLoader parse:        {parse_s:.3f} s")
    print(f"load + validate + allocate:     {validate_s:.3f} s  "
          f"(ratio {validate_s / parse_s:.2f}x, target <= 4x and <= 2 s)")
    print(f"same, CPU time:                 {validate_cpu:.3f} s vs parse {parse_cpu:.3f} s  "
          f"(ratio {validate_cpu / parse_cpu:.2f}x)")
    print(f"govops estate validate process: {process_s:.3f} s (incl. interpreter start-up)")
    print(f"peak memory (RSS):              {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
