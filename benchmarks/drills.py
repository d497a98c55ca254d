"""RTO and RPO distributions of the DR drills on the lab, with load at 200 writes/s.

Runs `site-loss` 10 times and `regional-disaster` 5 times (each followed by `failback`, which
is measured too), in-process through the same runner as `govops drill run`, and prints the
distributions: RTO, its parts (detection, promotion), acknowledged writes lost and their span
(RPO), the async lag to the remote centre measured just before each regional disaster, and
the failback's write-unavailability. Appends a dated section to docs/benchmarks.md unless
`--no-record`.

Needs root. Uses the lab that is up, or brings it up (`govops lab up`) and down again.

    .venv/bin/python benchmarks/drills.py [--site-loss 10] [--regional 5] [--rate 200]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GOVOPS = [sys.executable, "-m", "govops"]


def _rel(outage: dict[str, Any], key: str) -> float | None:
    return None if outage.get(key) is None else outage[key] - outage["fault_at"]


def _dist(values: list[float | None]) -> dict[str, float | None]:
    xs = sorted(v for v in values if v is not None)
    if not xs:
        return {"n": 0, "min": None, "p50": None, "p90": None, "max": None, "mean": None}
    p90 = xs[min(len(xs) - 1, max(0, round(0.9 * len(xs)) - 1))]
    return {"n": len(xs), "min": xs[0], "p50": statistics.median(xs), "p90": p90, "max": xs[-1],
            "mean": statistics.fmean(xs)}


def _fmt(value: float | None, unit: str = " s", digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}{unit}"


def run_series(name: str, n: int, *, rate: float, reports: Path, tenant: str | None
               ) -> list[dict[str, Any]]:
    from govops.drills.runner import run_drill, summary_line
    from govops.errors import GovopsError

    rows = []
    for i in range(n):
        t0 = time.monotonic()
        try:
            main = run_drill(name, rate=rate, reports_dir=reports, tenant=tenant).report
            back = run_drill("failback", rate=rate, reports_dir=reports, tenant=tenant).report
        except GovopsError as exc:  # the lab went away (someone took it down) or is busy
            print(f"stopping {name} after {i} runs: {exc}", file=sys.stderr)
            break
        outage = (main.get("outages") or [{}])[0]
        row = {
            "verdict": main["verdict"], "rto_s": main.get("rto_s"),
            "detected_s": _rel(outage, "detected_at") if outage else None,
            "promoted_s": _rel(outage, "promoted_at") if outage else None,
            "lost": main.get("lost_writes"), "rpo_s": main.get("rpo_s"),
            "lag_s": (main.get("async_lag") or {}).get("max_seconds"),
            "lag_est_s": (main.get("async_lag") or {}).get("est_seconds"),
            "lag_bytes": (main.get("async_lag") or {}).get("max_bytes"),
            "acked": main.get("acknowledged_writes"),
            "failback_verdict": back["verdict"], "failback_rto_s": back.get("rto_s"),
            "failback_lost": back.get("lost_writes"),
            "seconds": time.monotonic() - t0,
        }
        rows.append(row)
        print(f"{name} {i + 1}/{n}: {summary_line(main)}; failback {back['verdict']} "
              f"({_fmt(back.get('rto_s'))}, {back.get('lost_writes')} lost)", flush=True)
        if main["verdict"] == "aborted" or back["verdict"] != "pass":
            print(f"stopping: {main.get('reasons')} {back.get('reasons')}", file=sys.stderr)
            break
    return rows


def table(name: str, rows: list[dict[str, Any]]) -> list[str]:
    lines = [f"**{name}** — {len(rows)} runs, verdicts: "
             + ", ".join(f"{v} {sum(1 for r in rows if r['verdict'] == v)}"
                         for v in ("pass", "fail", "aborted")
                         if any(r["verdict"] == v for r in rows)), "",
             "| measure | min | median | p90 | max | mean |", "|---|---:|---:|---:|---:|---:|"]
    for label, key, unit, digits in (
            ("RTO (fault → first acknowledged write)", "rto_s", " s", 3),
            ("… detection (primary declared dead)", "detected_s", " s", 3),
            ("… promotion done", "promoted_s", " s", 3),
            ("acknowledged writes lost", "lost", "", 0),
            ("RPO (span of lost data)", "rpo_s", " s", 4),
            ("async lag to dc-c before the fault: replay_lag (max)", "lag_s", " s", 4),
            ("… bytes behind ÷ WAL rate (max)", "lag_est_s", " s", 4),
            ("failback write-unavailability", "failback_rto_s", " s", 3),
            ("acknowledged writes lost in failback", "failback_lost", "", 0),
            ("drill + failback wall time", "seconds", " s", 1)):
        values = [r[key] for r in rows]
        if all(v is None for v in values):
            continue
        d = _dist(values)
        lines.append(f"| {label} | " + " | ".join(_fmt(d[k], unit, digits)
                                                   for k in ("min", "p50", "p90", "max", "mean"))
                     + " |")
    lines.append(f"| raw RTO per run | {', '.join(_fmt(r['rto_s'], '', 3) for r in rows)} "
                 "| | | | |")
    lines.append(f"| raw lost writes per run | {', '.join(str(r['lost']) for r in rows)} "
                 "| | | | |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site-loss", type=int, default=10)
    parser.add_argument("--regional", type=int, default=5)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--tenant", default=None, help="default: the first with the highest DR level")
    parser.add_argument("--no-record", action="store_true", help="do not append to docs/benchmarks.md")
    parser.add_argument("--note", default="", help="a sentence added to the recorded section")
    args = parser.parse_args()

    import os

    if os.geteuid() != 0:
        print("needs root (the lab)", file=sys.stderr)
        return 2
    from govops.drills import labinfo
    from govops.drills.probes import dc_roles, objective_for

    brought_up = False
    try:
        labinfo.require_dc_lab(labinfo.dc_dir())
    except Exception:  # noqa: BLE001 - not up: bring it up for the benchmark
        proc = subprocess.run([*GOVOPS, "lab", "up"], cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return 1
        brought_up = True
    state = dc_roles(str(labinfo.dc_dir()), "before",
                     before={"primary": "dc-a", "sync": ["dc-b"], "async": ["dc-c"]})
    if not state["ok"]:
        print(f"the lab is not in its original topology: {state['detail']} "
              "(govops drill run failback)", file=sys.stderr)
        return 1
    tenant, objective = objective_for(str(ROOT / "inventories" / "lab"), args.tenant)
    reports = ROOT / "dr-drills" / "reports" / time.strftime("bench-%Y%m%dT%H%M%SZ", time.gmtime())
    os.chdir(ROOT)
    started = time.time()
    try:
        site = run_series("site-loss", args.site_loss, rate=args.rate, reports=reports,
                          tenant=args.tenant)
        regional = run_series("regional-disaster", args.regional, rate=args.rate,
                              reports=reports, tenant=args.tenant)
        if len(site) < args.site_loss or len(regional) < args.regional:
            args.no_record = True  # an interrupted series is not a benchmark
            print("incomplete: not recorded in docs/benchmarks.md", file=sys.stderr)
    finally:
        if brought_up:
            subprocess.run([*GOVOPS, "lab", "down"], cwd=ROOT, capture_output=True)
    load = os.getloadavg()
    lines = [
        f"## DR drills (`benchmarks/drills.py`) — {time.strftime('%Y-%m-%d', time.gmtime())}",
        "",
        f"Three-centre lab (dc-a primary, dc-b synchronous, dc-c asynchronous behind a modelled "
        f"2.4 ms one-way delay), the e-government service offered {args.rate:g} writes/s, "
        f"failover manager probing every 200 ms (3 misses). Tenant {tenant}, DR level "
        f"{objective.level}: RTO {objective.rto_s:g} s, RPO {objective.rpo_s:g} s. Each drill "
        f"was followed by `failback`. {time.time() - started:.0f} s in all; load average at the "
        f"end {load[0]:.1f} (other work shared the 2 cores). Reports: "
        f"`{reports.relative_to(ROOT)}/`." + (f" {args.note}" if args.note else ""),
        "",
        *table("site-loss", site),
        "",
        *table("regional-disaster", regional),
        "",
    ]
    print("\n".join(lines))
    if not args.no_record:
        with open(ROOT / "docs" / "benchmarks.md", "a") as fh:
            fh.write("\n" + "\n".join(lines))
        print("appended to docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
