"""Carrier upstreams (unmanaged nodes) are simulated in the lab: the lab configures them itself."""

from __future__ import annotations

from govops.estate.estate import Estate
from govops.estate.views import node_view


def configure_carriers(estate: Estate) -> list[str]:
    """Push each unmanaged node's rendered config (eBGP to the egress, a default route)."""
    from govops.network.credentials import load_credentials
    from govops.network.diff import remediation
    from govops.network.drivers.frr import FrrDriver
    from govops.network.render import render_device

    creds = load_credentials()
    done = []
    for name, node in estate.nodes.items():
        if node.managed:
            continue
        view = node_view(estate, name)
        driver = FrrDriver(name, view.mgmt_ipv4.split("/")[0], creds)
        driver.open()
        try:
            intended = render_device(estate, name)
            driver.apply(remediation(view.platform, driver.get_running(), intended))
        finally:
            driver.close()
        done.append(name)
    return done
