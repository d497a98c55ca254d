"""`prometheus.yml` and the blackbox module config, generated from the estate.

Scrape jobs (every target carries the estate's names as labels, so rules and pages never need
an address):

| job         | what                                                   | labels                       |
|-------------|--------------------------------------------------------|------------------------------|
| `prometheus`| Prometheus itself                                      |                              |
| `govops`    | the govops exporter                                    |                              |
| `frr`       | `frr_exporter` on every FRR router (management address)| node, level, city, county    |
| `postgres`  | `postgres_exporter` per data centre                    | centre, site, designed_role  |
| `blackbox`  | the blackbox exporters themselves                      | probe_from                   |
| `icmp-town` | ICMP (v6 and v4), province core → every town loopback  | node, city, county, family   |
| `icmp-dc`   | ICMP (v6 and v4) to every data centre                  | node, site, family           |

Probe targets also carry `target_kind` (`town` or `dc`).

ICMP to towns and to the estate's DC routers goes from a blackbox exporter that runs *in* the
province core (its network namespace in the lab), with the core's loopback as source address,
so a probe follows the extranet's routing. The lab's three PostgreSQL centres sit on their own
interconnect, not on the extranet; they are probed from the ops host (a second blackbox).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from govops.errors import BadInput
from govops.estate.estate import Estate

FRR_EXPORTER_PORT = 9342
BLACKBOX_PORT = 9115
POSTGRES_EXPORTER_PORT = 9187


@dataclass(frozen=True)
class ProbeTarget:
    """An address to ping, with the labels its series get."""

    address: str
    family: str  # "ipv6" | "ipv4"
    kind: str  # "town" | "dc"
    labels: dict[str, str]
    module: str
    blackbox: str  # ADDR:PORT of the blackbox exporter that probes it


@dataclass(frozen=True)
class ScrapeTarget:
    address: str  # ADDR:PORT
    labels: dict[str, str]


@dataclass
class Targets:
    """Everything Prometheus scrapes, with addresses resolved."""

    exporter: str
    prometheus: str = "127.0.0.1:9090"
    frr: list[ScrapeTarget] = field(default_factory=list)
    postgres: list[ScrapeTarget] = field(default_factory=list)
    blackboxes: list[ScrapeTarget] = field(default_factory=list)
    probes: list[ProbeTarget] = field(default_factory=list)
    #: blackbox modules: name → (family, source address or "")
    modules: dict[str, tuple[str, str]] = field(default_factory=dict)
    rule_files: list[str] = field(default_factory=list)
    scrape_interval: str = "10s"
    probe_interval: str = "10s"

    def counts(self) -> dict[str, int]:
        return {
            "frr": len(self.frr),
            "postgres": len(self.postgres),
            "blackbox": len(self.blackboxes),
            "icmp-town": sum(1 for p in self.probes if p.kind == "town"),
            "icmp-dc": sum(1 for p in self.probes if p.kind == "dc"),
        }

    @classmethod
    def for_estate(cls, estate: Estate, *, exporter: str = "127.0.0.1:9860",
                   prometheus: str = "127.0.0.1:9090", rules: list[str] | None = None
                   ) -> Targets:
        """Targets as a deployment of the estate has them: exporters on the management
        addresses of the routers and of the `db` hosts, blackbox on the province core."""
        from govops.estate.views import node_view

        targets = cls(exporter=exporter, prometheus=prometheus,
                      rule_files=rules if rules is not None else default_rule_files())
        core = province_core(estate)
        core_view = node_view(estate, core)
        core_bb = f"{_host(core_view.mgmt_ipv4)}:{BLACKBOX_PORT}"
        targets.add_core_probes(estate, core, core_bb)
        for name, node in estate.nodes.items():
            if node.platform != "frr" or not node.managed or node.level == "carrier":
                continue
            view = node_view(estate, name)
            targets.frr.append(ScrapeTarget(f"{_host(view.mgmt_ipv4)}:{FRR_EXPORTER_PORT}",
                                            node_labels(estate, name)))
        roles = {s.name: s.role for s in estate.sites.values()}
        for host in estate.hosts.values():
            if host.role != "db":
                continue
            address = estate.prefix("host-v4", host.name)
            if address:
                targets.postgres.append(ScrapeTarget(
                    f"{_host(address)}:{POSTGRES_EXPORTER_PORT}",
                    {"centre": host.name, "site": host.site,
                     "designed_role": roles.get(host.site, "")}))
        return targets

    def add_core_probes(self, estate: Estate, core: str, blackbox: str) -> None:
        """ICMP from the province core `core` (its blackbox at `blackbox`) to every town's
        loopback and every DC router's loopback, IPv6 and IPv4."""
        from govops.estate.views import node_view

        view = node_view(estate, core)
        self.modules["icmp6_core"] = ("ipv6", _host(view.loopback_ipv6))
        self.modules["icmp4_core"] = ("ipv4", _host(view.loopback_ipv4))
        self.blackboxes.append(ScrapeTarget(blackbox, {"probe_from": core}))
        for name, node in estate.nodes.items():
            if node.level not in ("town", "dc"):
                continue
            kind = "town" if node.level == "town" else "dc"
            labels = node_labels(estate, name)
            if kind == "dc":
                labels = {"node": name, "site": node.site or ""}
            for family, pool, module in (("ipv6", "loopback-v6", "icmp6_core"),
                                         ("ipv4", "loopback-v4", "icmp4_core")):
                address = estate.prefix(pool, name)
                if address:
                    self.probes.append(ProbeTarget(_host(address), family, kind, labels,
                                                   module, blackbox))


