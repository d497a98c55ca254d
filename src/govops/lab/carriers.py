"""Carrier upstreams (unmanaged nodes) are simulated in the lab: the lab configures them itself."""

from __future__ import annotations

from govops.estate.estate import Estate
from govops.estate.views import node_view


def push_rendered(estate: Estate, name: str) -> None:
    """Give a lab router its rendered config directly (no rollout, no verification)."""
    from govops.network.credentials import load_credentials
    from govops.network.diff import remediation
    from govops.network.drivers.frr import FrrDriver
    from govops.network.render import render_device

    view = node_view(estate, name)
    driver = FrrDriver(name, view.mgmt_ipv4.split("/")[0], load_credentials())
    driver.open()
    try:
        driver.apply(remediation(view.platform, driver.get_running(),
                                 render_device(estate, name)))
    finally:
        driver.close()


def configure_carriers(estate: Estate) -> list[str]:
    """Push each unmanaged node's rendered config (eBGP to the egress, a default route)."""
    done = []
    for name, node in estate.nodes.items():
        if not node.managed:
            push_rendered(estate, name)
            done.append(name)
    return done
