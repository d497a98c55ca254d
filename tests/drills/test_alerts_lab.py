"""A site loss as the monitoring sees it, on the lab (root; Prometheus, PostgreSQL 15, nftables).

`govops drill run site-loss` loses dc-a (its site stays lost: cut off and down), and
Prometheus' alerts API shows SiteDown for dc-a's site and ReplicationRpoAboveObjective for the
pair towards dc-a go to `firing`; `govops drill run failback` brings dc-a back and both are no
longer active. Both drills' steady-state hypotheses read Prometheus too (PromQL probes), so
they pass only once Prometheus agrees with the lab.

Uses the lab that is up (`govops lab up`), or brings it up and takes it down at the end; the
lab is left in its original topology (dc-a primary, dc-b synchronous, dc-c asynchronous).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.drills.dclab import ORIGINAL, original_dc_lab

ROOT = Path(__file__).resolve().parents[2]
GOVOPS = [sys.executable, "-m", "govops"]
DR_ALERTS = {"SiteDown", "DatabaseDown", "DrNoPrimary", "DrSplitBrain",
             "ReplicationRpoAboveObjective", "ReplicationStandbyNotStreaming"}

pytestmark = [
    pytest.mark.lab,
    pytest.mark.timeout(600),
    pytest.mark.skipif(os.geteuid() != 0, reason="the drills need root"),
    pytest.mark.skipif(not Path("/usr/lib/postgresql/15/bin/initdb").exists()
                       or not Path("/usr/sbin/nft").exists()
                       or not Path("/usr/bin/prometheus").exists(),
                       reason="needs PostgreSQL 15, nftables and Prometheus"),
]


def govops(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GOVOPS, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def drill(name: str, reports: Path) -> dict[str, Any]:
    proc = govops("drill", "run", name, "--output", "json", "--reports-dir", str(reports))
    assert "Traceback" not in proc.stderr, proc.stderr
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"drill {name}: rc {proc.returncode}, no JSON: {proc.stderr[-2000:]}")
    assert proc.returncode == 0 and data["verdict"] == "pass", (name, data.get("reasons"))
    return data


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        data = json.load(resp)
    assert data["status"] == "success", data
    return data["data"]


def active_alerts(prom: str) -> list[dict[str, Any]]:
    """Pending and firing alerts of the data centres, from Prometheus' alerts API."""
    return [a for a in get(f"{prom}/api/v1/alerts")["alerts"]
            if a["labels"]["alertname"] in DR_ALERTS]


@pytest.fixture(scope="module")
def lab() -> Iterator[dict[str, Any]]:
    from govops.drills import labinfo

    with original_dc_lab(govops, need_prometheus=True) as dc:
        yield {"dc": dc, "prometheus": labinfo.prometheus_url()}


def wait_for(check: Any, timeout: float, what: str, every: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    pytest.fail(f"{what} not within {timeout:.0f} s (last: {last!r})"[:3000])


def test_site_loss_fires_site_down_and_replication_alerts_that_resolve_after_failback(
        lab: dict[str, Any], tmp_path: Path) -> None:
    from govops.drills.actions import restore_original_roles
    from govops.drills.workdir import WorkDir

    prom = lab["prometheus"]
    site = get(f"{prom}/api/v1/query?" + urllib.parse.urlencode(
        {"query": 'govops_dc_role{centre="dc-a", role="primary"}'}))["result"][0]["metric"]["site"]
    wait_for(lambda: not active_alerts(prom) or None, 90, "no data-centre alert active")

    def ours(alerts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        found = {}
        for a in alerts:
            labels = a["labels"]
            if labels["alertname"] == "SiteDown" and labels.get("site") == site:
                found["SiteDown"] = a
            if (labels["alertname"] == "ReplicationRpoAboveObjective"
                    and labels.get("standby") == "dc-a"):
                found["ReplicationRpoAboveObjective"] = a
        return found

    try:
        loss = drill("site-loss", tmp_path)
        assert loss["steady_state"]["before"] and loss["steady_state"]["after"]
        after = {p["probe"]: p for p in loss["steady_state"]["after_probes"]}
        assert after["prometheus-sees-dc-b-primary"]["ok"], after
        fault = loss["outages"][0]["fault_at"]

        def both_firing() -> dict[str, dict[str, Any]] | None:
            found = ours(active_alerts(prom))
            states = {name: a["state"] for name, a in found.items()}
            return found if states == {"SiteDown": "firing",
                                       "ReplicationRpoAboveObjective": "firing"} else None

        firing = wait_for(both_firing, 150 - (time.time() - fault), "SiteDown and "
                          "ReplicationRpoAboveObjective firing for dc-a")
        fired_after = round(time.time() - fault, 1)
        others = [a["labels"] for a in active_alerts(prom) if a["state"] == "firing"
                  and a["labels"]["alertname"] == "SiteDown" and a["labels"]["site"] != site]
        assert others == [], "only dc-a's site is lost"
        assert firing["ReplicationRpoAboveObjective"]["labels"]["primary"] == "dc-b"

        back = drill("failback", tmp_path)
        assert back["steady_state"]["after"]  # it waited until Prometheus agreed
        t_back = time.time()
        resolved = wait_for(lambda: not ours(active_alerts(prom)) or None, 90,
                            "SiteDown and ReplicationRpoAboveObjective resolved")
        assert resolved
        print(f"\nalerts firing {fired_after} s after the fault; failback took "
              f"{back['finished_at'] - back['started_at']:.1f} s; resolved "
              f"{time.time() - t_back:.1f} s after it")
        assert not [a for a in active_alerts(prom) if a["state"] == "firing"]
    finally:
        from govops.drills.probes import dc_roles

        if not dc_roles(str(lab["dc"]), "before", before=ORIGINAL)["ok"]:
            work = WorkDir(tmp_path / "restore").create()
            restore_original_roles(str(work.path), str(lab["dc"]))
