"""Helpers for rollout tests on the real lab: run govops, blank routers, read the journal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from govops.estate.estate import Estate
from govops.estate.views import node_view
from govops.network.credentials import load_credentials
from govops.network.diff import remediation
from govops.network.drivers.frr import FrrDriver
from govops.network.render import render_device
from govops.paths import lab_dir
from tests.conftest import ROOT

GOVOPS = [sys.executable, "-m", "govops"]


def govops(*args: str, timeout: float = 600, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the CLI from the repository root."""
    return subprocess.run([*GOVOPS, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def lab_is_up() -> bool:
    """True when the router lab has been built."""
    return (lab_dir() / "routers" / "lab.json").exists()


def blank_config(name: str) -> str:
    """What a freshly built lab router runs (the management address lives outside FRR)."""
    return (f"frr version 8.4.4\nfrr defaults traditional\nhostname {name}\n"
            "service integrated-vtysh-config\n!\nend\n")


def driver(estate: Estate, name: str) -> FrrDriver:
    """An opened vtysh session on a lab router."""
    d = FrrDriver(name, node_view(estate, name).mgmt_ipv4.split("/")[0], load_credentials())
    d.open()
    return d


def running(estate: Estate, name: str) -> str:
    """A router's running config."""
    d = driver(estate, name)
    try:
        return d.get_running()
    finally:
        d.close()


# The IGP underlay of a router: what zero-touch provisioning leaves on a device before the
# services are pushed. Everything else (BGP, policies, static routes) is a service.
UNDERLAY_BLOCKS = ("interface ", "router ospf", "router ospf6", "bfd")
UNDERLAY_HEADER = ("frr ", "hostname ", "log ", "service ")


def underlay_config(estate: Estate, name: str) -> str:
    """A router's intended config cut down to its IGP underlay (interfaces, OSPF, BFD)."""
    kept: list[str] = []
    keep = False
    for line in render_device(estate, name).splitlines():
        if line.startswith((" ", "exit")):
            if keep:
                kept.append(line)
            continue
        keep = line.startswith(UNDERLAY_BLOCKS)
        if keep or line.startswith(UNDERLAY_HEADER):
            kept.append(line)
    return "\n".join(kept) + "\n"


def _reset(estate: Estate, targets: dict[str, str]) -> None:
    def one(name: str) -> None:
        d = driver(estate, name)
        try:
            d.apply(remediation("frr", d.get_running(), targets[name]))
        finally:
            d.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(one, targets))


def blank(estate: Estate, names: list[str]) -> None:
    """Take routers back to a blank config (as after `lab up`).

    Blank the whole estate, not a few routers behind an ABR: FRR 8.4's ospf6d ABR can fail to
    re-originate an inter-area prefix that returns within a minute of being flushed
    (docs/lab-test-failures.md). For a few routers use `strip_services`.
    """
    _reset(estate, {name: blank_config(name) for name in names})


def strip_services(estate: Estate, names: list[str]) -> None:
    """Take routers back to their IGP underlay: every service removed, OSPF and BFD kept up."""
    _reset(estate, {name: underlay_config(estate, name) for name in names})


def journal_events(rollout_id: str) -> list[dict]:
    """Every event of a rollout journal."""
    path = ROOT / "rollouts" / f"{rollout_id}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
