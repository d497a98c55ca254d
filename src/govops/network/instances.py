"""Plane instances as devices: `router@plane` (ADR 0021).

On a platform that runs one routing instance per plane (`PlatformSpec.plane_configs`: FRR),
each non-default plane a router carries is a device of its own for diff, push, verify and
rollback, named `<router>@<plane>` (`@` cannot occur in an identifier). It has the router's
platform, model and level, and the plane's loopback, LAN, logical links and leaks; its
intended config is `render_plane`'s. It is reached through the address book
(`GOVOPS_NET_ADDRESSES`, like Ansible's `ansible_host`): an instance is not at its router's
management address, and govops never guesses one (a guess could land on the router itself).

Who selects instances: `--planes` adds every selected router's instances; a `--limit`
pattern that contains `@` names instances directly (`'*@isolated'`). Other patterns and the
default selection name routers only, because a deployment (the full lab among them) may run
no plane instances.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from govops.errors import BadInput
from govops.estate.estate import Estate
from govops.estate.views import NodeView, node_view
from govops.network.render import (
    INSTANCE_SEPARATOR,
    instance_name,
    plane_instances,
    render_all,
    render_plane,
)

__all__ = ["INSTANCE_SEPARATOR", "device_view", "instance_name", "instances", "is_instance",
           "platform_of", "render_intended", "router_of", "split"]


def split(name: str) -> tuple[str, str | None]:
    """'town-a@isolated' → ('town-a', 'isolated'); 'town-a' → ('town-a', None)."""
    router, sep, plane = name.partition(INSTANCE_SEPARATOR)
    return (router, plane) if sep else (name, None)


def is_instance(name: str) -> bool:
    """True for a plane instance's name (`router@plane`)."""
    return INSTANCE_SEPARATOR in name


def router_of(name: str) -> str:
    """The router a device name belongs to (itself for a router)."""
    return split(name)[0]


def platform_of(estate: Estate, name: str) -> str:
    """The platform of a router or of a plane instance (its router's)."""
    return estate.nodes[router_of(name)].platform


def instances(estate: Estate, routers: Iterable[str] | None = None) -> list[str]:
    """Every plane instance (`router@plane`) of `routers` (default: all), estate order."""
    return [instance_name(r, p) for r, p in plane_instances(estate, routers)]


def device_view(estate: Estate, name: str) -> NodeView:
    """The view of a router, or of a plane instance: its router's view with the plane's
    loopback, LAN, logical links and leaks, and `planes` = (the plane,). BadInput when the
    router carries no such plane."""
    router, plane = split(name)
    if router not in estate.nodes:
        raise BadInput(f'device "{name}" is not in the estate {estate.directory}')
    view = node_view(estate, router)
    if plane is None:
        return view
    pv = next((p for p in view.plane_views if p.name == plane), None)
    if pv is None or name not in instances(estate, [router]):
        carried = ", ".join(p.name for p in view.plane_views) or "none"
        raise BadInput(f'device "{name}": {router} runs no instance for plane "{plane}" '
                       f"(its planes with instances: {carried})")
    return dataclasses.replace(
        view, name=name, planes=(plane,), loopback_ipv4=pv.loopback_ipv4,
        loopback_ipv6=pv.loopback_ipv6, lan_ipv4=pv.lan_ipv4, lan_ipv6=pv.lan_ipv6,
        isolated_ipv4=None, isolated_ipv6=None, interfaces=pv.interfaces, plane_views=(),
        leaks=pv.leaks)


def render_intended(estate: Estate, names: Iterable[str]) -> dict[str, str]:
    """{name: intended config} for routers and plane instances alike, in the given order."""
    wanted = list(names)
    routers = render_all(estate, [n for n in wanted if not is_instance(n)]) \
        if any(not is_instance(n) for n in wanted) else {}
    out = {}
    for name in wanted:
        if is_instance(name):
            device_view(estate, name)  # a clear error for an unknown instance
            router, plane = split(name)
            out[name] = render_plane(estate, router, plane or "")
        else:
            out[name] = routers[name]
    return out
