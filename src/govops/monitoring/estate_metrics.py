"""The estate as metrics: site roles, clouds and tenant quotas, IPAM pools, nodes, KPIs.

Everything here is derived from the validated estate only, so it is built once per estate
change (the files' mtimes and sizes are the cache key) and served from memory afterwards.

KPIs (seed 001 §7.3):

* intensification rate — share of the estate's department systems (tenants) that run on the
  unified cloud *and* network: on a cloud of the 1+N+M model whose sites include at least one
  site attached to the extranet (a managed router of the estate stands there).
* IPv6 coverage — share of nodes with an IPv6 loopback, and of links with an IPv6 /127.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

from prometheus_client.core import Metric

from govops.estate.estate import Estate
from govops.monitoring.sources import Source, SourceError, gauge

GIB = 2**30
#: Quota resources: (estate field, metric suffix, multiplier to base units).
RESOURCES = (
    ("vcpu", "vcpus", 1),
    ("ram_gb", "ram_bytes", GIB),
    ("volume_gb", "volume_bytes", GIB),
    ("floating_ips", "floating_ips", 1),
)
#: Links on which OSPF runs (see govops.network.render: every internal link).
OSPF_KINDS = ("uplink", "peer")


def _routable(estate: Estate, name: str) -> bool:
    node = estate.nodes[name]
    return node.managed and node.level != "carrier"


def attached_sites(estate: Estate) -> set[str]:
    """Sites where a managed router of the extranet stands."""
    return {n.site for n in estate.nodes.values()
            if n.site and n.managed and n.level != "carrier"}


def kpis(estate: Estate) -> dict[str, float]:
    """The KPI figures, as plain numbers (also used by the ops page's fallbacks and tests)."""
    sites = attached_sites(estate)
    unified_clouds = {c.name for c in estate.clouds.values() if set(c.sites) & sites}
    systems = len(estate.tenants)
    unified = sum(1 for t in estate.tenants.values() if t.cloud in unified_clouds)
    nodes = len(estate.nodes)
    nodes_v6 = sum(1 for n in estate.nodes if estate.prefix("loopback-v6", n))
    links = len(estate.links)
    links_v6 = sum(1 for link in estate.links if estate.prefix("p2p-v6", link.id))
    return {
        "department_systems": systems,
        "department_systems_unified": unified,
        "intensification_ratio": unified / systems if systems else 0.0,
        "nodes": nodes,
        "nodes_ipv6": nodes_v6,
        "ipv6_node_coverage_ratio": nodes_v6 / nodes if nodes else 0.0,
        "links": links,
        "links_ipv6": links_v6,
        "ipv6_link_coverage_ratio": links_v6 / links if links else 0.0,
    }


def estate_families(estate: Estate) -> list[Metric]:
    """Every estate-derived family (the expensive part of a scrape, built once per change)."""
    from govops.estate.report import pool_usage

    fams: list[Metric] = []
    add = fams.append
    add(gauge("govops_estate_info", "The estate served: 1, with its name as labels.",
              ["estate", "province", "code"],
              [((estate.directory, estate.province.name, estate.province.code), 1)]))
    add(gauge("govops_estate_loaded_timestamp_seconds",
              "When the exporter last loaded the estate (Unix time).", [], [((), time.time())]))
    # sites and their designed roles ("two sites, three centres")
    add(gauge("govops_site_info", "A data centre of the estate and its designed DR role: 1.",
              ["site", "role", "city", "display_name"],
              [((s.name, s.role, s.city or "", s.display_name), 1) for s in estate.sites.values()]))
    # clouds, capacity, quotas
    add(gauge("govops_cloud_info", "A cloud of the 1+N+M model: 1.",
              ["cloud", "kind", "city", "display_name"],
              [((c.name, c.kind, c.city or "", c.display_name), 1) for c in estate.clouds.values()]))
    by_cloud: dict[str, list] = {c: [] for c in estate.clouds}
    for t in estate.tenants.values():
        by_cloud.setdefault(t.cloud, []).append(t)
    add(gauge("govops_cloud_tenants", "Department systems (tenants) on a cloud.", ["cloud"],
              [((c,), len(ts)) for c, ts in by_cloud.items()]))
    for field_name, suffix, mult in RESOURCES:
        add(gauge(f"govops_cloud_capacity_{suffix}", f"What a cloud can give out ({suffix}).",
                  ["cloud"], [((c.name,), getattr(c.capacity, field_name) * mult)
                              for c in estate.clouds.values()]))
        add(gauge(f"govops_cloud_quota_allocated_{suffix}",
                  f"Sum of the quotas of a cloud's tenants ({suffix}).", ["cloud"],
                  [((c,), sum(getattr(t.quotas, field_name) for t in ts) * mult)
                   for c, ts in by_cloud.items()]))
        add(gauge(f"govops_tenant_quota_{suffix}", f"A tenant's quota ({suffix}).",
                  ["tenant", "department", "cloud"],
                  [((t.name, t.department, t.cloud), getattr(t.quotas, field_name) * mult)
                   for t in estate.tenants.values()]))
    add(gauge("govops_tenant_info", "A department system (tenant): 1, with its levels.",
              ["tenant", "department", "system", "cloud", "mlps", "dr_level", "display_name"],
              [((t.name, t.department, t.system, t.cloud, str(t.mlps), str(t.dr_level),
                 t.display_name), 1) for t in estate.tenants.values()]))
    levels = estate.policy.dr_levels
    add(gauge("govops_dr_level_rto_objective_seconds",
              "Recovery time objective of a DR level (policy table).", ["level", "name"],
              [((str(k), v.name), v.rto_s) for k, v in levels.items()]))
    add(gauge("govops_dr_level_rpo_objective_seconds",
              "Recovery point objective of a DR level (policy table).", ["level", "name"],
              [((str(k), v.name), v.rpo_s) for k, v in levels.items()]))
    # IPAM
    usage = pool_usage(estate)
    add(gauge("govops_ipam_pool_used_blocks", "Blocks allocated from an IPAM pool.",
              ["pool", "prefix", "family"],
              [((p, u["prefix"], "ipv6" if ":" in u["prefix"] else "ipv4"), u["used"])
               for p, u in usage.items()]))
    add(gauge("govops_ipam_pool_capacity_blocks", "Usable blocks of an IPAM pool.",
              ["pool", "prefix", "family"],
              [((p, u["prefix"], "ipv6" if ":" in u["prefix"] else "ipv4"), u["capacity"])
               for p, u in usage.items()]))
    # nodes and links
    add(gauge("govops_nodes", "Nodes of the extranet per level.", ["level"],
              [((lvl,), n) for lvl, n in estate.levels().items()]))
    add(gauge("govops_links", "Links of the extranet per kind.", ["kind"],
              [((k,), n) for k, n in sorted(Counter(x.kind for x in estate.links).items())]))
    add(gauge("govops_node_info", "A node of the extranet: 1, with where it stands.",
              ["node", "level", "platform", "city", "county", "site", "display_name"],
              [((n.name, n.level, n.platform, n.city or "", n.county or "", n.site or "",
                 n.display_name), 1) for n in estate.nodes.values()]))
    expected: Counter[str] = Counter()
    for link in estate.links:
        if link.kind in OSPF_KINDS and _routable(estate, link.a) and _routable(estate, link.b):
            expected[link.a] += 1
            expected[link.b] += 1
    add(gauge("govops_node_ospf_neighbours_expected",
              "OSPF neighbours a node has by design (its internal links).", ["node"],
              [((n,), c) for n, c in expected.items()]))
    # rules the estate waives on purpose (single_homed, ...): visible, counted, listed
    from govops.estate.waivers import RULES, waivers

    waived = waivers(estate)
    counts = Counter(w.rule for w in waived)
    add(gauge("govops_estate_exceptions", "Rules the estate waives on purpose (exceptions), "
              "per rule.", ["rule"], [((rule,), counts.get(rule, 0)) for rule in RULES]))
    add(gauge("govops_estate_exception_info", "One waived rule: 1, with the entity and the "
              "estate's stated reason.", ["rule", "kind", "name", "display_name", "reason"],
              [((w.rule, w.kind, w.name, w.display_name, w.reason), 1) for w in waived]))
    # KPIs
    k = kpis(estate)
    add(gauge("govops_kpi_department_systems", "Department systems (tenants) in the estate.",
              [], [((), k["department_systems"])]))
    add(gauge("govops_kpi_department_systems_unified",
              "Department systems on the unified cloud and network.", [],
              [((), k["department_systems_unified"])]))
    add(gauge("govops_kpi_intensification_ratio",
              "Intensification rate: share of department systems on the unified cloud and "
              "network (0-1).", [], [((), k["intensification_ratio"])]))
    add(gauge("govops_kpi_ipv6_node_coverage_ratio",
              "Share of nodes with an IPv6 loopback (0-1).", [],
              [((), k["ipv6_node_coverage_ratio"])]))
    add(gauge("govops_kpi_ipv6_link_coverage_ratio",
              "Share of links with IPv6 addressing (0-1).", [],
              [((), k["ipv6_link_coverage_ratio"])]))
    return fams


def estate_fingerprint(directory: Path) -> tuple:
    """(path, mtime, size) of every file the estate loader reads; changes when any does."""
    files = []
    for folder in (directory, directory / "policy", directory.parent / "policy"):
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.is_file() and entry.name.endswith((".yaml", ".yml")):
                st = entry.stat()
                files.append((entry.path, st.st_mtime_ns, st.st_size))
    return tuple(sorted(files))


class EstateSource(Source):
    """The estate folder; reloaded only when one of its files changes. On failure the last
    valid estate keeps being served (with `govops_source_up{source="estate"} 0`)."""

    name = "estate"
    interval = 2.0
    keep_on_error = True

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.estate: Estate | None = None  # the last valid estate (read by other sources)
        self._key: tuple | None = None
        self._families: list[Metric] = []
        self._error: str | None = None

    def poll(self) -> list[Metric]:
        from govops.errors import GovopsError
        from govops.estate.loader import load_estate

        if not self.directory.is_dir():
            self._key = None
            raise SourceError(f"estate {self.directory}: no such directory: pass --estate DIR")
        key = estate_fingerprint(self.directory)
        if key == self._key:
            if self._error:
                raise SourceError(self._error)
            return self._families
        self._key = key
        try:
            estate = load_estate(self.directory)
        except GovopsError as exc:
            lines = [line for line in str(exc).splitlines() if line.strip()]
            more = f" (+{len(lines) - 1} more)" if len(lines) > 1 else ""
            self._error = f"estate {self.directory} is invalid: {lines[0] if lines else exc}{more}"
            raise SourceError(self._error) from None
        self._error = None
        self.estate = estate
        self._families = estate_families(estate)
        return self._families

    def describe_failure(self, message: str, since: float | None) -> str:
        if since is None:
            return f"source estate is down: {message}; no estate series until it is fixed"
        when = time.strftime("%H:%M:%S", time.localtime(since))
        return (f"source estate is down: {message}; serving the last valid estate "
                f"(loaded {when}) until it is fixed")