def _host(prefix: str) -> str:
    return prefix.split("/")[0]


def node_labels(estate: Estate, name: str) -> dict[str, str]:
    node = estate.nodes[name]
    return {"node": name, "level": node.level, "city": node.city or "",
            "county": node.county or ""}


def province_core(estate: Estate) -> str:
    """The first province-level router (where the probes start)."""
    for name, node in estate.nodes.items():
        if node.level == "province" and node.managed:
            return name
    raise BadInput(f"estate {estate.directory} has no province-level router: the probes start "
                   "at the province core; add one")


def default_rule_files() -> list[str]:
    from govops.paths import REPO_ROOT

    return [str(REPO_ROOT / "monitoring" / "rules" / "*.yml")]


# --- rendering -----------------------------------------------------------------------------


def _static(targets: list[ScrapeTarget]) -> list[dict[str, Any]]:
    return [{"targets": [t.address], "labels": dict(t.labels)} if t.labels
            else {"targets": [t.address]} for t in targets]


def prometheus_config(t: Targets) -> dict[str, Any]:
    """prometheus.yml as data."""
    jobs: list[dict[str, Any]] = [
        {"job_name": "prometheus", "static_configs": [{"targets": [t.prometheus]}]},
        {"job_name": "govops", "static_configs": [{"targets": [t.exporter]}]},
    ]
    if t.frr:
        # the FRR exporter asks every daemon over vtysh: up to seconds on a busy router, so
        # it keeps 10 s whatever the other jobs use
        jobs.append({"job_name": "frr", "scrape_interval": "10s", "scrape_timeout": "8s",
                     "static_configs": _static(t.frr)})
    if t.postgres:
        jobs.append({"job_name": "postgres", "static_configs": _static(t.postgres)})
    if t.blackboxes:
        jobs.append({"job_name": "blackbox", "static_configs": _static(t.blackboxes)})
    for kind in ("town", "dc"):
        probes = [p for p in t.probes if p.kind == kind]
        if not probes:
            continue
        groups = []
        for p in probes:
            labels = {**p.labels, "family": p.family, "target_kind": p.kind,
                      "__param_module": p.module, "__blackbox": p.blackbox}
            groups.append({"targets": [p.address], "labels": labels})
        jobs.append({
            "job_name": f"icmp-{kind}",
            "metrics_path": "/probe",
            "scrape_interval": t.probe_interval,
            "scrape_timeout": "5s",
            "static_configs": groups,
            "relabel_configs": [
                {"source_labels": ["__address__"], "target_label": "__param_target"},
                {"source_labels": ["__param_target"], "target_label": "instance"},
                {"source_labels": ["__blackbox"], "target_label": "__address__"},
            ],
        })
    return {
        "global": {"scrape_interval": t.scrape_interval, "evaluation_interval": t.scrape_interval,
                   "external_labels": {"monitor": "govops"}},
        "rule_files": list(t.rule_files),
        "scrape_configs": jobs,
    }


def blackbox_config(t: Targets) -> dict[str, Any]:
    """blackbox.yml as data: one ICMP module per family and source address."""
    modules: dict[str, Any] = {}
    for name, (family, source) in sorted(t.modules.items()):
        icmp: dict[str, Any] = {"preferred_ip_protocol": "ip6" if family == "ipv6" else "ip4",
                                "ip_protocol_fallback": False}
        if source:
            ipaddress.ip_address(source)
            icmp["source_ip_address"] = source
        modules[name] = {"prober": "icmp", "timeout": "3s", "icmp": icmp}
    return {"modules": modules}


HEADER = "# Generated by govops monitoring config from the estate {estate}: do not edit.\n"


def render(estate: Estate, targets: Targets) -> dict[str, str]:
    """{file name: text}."""
    head = HEADER.format(estate=estate.directory)
    dump = lambda data: head + yaml.safe_dump(data, sort_keys=False, width=110)  # noqa: E731
    return {"prometheus.yml": dump(prometheus_config(targets)),
            "blackbox.yml": dump(blackbox_config(targets))}


def write_config(estate: Estate, targets: Targets, out_dir: Path) -> dict[str, Any]:
    """Write the files into `out_dir`; returns what was written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for name, text in render(estate, targets).items():
        (out_dir / name).write_text(text)
        files.append(str(out_dir / name))
    return {"files": files, "targets": targets.counts()}
