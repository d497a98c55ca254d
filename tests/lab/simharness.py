"""A simulated VRP/Comware estate on 127.0.0.1 for tests: built, served and stopped by the
fixture itself (no namespace, no root, never the shared lab).

The estate is inventories/lab with every router switched to a vendor: province, city and
egress routers are CloudEngine 6881 (VRP V8, `huawei_vrpv8`), counties and towns S5731 (VRP V5,
`huawei`), the Tianhe towns H3C: town-tianhe-a an S5560X (Comware 7, `hp_comware`),
town-tianhe-b an MSR 26-30 (Comware 5, `hp_comware` too); the two carriers stay unmanaged.
Both planes stay: town-tianhe-a and town-nanhai-a attach to the isolated plane, which their
counties, cities and the core carry as VRF-lite (ADR 0021), with the leak at prov-core-1.
Devices start with their rendered intent unless a test names them as blank: those start *blank
but managed* (name and management port) plus the unmanaged lines of one of part 1's real
configs of their kind (`tests/network/<platform>/real/`, sources in its SOURCES.md).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from govops.estate.devices import device_model
from govops.estate.estate import Estate
from govops.estate.loader import load_estate
from govops.estate.views import node_view
from govops.lab.simdevices import tree
from govops.lab.simdevices.server import SimulatorThread, World
from govops.lab.simdevices.spec import blank_config, known_hosts_lines, spec_from_estate, world_from_spec

ROOT = Path(__file__).resolve().parents[2]
#: Part 1's real configs whose unmanaged lines seed a blank device, per platform (or per
#: model flavour, where the model table names one).
UNMANAGED_SOURCE = {"huawei_vrp": ROOT / "tests/network/huawei_vrp/real/s5735_access.cfg",
                    "h3c_comware": ROOT / "tests/network/h3c_comware/real/s5130_ei_access.cfg",
                    "comware5": ROOT / "tests/network/h3c_comware/real/msr2630_comware5.cfg"}
#: Top-level blocks govops manages (never seeded as the site's own lines).
_MANAGED_HEADS = re.compile(r"^(sysname|interface|bgp|ospf|ospfv3|route-policy|acl|ip ip-prefix|"
                            r"ip ipv6-prefix|ip prefix-list|ipv6 prefix-list|ip vpn-instance|bfd|"
                            r"ip route-static|ipv6 route-static|vlan|version)\b")


def vendor_estate(target: Path) -> Path:
    """inventories/lab with VRP V8 / V5 / Comware routers (see module doc); its folder."""
    shutil.copytree(ROOT / "inventories" / "lab", target / "estate",
                    ignore=shutil.ignore_patterns("ansible.yml"))
    shutil.copytree(ROOT / "inventories" / "policy", target / "policy")
    path = target / "estate" / "network.yaml"
    text = re.sub(r"platform: frr", "platform: huawei_vrp", path.read_text())
    lines = []
    for line in text.splitlines(keepends=True):
        if re.search(r"level: (province|city|egress)\b", line):
            line = line.replace("platform: huawei_vrp", "platform: huawei_vrp, model: CE6881")
        if "name: town-tianhe" in line:
            line = line.replace("platform: huawei_vrp", "platform: h3c_comware")
        if "name: town-tianhe-b" in line:
            line = line.replace("platform: h3c_comware", "platform: h3c_comware, model: MSR2630")
        lines.append(line)
    path.write_text("".join(lines))
    return target / "estate"


def unmanaged_lines(estate: Estate, name: str) -> str:
    """The site's own top-level blocks of a real config of the device's kind (AAA, SNMP,
    syslog, STP, vty…)."""
    view = node_view(estate, name)
    flavour = device_model(view.platform, view.model).flavour
    root = tree.parse(UNMANAGED_SOURCE[flavour or view.platform].read_text())
    keep = tree.Node("", [n for n in root.children if not _MANAGED_HEADS.match(n.text)])
    return "\n".join(keep.lines())


def seeded_blank(estate: Estate, name: str) -> str:
    """A blank-but-managed device holding the site's unmanaged lines."""
    view = node_view(estate, name)
    return blank_config(view).replace("#\nreturn\n", "") + unmanaged_lines(estate, name) + "\nreturn\n"


def free_ports(count: int) -> int:
    """The first of `count` consecutive free TCP ports on 127.0.0.1."""
    import random

    for _ in range(50):
        base = random.randrange(20000, 60000 - count)
        socks = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


@dataclass
class SimLab:
    """A running simulator and how to reach it."""

    estate_dir: Path
    estate: Estate
    world: World
    thread: SimulatorThread
    seeds: dict[str, str]
    env: dict[str, str]

    def running(self, name: str) -> str:
        """The device's running config now."""
        return self.world.call(self.world.devices[name].display_current)


def start(tmp: Path, blank: list[str], time_scale: float = 0.05) -> SimLab:
    """Serve the vendor estate on 127.0.0.1: `blank` devices start blank (with the site's
    unmanaged lines), the others at their intent."""
    import asyncssh

    from govops.network.render import render_device

    estate_dir = vendor_estate(tmp)
    estate = load_estate(estate_dir)
    key = tmp / "host_key"
    asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(key))
    seeds = {n: (seeded_blank(estate, n) if n in blank else render_device(estate, n))
             for n in estate.nodes if estate.nodes[n].managed}
    spec = spec_from_estate(estate, host="127.0.0.1", first_port=free_ports(len(estate.nodes)),
                            username="netops", password="sim-pass", host_key=key, seeds=seeds,
                            time_scale=time_scale)
    known = tmp / "known_hosts"
    known.write_text("\n".join(known_hosts_lines(spec)) + "\n")
    book = tmp / "addresses.json"
    import json

    book.write_text(json.dumps({d.name: {"host": d.host, "port": d.port} for d in spec.devices}))
    world = world_from_spec(spec)
    thread = SimulatorThread(world).start()
    env = {"GOVOPS_NET_USERNAME": "netops", "GOVOPS_NET_PASSWORD": "sim-pass",
           "GOVOPS_KNOWN_HOSTS": str(known), "GOVOPS_NET_ADDRESSES": str(book),
           "GOVOPS_LAB_DIR": str(tmp / "lab")}
    return SimLab(estate_dir, estate, world, thread, seeds, env)


def run_own_loop(coro) -> object:
    """Run `coro` to completion on a loop of its own, leaving this thread's current event loop
    as it was: `asyncio.run()` clears it, and Pulumi's mocks (tests/cloud, maybe later on the
    same xdist worker) then await futures on a different loop ("await wasn't used with future")."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()
