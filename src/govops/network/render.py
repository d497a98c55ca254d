"""Estate → one intended configuration per device, from the per-platform Jinja2 templates.

The templates live in `network/templates/<platform>/` (`device.j2` for the estate's own
routers, `carrier.j2` for the simulated carrier routers the lab runs). Everything a template
needs comes from `govops.estate.views.NodeView` plus a few estate-wide facts computed once per
run (route reflectors, their clients, the isolated plane's pools, management servers).

    from govops.estate.loader import load_estate
    from govops.network.render import render_all, render_device

    estate = load_estate("inventories/lab")
    text = render_device(estate, "town-tianhe-a")
    configs = render_all(estate)                   # {name: text}, estate order

Output is deterministic: no dates, no dict-order surprises, peers sorted by address.
Templates are compiled once per process (a whole Guangdong estate, ≈1,900 devices, renders in
well under a second once the estate is loaded).
"""

from __future__ import annotations

import ipaddress
import os
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from govops.errors import BadInput
from govops.estate.devices import device_model
from govops.estate.errors import did_you_mean
from govops.estate.estate import Estate
from govops.estate.views import Interface, LeakView, NodeView, node_view
from govops.network.platforms import platform_spec

#: Environment variable that points render at another template folder (tests, forks).
TEMPLATES_ENV = "GOVOPS_TEMPLATES"
#: The management account every device gets; its secret is never rendered (see `diff`).
MGMT_USER = "netops"
#: Advanced ACL number of the plane-isolation filter on VRP and Comware.
ISOLATION_ACL = 3900
#: Route-distinguisher suffix (ASN:N) of the isolated plane's VPN instance.
ISOLATED_VPN_ID = 200
#: Levels whose routers reflect iBGP routes.
RR_LEVEL = "province"
#: Tag of the static routes that carry a leak's answers back (FRR): never redistributed.
LEAK_RETURN_TAG = 4094


class RenderError(BadInput):
    """A template failed for a device: one line naming the template, its line and the device."""


@dataclass(frozen=True)
class BgpPeer:
    """A BGP neighbour reached on its loopbacks."""

    name: str
    ipv4: str
    ipv6: str


@dataclass(frozen=True)
class EbgpPeer:
    """A neighbour across an eBGP link (egress ↔ carrier)."""

    name: str
    asn: int
    interface: str
    ipv4: str
    ipv6: str


@dataclass(frozen=True)
class BgpNeighbor:
    """One neighbour statement: `kind` is rr (a reflector, or the other reflector), client
    (on a reflector) or ebgp."""

    kind: str
    addr: str
    name: str
    asn: int
    group: str = ""


@dataclass(frozen=True)
class Shared:
    """Estate-wide facts every device's context reads; computed once per render run."""

    asn: int
    route_reflectors: tuple[BgpPeer, ...]
    rr_clients: tuple[BgpPeer, ...]
    #: The reflectors' view of their clients: one neighbour per family, sorted by address.
    rr_clients_v4: tuple[BgpNeighbor, ...]
    rr_clients_v6: tuple[BgpNeighbor, ...]
    #: The first of `protected_v4`/`_v6` ("" when there is none): the one isolated pool of
    #: estates before planes were declared.
    isolated_v4: str
    isolated_v6: str
    #: The own pools of every plane other than the default one whose policy filters it: other
    #: planes' uplinks drop them and their BGP refuses them (ACL 3900, ISOLATED-V4/V6).
    protected_v4: tuple[str, ...]
    protected_v6: tuple[str, ...]
    aggregate_v4: str
    aggregate_v6: str
    ntp_v4: tuple[str, ...]
    ntp_v6: tuple[str, ...]
    syslog_v4: tuple[str, ...]
    syslog_v6: tuple[str, ...]
    snmp_location: str
    domain: str
    bfd_interval_ms: int
    bfd_multiplier: int
    province: str
    #: OSPF hello/dead (s) when the estate sets them, else None (the protocol defaults)
    ospf_hello_s: int | None = None
    ospf_dead_s: int | None = None
    bgp_connect_s: int = 10


