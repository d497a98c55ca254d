"""The lab as the estate describes it: one namespace per node, one veth per link."""

from __future__ import annotations

from pathlib import Path

from govops.errors import BadInput
from govops.estate.estate import Estate
from govops.estate.views import node_views
from govops.lab.spec import LabSpec, LinkSpec, RouterSpec


def router_spec(estate: Estate, state_dir: Path) -> LabSpec:
    """LabSpec for every node of an all-FRR estate (management /31s and ports from IPAM)."""
    views = node_views(estate)
    others = sorted({v.platform for v in views if v.platform != "frr"})
    if others:
        raise BadInput(f"estate {estate.directory} has {', '.join(others)} nodes: the lab runs "
                       "FRR only; use an estate with platform: frr (inventories/lab)")
    routers = tuple(RouterSpec(name=v.name, mgmt_ipv4=v.mgmt_ipv4, mgmt_host_ipv4=v.mgmt_host_ipv4)
                    for v in views)
    by_name = {v.name: v for v in views}
    links = []
    for link in estate.links:
        a = next(i for i in by_name[link.a].interfaces if i.link == link.id)
        b = next(i for i in by_name[link.b].interfaces if i.link == link.id)
        links.append(LinkSpec(a=link.a, a_ifname=a.name, b=link.b, b_ifname=b.name,
                              bandwidth_mbps=link.bandwidth_mbps))
    return LabSpec(routers=routers, links=tuple(links), state_dir=state_dir)


#: Fibre runs longer than the great circle, and light in glass covers ≈200 km per ms.
ROUTE_FACTOR = 1.5
KM_PER_MS = 200.0


def dc_spec(estate: Estate, state_dir: Path):
    """DcLabSpec: dc-a/dc-b/dc-c on the estate's primary, same-city and remote-DR sites, the
    path to dc-c delayed by the fibre distance between them."""
    from govops.estate.geo import distance_km
    from govops.lab.dcspec import default_spec

    by_role = {}
    for site in estate.sites.values():
        by_role.setdefault(site.role, site)
    missing = [r for r in ("primary", "same-city", "remote-dr") if r not in by_role]
    if missing:
        raise BadInput(f"estate {estate.directory} has no {', '.join(missing)} site: the lab's "
                       "three centres need one site of each role")
    primary, same, remote = by_role["primary"], by_role["same-city"], by_role["remote-dr"]
    km = distance_km(primary.lat, primary.lon, remote.lat, remote.lon)
    delay_ms = round(km * ROUTE_FACTOR / KM_PER_MS, 2)
    return default_spec(state_dir, sites=(primary.name, same.name, remote.name),
                        remote_delay_ms=delay_ms)
