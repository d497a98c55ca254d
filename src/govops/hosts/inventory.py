"""The estate's hosts as seen by Ansible and by `govops hosts check`: groups, variables, addresses.

Addresses come from IPAM (`host-v4`); an override map (`NAME=IP`, from `--address` or the
`GOVOPS_HOST_ADDRESSES` environment variable, comma-separated) points a host at another
address, e.g. a throwaway test host of the Molecule scenarios.
"""

from __future__ import annotations

import ipaddress
import os
from typing import TYPE_CHECKING, Any

from govops.errors import BadInput

if TYPE_CHECKING:
    from govops.estate.estate import Estate

ADDRESSES_ENV = "GOVOPS_HOST_ADDRESSES"


def parse_addresses(items: list[str] | str | None) -> dict[str, str]:
    """`["a=198.18.255.2", "b=..."]` or `"a=...,b=..."` → {name: address}; BadInput if malformed."""
    if not items:
        return {}
    if isinstance(items, str):
        items = [items]
    result: dict[str, str] = {}
    problems = []
    for chunk in items:
        for item in filter(None, (part.strip() for part in chunk.split(","))):
            name, sep, address = item.partition("=")
            try:
                if not sep or not name:
                    raise ValueError
                ipaddress.ip_address(address)
            except ValueError:
                problems.append(f"address override {item!r}: expected NAME=IP (e.g. db-1=198.18.255.2)")
                continue
            result[name] = address
    if problems:
        raise BadInput("\n".join(problems))
    return result


def env_addresses() -> dict[str, str]:
    """Overrides from `GOVOPS_HOST_ADDRESSES` (empty when unset)."""
    return parse_addresses(os.environ.get(ADDRESSES_ENV, ""))


def host_address(estate: Estate, name: str, overrides: dict[str, str] | None = None) -> str:
    """The address to reach host `name` at: the override, else its IPAM management IPv4."""
    if overrides and name in overrides:
        return overrides[name]
    prefix = estate.prefix("host-v4", name)
    if not prefix:
        raise BadInput(f"host {name}: no management address allocated (run govops estate lock)")
    return prefix.split("/")[0]


def host_groups(estate: Estate, name: str) -> list[str]:
    """Ansible groups of a host: hosts, site_<site>, role_<role>, mlps_<n>."""
    host = estate.hosts[name]
    return ["hosts", f"site_{host.site}", f"role_{host.role}", f"mlps_{estate.host_mlps(name)}"]


def host_vars(estate: Estate, name: str, overrides: dict[str, str] | None = None) -> dict[str, Any]:
    """Ansible host variables of a host (what the roles read)."""
    host = estate.hosts[name]
    v6 = estate.prefix("host-v6", name)
    return {
        "ansible_host": host_address(estate, name, overrides),
        "govops_estate": estate.directory,
        "govops_mlps": estate.host_mlps(name),
        "govops_role": host.role,
        "govops_site": host.site,
        "govops_tenants": list(host.tenants),
        "govops_mgmt_ipv4": estate.prefix("host-v4", name),
        "govops_mgmt_ipv6": v6,
        "govops_ntp_servers": list(estate.network.ntp_servers),
        "govops_syslog_servers": list(estate.network.syslog_servers),
        "govops_domain": estate.network.domain,
    }