# -- helpers the templates use as filters ------------------------------------------------------


@lru_cache(maxsize=65536)
def _iface(prefix: str) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    return ipaddress.ip_interface(prefix)


def host(prefix: str) -> str:
    """'198.18.0.1/32' → '198.18.0.1'."""
    return prefix.split("/", 1)[0]


@lru_cache(maxsize=65536)
def plen(prefix: str) -> int:
    """'198.18.0.0/15' → 15."""
    return _iface(prefix).network.prefixlen


@lru_cache(maxsize=65536)
def netmask(prefix: str) -> str:
    """'198.18.64.1/31' → '255.255.255.254'."""
    return str(_iface(prefix).network.netmask)


@lru_cache(maxsize=65536)
def wildcard(prefix: str) -> str:
    """'198.18.16.0/20' → '0.0.15.255'."""
    return str(_iface(prefix).network.hostmask)


@lru_cache(maxsize=65536)
def network(prefix: str) -> str:
    """'198.18.64.1/31' → '198.18.64.0' (the network address)."""
    return str(_iface(prefix).network.network_address)


@lru_cache(maxsize=65536)
def first_host(prefix: str) -> str:
    """The gateway address of a LAN: the first usable address, with the prefix length."""
    net = _iface(prefix).network
    return f"{net.network_address + 1}/{net.prefixlen}"


@lru_cache(maxsize=65536)
def gateway64(prefix: str) -> str:
    """An IPv6 LAN's gateway: '::1/64' in the first /64 of the prefix (a /56 town LAN gets
    its first /64 on the LAN interface; the /56 is announced as an aggregate)."""
    net = _iface(prefix).network
    return f"{net.network_address + 1}/64" if net.prefixlen <= 64 else first_host(prefix)


@lru_cache(maxsize=65536)
def dotted(area: int) -> str:
    """OSPF area 1 → '0.0.0.1' (what every platform prints)."""
    return str(ipaddress.IPv4Address(int(area)))


