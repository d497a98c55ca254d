"""Which devices a simulator serves, where, and what they start with (a JSON file).

    spec = spec_from_estate(estate, host="127.0.0.1", first_port=22000, ...)
    world = world_from_spec(spec)          # SimDevice objects, ready to serve

Managed VRP/Comware nodes start *blank but managed*: their name, their management port with
its address, nothing govops renders (`blank_config`); a test may seed them with more (lines
from part 1's real fixtures). Unmanaged nodes (the carriers) start with their rendered
config, as the FRR lab configures its carriers, so eBGP to them can come up.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from govops.estate.estate import Estate
from govops.lab.errors import LabError
from govops.lab.simdevices import grammar, tree
from govops.lab.simdevices.device import Faults, SimDevice

#: The platforms the simulator serves.
SIMULATED = ("huawei_vrp", "h3c_comware")


@dataclass
class DeviceSpec:
    """One simulated device."""

    name: str
    platform: str
    model: str
    device_type: str
    host: str
    port: int
    config: str
    ports_start_shut: bool = False
    faults: dict = field(default_factory=dict)
    #: Its physical ports (the model's, and any the estate gives it beyond them).
    fitted: list[str] = field(default_factory=list)
    #: Its level in the estate and its management address (for `lab status`).
    level: str = ""
    management: str = ""
    #: Its CLI flavour when the model table names one ("comware5"); else its Netmiko type's.
    flavour: str = ""


@dataclass
class SimSpec:
    """A simulator process: its devices and login."""

    username: str
    password: str
    host_key: str
    devices: list[DeviceSpec]
    time_scale: float = 1.0
    faults_file: str = ""
    #: How long devices take to answer: "none" (at once) or "vendor" (`timing.VENDOR`).
    timing: str = "none"

    def write(self, path: Path) -> None:
        """Save as JSON (mode 600: it holds the password)."""
        import os

        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(asdict(self), handle, indent=1)

    @classmethod
    def read(cls, path: Path) -> SimSpec:
        """Load a spec written by `write`; LabError naming the file when it is not one."""
        try:
            data = json.loads(path.read_text())
            data["devices"] = [DeviceSpec(**d) for d in data["devices"]]
            return cls(**data)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise LabError(f"{path}: not a simulator spec ({exc})") from None


def blank_config(view) -> str:  # noqa: ANN001 - a NodeView
    """A managed device before govops configured it: its name and management port only."""
    addr = ipaddress.ip_interface(view.mgmt_ipv4)
    return (f"#\nsysname {view.name}\n#\ninterface {view.mgmt_interface}\n"
            f" ip address {addr.ip} {addr.netmask}\n#\nreturn\n")


def spec_from_estate(estate: Estate, *, host: str, first_port: int, username: str,
                     password: str, host_key: Path, seeds: dict[str, str] | None = None,
                     time_scale: float = 1.0, faults_file: str = "",
                     per_device_host: bool = False) -> SimSpec:
    """A spec for every VRP/Comware node of `estate`.

    Devices listen on `host` with ports from `first_port` (in estate order), or, with
    `per_device_host`, on their own management address, port 22. `seeds` overrides a
    device's starting config (device → text).
    """
    from govops.estate.views import node_view
    from govops.network.platforms import platform_spec
    from govops.network.render import render_device

    devices = []
    for name, node in estate.nodes.items():
        if node.platform not in SIMULATED:
            continue
        view = node_view(estate, name)
        spec = platform_spec(view.platform)
        model = spec.models[view.model]
        device_type = model.netmiko or spec.netmiko_device_type
        if seeds and name in seeds:
            config = seeds[name]
        elif not node.managed:
            config = render_device(estate, name)
        else:
            config = blank_config(view)
        where = ((view.mgmt_ipv4.split("/")[0], 22) if per_device_host
                 else (host, first_port + len(devices)))
        fitted = model.fitted_ports()
        fitted += [i.name for i in view.interfaces
                   if i.name not in fitted and grammar.physical_port(i.name)]
        devices.append(DeviceSpec(name, view.platform, view.model, device_type, where[0],
                                  where[1], config, model.undo_shutdown, fitted=fitted,
                                  level=view.level, management=view.mgmt_ipv4.split("/")[0],
                                  flavour=model.flavour))
    return SimSpec(username, password, str(host_key), devices, time_scale, faults_file)


def world_from_spec(spec: SimSpec, shard: int = 0, shards: int = 1):  # noqa: ANN201 - a World
    """The World a spec describes (devices built, nothing listening yet); with `shards`, the
    part shard number `shard` serves (`shards.shard_of`)."""
    from govops.lab.simdevices.server import World
    from govops.lab.simdevices.shards import shard_of

    devices, listen = {}, {}
    for i, d in enumerate(spec.devices):
        if shard_of(i, shards) != shard:
            continue
        flavour = d.flavour or grammar.FLAVOUR_OF.get(d.device_type)
        if flavour not in grammar.FLAVOURS:
            raise LabError(f"{d.name}: no simulated CLI for Netmiko type {d.device_type!r}")
        devices[d.name] = SimDevice(d.name, d.platform, flavour, tree.parse(d.config),
                                    ports_start_shut=d.ports_start_shut,
                                    fitted=tuple(d.fitted),
                                    faults=Faults(**d.faults))
        listen[d.name] = (d.host, d.port)
    from govops.lab.simdevices.timing import timing_for

    timings = {}
    for dev in devices.values():
        found = timing_for(spec.timing, dev.flavour)
        if found is not None:
            timings[dev.flavour] = found
    return World(devices, listen, spec.username, spec.password, Path(spec.host_key),
                 spec.time_scale, Path(spec.faults_file) if spec.faults_file else None,
                 timings)


def known_hosts_lines(spec: SimSpec) -> list[str]:
    """known_hosts entries for every device (`[host]:port key` off port 22)."""
    import asyncssh

    public = asyncssh.read_private_key(spec.host_key).export_public_key().decode().strip()
    return [(d.host if d.port == 22 else f"[{d.host}]:{d.port}") + " " + public
            for d in spec.devices]