@lru_cache(maxsize=65536)
def ospf_cost(bandwidth_mbps: int, reference_mbps: int = 100_000) -> int:
    """Cost against a 100G reference: 100G → 1, 10G → 10, 1G → 100, 100M → 1000."""
    return max(1, reference_mbps // max(1, int(bandwidth_mbps)))


@lru_cache(maxsize=65536)
def bandwidth_label(mbps: int) -> str:
    """10000 → '10G', 100 → '100M'."""
    return f"{mbps // 1000}G" if mbps >= 1000 and mbps % 1000 == 0 else f"{mbps}M"


@lru_cache(maxsize=65536)
def _addr_key(addr: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(addr)
    return ip.version, int(ip)


FILTERS = {
    "host": host,
    "plen": plen,
    "netmask": netmask,
    "wildcard": wildcard,
    "network": network,
    "first_host": first_host,
    "gateway64": gateway64,
    "dotted": dotted,
    "ospf_cost": ospf_cost,
    "bw": bandwidth_label,
}


# -- templates -----------------------------------------------------------------------------------


def templates_dir() -> Path:
    """Where the templates are: $GOVOPS_TEMPLATES, else `network/templates` of the checkout."""
    override = os.environ.get(TEMPLATES_ENV)
    if override:
        path = Path(override)
        if not path.is_dir():
            raise BadInput(f"{TEMPLATES_ENV}={override}: no such folder of templates")
        return path
    from govops.paths import repo_path

    return repo_path("network", "templates")


@lru_cache(maxsize=8)
def _environment(folder: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Like Ansible's template module: a template's last newline is dropped (so partials
        # are included with `+%}`), the file's own is added back in _render_one.
        keep_trailing_newline=False,
        autoescape=False,
        auto_reload=False,
        cache_size=-1,
    )
    env.filters.update(FILTERS)
    return env


def _template(folder: Path, platform: str, kind: str) -> jinja2.Template:
    spec = platform_spec(platform)
    name = f"{spec.templates}/{kind}.j2"
    env = _environment(str(folder))
    try:
        return env.get_template(name)
    except jinja2.TemplateNotFound:
        raise BadInput(f"{folder / name}: template missing for platform {platform}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(
            f"{_display(exc.filename or str(folder / name))}:{exc.lineno}: template syntax "
            f"error: {exc.message}") from None


def _display(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


# -- context ---------------------------------------------------------------------------------


def shared_context(estate: Estate) -> Shared:
    """The estate-wide part of every device's context."""
    net = estate.network
    rrs: list[BgpPeer] = []
    clients: list[BgpPeer] = []
    for name, node in estate.nodes.items():
        if not node.managed or node.level == "carrier":
            continue
        peer = BgpPeer(name, host(estate.prefix("loopback-v4", name) or ""),
                       host(estate.prefix("loopback-v6", name) or ""))
        if not peer.ipv4 or not peer.ipv6:
            continue
        (rrs if node.level == RR_LEVEL else clients).append(peer)
    rrs.sort(key=lambda p: _addr_key(p.ipv4))
    clients.sort(key=lambda p: _addr_key(p.ipv4))

    def split(addrs: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        items = list(addrs)
        v4 = tuple(a for a in items if ipaddress.ip_address(a).version == 4)
        v6 = tuple(str(ipaddress.ip_address(a)) for a in items
                   if ipaddress.ip_address(a).version == 6)
        return v4, v6

    protected = [estate.ipam.pools[pool].prefix for spec in estate.planes.values()
                 if not spec.default and spec.filter for pool in spec.own_pools]
    protected_v4 = tuple(p for p in protected if ":" not in p)
    protected_v6 = tuple(p for p in protected if ":" in p)
    ntp4, ntp6 = split(net.ntp_servers)
    sys4, sys6 = split(net.syslog_servers)
    return Shared(
        asn=net.asn,
        route_reflectors=tuple(rrs),
        rr_clients=tuple(clients),
        rr_clients_v4=tuple(BgpNeighbor("client", p.ipv4, p.name, net.asn, "RR-CLIENTS-V4")
                            for p in clients),
        rr_clients_v6=tuple(sorted(
            (BgpNeighbor("client", p.ipv6, p.name, net.asn, "RR-CLIENTS-V6")
             for p in clients), key=lambda n: _addr_key(n.addr))),
        isolated_v4=protected_v4[0] if protected_v4 else "",
        isolated_v6=protected_v6[0] if protected_v6 else "",
        protected_v4=protected_v4,
        protected_v6=protected_v6,
        aggregate_v4=estate.province.ipv4_aggregate,
        aggregate_v6=estate.province.ipv6_aggregate,
        ntp_v4=ntp4,
        ntp_v6=ntp6,
        syslog_v4=sys4,
        syslog_v6=sys6,
        snmp_location=net.snmp_location or estate.province.name,
        domain=net.domain,
        bfd_interval_ms=net.bfd.interval_ms,
        bfd_multiplier=net.bfd.multiplier,
        province=estate.province.name,
        ospf_hello_s=net.ospf.hello_s if (net.ospf.hello_s, net.ospf.dead_s) != (10, 40) else None,
        ospf_dead_s=net.ospf.dead_s if (net.ospf.hello_s, net.ospf.dead_s) != (10, 40) else None,
        bgp_connect_s=net.bgp.connect_retry_s,
    )


def _role(iface: Interface) -> str:
    if iface.kind == "ebgp":
        return "ebgp"
    if iface.kind == "peer":
        return "peer"
    return "uplink" if iface.upstream else "downlink"


def bfd_profile_name(interval_ms: int, multiplier: int, shared: Shared) -> str:
    """`uplink` for the estate's BFD timers, `uplink-<ms>x<mult>` for a link's own."""
    if (interval_ms, multiplier) == (shared.bfd_interval_ms, shared.bfd_multiplier):
        return "uplink"
    return f"uplink-{interval_ms}x{multiplier}"


def _leaks(plane: str, leaks: Iterable[LeakView]) -> list[dict[str, Any]]:
    """A plane's leaks at one router, with the route-policy naming what crosses: the declared
    prefixes one way (LEAK-FROM-TO-V4), the leaking plane's own pools the way back
    (LEAK-FROM-TO-BACK-V4)."""
    out = []
    for leak in leaks:
        name = (f"LEAK-{plane}-{leak.peer_plane}" if leak.outbound
                else f"LEAK-{leak.peer_plane}-{plane}-BACK").upper()
        out.append({"l": leak, "policy": name, "tag": LEAK_RETURN_TAG,
                    "source": f"vpn-instance {leak.peer_instance}" if leak.peer_instance
                    else "public"})
    return out


def leak_policies(leaks: Iterable[dict[str, Any]]) -> list[tuple[str, tuple, tuple]]:
    """The route-policies the leaks at one router use, each once: the declared prefixes
    (LEAK-FROM-TO) and, on the declaring side, the plane's own pools (…-BACK)."""
    found: dict[str, tuple[tuple, tuple]] = {}
    for x in leaks:
        leak = x["l"]
        found.setdefault(x["policy"], (leak.routes_v4, leak.routes_v6))
        if leak.outbound:
            found.setdefault(f"{x['policy']}-BACK", (leak.back_v4, leak.back_v6))
    return [(name, v4, v6) for name, (v4, v6) in found.items()]


def plane_contexts(estate: Estate, view: NodeView, shared: Shared) -> list[dict[str, Any]]:
    """Per non-default plane the router carries: its view, RD, OSPF areas and logical links."""
    out = []
    for pv in view.plane_views:
        interfaces = [{"i": i, "role": _role(i), "ospf": i.kind in ("uplink", "peer")}
                      for i in pv.interfaces]
        leaks = _leaks(pv.name, pv.leaks)
        out.append({
            "p": pv,
            "rd": f"{shared.asn}:{pv.id}",
            "router_id": host(pv.loopback_ipv4),
            "areas": sorted({view.area} | {i.area for i in pv.interfaces}),
            "interfaces": interfaces,
            "lan": bool(pv.lan_ipv4 and pv.lan_ipv6),
            "leaks": leaks,
            "leaks_out": [x for x in leaks if x["l"].outbound],
            "leaks_back": [x for x in leaks if not x["l"].outbound],
        })
    return out


def device_context(estate: Estate, view: NodeView, shared: Shared) -> dict[str, Any]:
    """Everything one device's template reads."""
    planes = plane_contexts(estate, view, shared)
    default = estate.default_plane
    interfaces = []
    for i in view.interfaces:
        role = _role(i)
        interfaces.append({
            # the default plane rides the port itself; every other plane a dot1q subinterface
            "default": default in i.planes,
            "subs": [(pc, x) for pc in planes for x in pc["interfaces"] if x["i"].index == i.index],
            "i": i,
            "role": role,
            # OSPF runs on every internal link, BFD on every link between two routers of
            # the estate's hierarchy (uplinks) and on eBGP sessions.
            "ospf": i.kind in ("uplink", "peer"),
            "bfd": i.kind == "uplink",
            "bfd_profile": bfd_profile_name(i.bfd_interval_ms, i.bfd_multiplier, shared),
        })
    areas = sorted({view.area} | {i.area for i in view.interfaces if i.kind != "ebgp"})
    ebgp: list[EbgpPeer] = []
    for i in view.interfaces:
        if i.kind != "ebgp":
            continue
        peer = estate.nodes[i.peer]
        asn = peer.asn if peer.asn is not None else estate.network.asn
        ebgp.append(EbgpPeer(i.peer, asn, i.name, i.peer_ipv4, i.peer_ipv6))
    is_rr = view.level == RR_LEVEL
    if view.level == "carrier" or not view.managed:
        ibgp_peers: tuple[BgpPeer, ...] = ()  # outside the province's AS
    elif is_rr:
        ibgp_peers = tuple(p for p in shared.route_reflectors if p.name != view.name)
    else:
        ibgp_peers = shared.route_reflectors
    towns_lan = view.level == "town" and view.lan_ipv4 and view.lan_ipv6
    # Sessions: one per address family, each over that family's loopbacks (iBGP) or link
    # addresses (eBGP). Lists are in the order FRR prints them: peer-group members first
    # (group by group, by address), then the other neighbours by address.
    standalone_v4 = [BgpNeighbor("rr", p.ipv4, p.name, shared.asn) for p in ibgp_peers]
    standalone_v6 = [BgpNeighbor("rr", p.ipv6, p.name, shared.asn) for p in ibgp_peers]
    standalone_v4 += [BgpNeighbor("ebgp", e.ipv4, e.name, e.asn) for e in ebgp]
    standalone_v6 += [BgpNeighbor("ebgp", e.ipv6, e.name, e.asn) for e in ebgp]
    standalone_v4.sort(key=lambda n: _addr_key(n.addr))
    standalone_v6.sort(key=lambda n: _addr_key(n.addr))
    members_v4 = list(shared.rr_clients_v4) if is_rr else []
    members_v6 = list(shared.rr_clients_v6) if is_rr else []
    return {
        "v": view,
        "s": shared,
        #: The device model: port names are in `v`; what a routed port prints, the vty range.
        "hw": device_model(view.platform, view.model),
        "hostname": view.name,
        "router_id": host(view.loopback_ipv4),
        "interfaces": interfaces,
        "uplink_ifaces": [x["i"] for x in interfaces if x["bfd"]],
        "areas": areas,
        "is_rr": is_rr,
        "ibgp_peers": ibgp_peers,
        "rr_clients_v4": shared.rr_clients_v4 if is_rr else (),
        "rr_clients_v6": shared.rr_clients_v6 if is_rr else (),
        "ebgp": ebgp,
        # global section, in FRR's order
        "bgp_neighbors": members_v4 + members_v6 + sorted(
            standalone_v4 + standalone_v6, key=lambda n: _addr_key(n.addr)),
        # per address family: the neighbours activated one by one (clients come through
        # their peer-group)
        "af_peers_v4": standalone_v4,
        "af_peers_v6": standalone_v6,
        "is_egress": bool(ebgp) and view.level != "carrier",
        "lan_v4": view.lan_ipv4 if towns_lan else None,
        "lan_v6": view.lan_ipv6 if towns_lan else None,
        "isolated": "isolated" in view.planes and bool(view.isolated_ipv4),
        #: The non-default planes this router carries (VRF-lite), and the LAN VLANs it has.
        "planes": planes,
        "lan_vlans": ([100] if view.level == "town" and view.lan_ipv4 and view.lan_ipv6 else [])
                     + [pc["p"].id for pc in planes if pc["lan"]],
        "default_plane": default,
        #: The default plane's leaks here: the way back from a plane that leaks to it.
        "leaks": _leaks(default, view.leaks),
        #: Every leak route-policy this router defines: (name, IPv4 prefixes, IPv6 prefixes).
        "leak_policies": leak_policies([*_leaks(default, view.leaks),
                                        *(x for pc in planes for x in pc["leaks"])]),
        "mgmt_user": MGMT_USER,
        #: ACL number of the plane-isolation filter and the isolated VPN's RD (VRP, Comware).
        "isolation_acl": ISOLATION_ACL,
        "isolated_rd": f"{shared.asn}:{ISOLATED_VPN_ID}",
        "bfd_interval": shared.bfd_interval_ms,
        "bfd_multiplier": shared.bfd_multiplier,
        "bgp_connect_s": shared.bgp_connect_s,
        "ospf_hello_s": shared.ospf_hello_s,
        "ospf_dead_s": shared.ospf_dead_s,
        # extra BFD profiles for uplinks with their own timers (e.g. the links a drill measures)
        "bfd_profiles": sorted({(x["bfd_profile"], x["i"].bfd_interval_ms, x["i"].bfd_multiplier)
                                for x in interfaces
                                if x["bfd"] and x["bfd_profile"] != "uplink"}),
    }


# -- rendering -------------------------------------------------------------------------------


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """(template file, line) of the innermost template frame in a traceback."""
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".j2"):
            found = (frame.filename, frame.lineno or 0)
    return found


def _render_one(estate: Estate, name: str, shared: Shared, folder: Path) -> str:
    view = node_view(estate, name)
    kind = "carrier" if view.level == "carrier" else "device"
    template = _template(folder, view.platform, kind)
    try:
        text = template.render(device_context(estate, view, shared))
    except Exception as exc:  # any template failure becomes one clear line
        where = _template_frame(exc)
        place = (f"{_display(where[0])}:{where[1]}" if where
                 else _display(str(folder / (template.name or ""))))
        message = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message \
            else f"{type(exc).__name__}: {exc}"
        raise RenderError(f"{place}: rendering {name} ({view.platform}) failed: "
                          f"{message}") from None
    return text if text.endswith("\n") else text + "\n"


def check_names(estate: Estate, names: Iterable[str]) -> list[str]:
    """`names` as a list, BadInput (with a did-you-mean) for one the estate lacks."""
    out = []
    for name in names:
        if name not in estate.nodes:
            raise BadInput(f'device "{name}" is not in the estate {estate.directory}'
                           f'{did_you_mean(name, estate.nodes)}')
        out.append(name)
    return out


def render_device(estate: Estate, name: str, *, templates: Path | None = None) -> str:
    """The intended configuration of one device."""
    check_names(estate, [name])
    return _render_one(estate, name, shared_context(estate), templates or templates_dir())


#: Below this many devices a process pool costs more than it saves.
PARALLEL_MIN = 300


def render_all(
    estate: Estate, names: Iterable[str] | None = None, *, templates: Path | None = None,
    jobs: int = 1, validate: bool = False,
) -> dict[str, str]:
    """{name: intended config} for `names` (default: every node), in estate order.

    `jobs` > 1 renders (and lints) in that many forked worker processes when there are at
    least PARALLEL_MIN devices; the result is the same, byte for byte. `validate` lints every
    config (`validate_configs`) and raises RenderError listing every problem.
    """
    wanted = check_names(estate, names) if names is not None else list(estate.nodes)
    if names is not None:
        order = {n: i for i, n in enumerate(estate.nodes)}
        wanted = sorted(dict.fromkeys(wanted), key=order.__getitem__)
    folder = templates or templates_dir()
    shared = shared_context(estate)
    if jobs > 1 and len(wanted) >= PARALLEL_MIN and _can_fork():
        return _render_parallel(estate, wanted, shared, folder, jobs, validate)
    configs = {name: _render_one(estate, name, shared, folder) for name in wanted}
    if validate:
        validate_configs(estate, configs)
    return configs


#: How a plane instance's config is named: the router, '@', the plane (`town-a@isolated`).
INSTANCE_SEPARATOR = "@"


def instance_name(router: str, plane: str) -> str:
    """The name of router `router`'s config for plane `plane` (`town-a@isolated`)."""
    return f"{router}{INSTANCE_SEPARATOR}{plane}"


def plane_instances(estate: Estate, names: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(router, plane) for every non-default plane of every router (of `names`) whose
    platform runs one routing instance per plane (`PlatformSpec.plane_configs`: FRR in the
    lab); the vendors keep every plane in the one device config."""
    wanted = check_names(estate, names) if names is not None else list(estate.nodes)
    out = []
    for name in wanted:
        node = estate.nodes[name]
        if node.level == "carrier" or not platform_spec(node.platform).plane_configs:
            continue
        out += [(name, p.name) for p in estate.other_planes(name)]
    return out


def render_plane(estate: Estate, router: str, plane: str, *,
                 templates: Path | None = None) -> str:
    """The config of router `router`'s instance for non-default plane `plane` (FRR)."""
    check_names(estate, [router])
    if plane not in estate.carried.get(router, ()) or estate.planes[plane].default:
        carried = [p.name for p in estate.other_planes(router)]
        raise BadInput(f'device "{router}" carries no plane "{plane}" of its own'
                       f"{did_you_mean(plane, carried)}: its planes are "
                       f"{', '.join(carried) or 'only the default one'}")
    return _render_plane(estate, router, plane, shared_context(estate),
                         templates or templates_dir())


def _render_plane(estate: Estate, router: str, plane: str, shared: Shared, folder: Path) -> str:
    view = node_view(estate, router)
    template = _template(folder, view.platform, "plane")
    context = device_context(estate, view, shared)
    context["pc"] = next(pc for pc in context["planes"] if pc["p"].name == plane)
    context["leak_tag"] = LEAK_RETURN_TAG
    name = instance_name(router, plane)
    try:
        text = template.render(context)
    except Exception as exc:  # any template failure becomes one clear line
        where = _template_frame(exc)
        place = f"{_display(where[0])}:{where[1]}" if where else _display(str(template.name))
        raise RenderError(f"{place}: rendering {name} ({view.platform}) failed: "
                          f"{type(exc).__name__}: {exc}") from None
    return text if text.endswith("\n") else text + "\n"


def render_planes(estate: Estate, names: Iterable[str] | None = None, *,
                  templates: Path | None = None, validate: bool = False) -> dict[str, str]:
    """{`router@plane`: config} for every plane instance (`plane_instances`), in estate
    order then plane order; `validate` lints them like `render_all`."""
    folder = templates or templates_dir()
    shared = shared_context(estate)
    configs = {instance_name(r, p): _render_plane(estate, r, p, shared, folder)
               for r, p in plane_instances(estate, names)}
    if validate:
        problems = []
        for name, text in configs.items():
            platform = estate.nodes[name.split(INSTANCE_SEPARATOR, 1)[0]].platform
            problems += _lint(name, platform, text)
        if problems:
            raise RenderError("\n".join(problems))
    return configs


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


#: What forked workers read (inherited, never pickled): (estate, shared, folder, validate).
_WORK: tuple[Estate, Shared, Path, bool] | None = None


def _render_chunk(names: list[str]) -> tuple[dict[str, str], list[str], str | None]:
    estate, shared, folder, validate = _WORK  # type: ignore[misc]
    try:
        configs = {name: _render_one(estate, name, shared, folder) for name in names}
        problems = _problems(estate, configs) if validate else []
    except RenderError as exc:
        return {}, [], str(exc)
    return configs, problems, None


def _render_parallel(estate: Estate, wanted: list[str], shared: Shared, folder: Path,
                     jobs: int, validate: bool) -> dict[str, str]:
    import multiprocessing

    global _WORK
    # compile every template once before forking, so workers share the compiled code
    for platform in {estate.nodes[n].platform for n in wanted}:
        for kind in ("device", "carrier"):
            try:
                _template(folder, platform, kind)
            except BadInput:
                pass  # reported, with the device, by the worker that needs it
    size = -(-len(wanted) // (jobs * 4))
    chunks = [wanted[i:i + size] for i in range(0, len(wanted), size)]
    _WORK = (estate, shared, folder, validate)
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            results = pool.map(_render_chunk, chunks, chunksize=1)
    finally:
        _WORK = None
    configs: dict[str, str] = {}
    problems: list[str] = []
    for part, found, error in results:
        if error:
            raise RenderError(error)
        configs.update(part)
        problems += found
    if problems:
        raise RenderError("\n".join(problems))
    return configs


def _problems(estate: Estate, configs: dict[str, str]) -> list[str]:
    problems = []
    for name, text in configs.items():
        problems += _lint(name, estate.nodes[name].platform, text)
    return problems


def _lint(name: str, platform: str, text: str) -> list[str]:
    from govops.network.lint import lint_config

    return [f"{name} ({platform}): rendered config invalid: {problem} "
            f"(check network/templates/{platform_spec(platform).templates}/)"
            for problem in lint_config(platform, text)]


def validate_configs(estate: Estate, configs: dict[str, str]) -> None:
    """Lint every rendered config (`govops.network.lint`); RenderError listing every problem,
    one line each, naming the device and its platform's template folder."""
    if problems := _problems(estate, configs):
        raise RenderError("\n".join(problems))


def write_configs(configs: dict[str, str], out_dir: Path) -> list[Path]:
    """Write `<out_dir>/<name>.cfg` for each config; return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in configs.items():
        path = out_dir / f"{name}.cfg"
        path.write_text(text)
        paths.append(path)
    return paths
