"""Device models: how a VRP or Comware box of a given model names its ports.

    from govops.estate.devices import device_model

    hw = device_model("huawei_vrp", "CE6881")
    hw.port(1, 100_000)   # '100GE1/0/1'

Each platform folder holds its table as data, `network/platforms/<platform>/models.toml`
(see ADR 0011, addendum). The estate reads those files rather than importing
`govops.network` (the estate stays the lower layer); the platform specs read them here too,
so there is one table per platform.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: Where the platform folders are (each holds a models.toml).
PLATFORMS_DIR = Path(__file__).resolve().parent.parent / "network" / "platforms"


@dataclass(frozen=True)
class DeviceModel:
    """One device model of a platform, as its table in models.toml declares it."""

    name: str
    platform: str
    description: str
    #: (minimum Mbit/s, name pattern with `{n}`), fastest first.
    ports: tuple[tuple[int, str], ...]
    first_port: int
    mgmt: str
    #: The line that makes a layer-2 port routed, printed first in the port ("" if none).
    route_mode: str
    #: The device prints `undo shutdown` on a port that is up.
    undo_shutdown: bool
    #: The vty range govops configures ("0 4", "0 63"; "" where there is none).
    vty: str
    #: The Netmiko device type of its live driver ("" : the platform's).
    netmiko: str = ""
    #: The CLI it speaks where one Netmiko type serves two ("comware5": H3C Comware 5, no
    #: commit delay; "" : the one its Netmiko type names). Read by the live driver and the
    #: simulated devices (ADR 0020, addendum).
    flavour: str = ""
    #: The physical ports the box is fitted with: (name pattern with `{n}`, first, last).
    #: The device lists every one of them in `display current-configuration`, configured or
    #: not (the simulated devices do too).
    fitted: tuple[tuple[str, int, int], ...] = ()
    #: How an interface applies an ACL to packets where the platform's usual command is not
    #: the model's ("firewall packet-filter" on a Comware 5 MSR router; "" : the platform's).
    packet_filter: str = ""

    def fitted_ports(self) -> list[str]:
        """Every physical port of the box, in the order the device lists them."""
        return [pattern.format(n=n) for pattern, first, last in self.fitted
                for n in range(first, last + 1)]

    def port(self, index: int, bandwidth_mbps: int) -> str:
        """The name of the node's `index`-th port (1 first) for a link of that speed."""
        for floor, pattern in self.ports:
            if bandwidth_mbps >= floor:
                return pattern.format(n=self.first_port + index - 1)
        raise ValueError(f"{self.platform} model {self.name}: no port pattern for "
                         f"{bandwidth_mbps} Mbit/s")

    @property
    def layer2_ports(self) -> bool:
        """Ports are layer-2 until `route_mode` is given."""
        return bool(self.route_mode)


@dataclass(frozen=True)
class ModelTable:
    """A platform's models and the one a node without `model:` gets."""

    default: str
    models: dict[str, DeviceModel]


@cache
def model_table(platform: str) -> ModelTable:
    """The models of `platform`, read from its folder; KeyError when it has no table."""
    path = PLATFORMS_DIR / platform / "models.toml"
    if not path.is_file():
        raise KeyError(platform)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    models = {
        name: DeviceModel(name=name, platform=platform, description=m["description"],
                          ports=tuple((int(f), str(p)) for f, p in m["ports"]),
                          first_port=int(m["first_port"]), mgmt=m["mgmt"],
                          route_mode=m["route_mode"], undo_shutdown=bool(m["undo_shutdown"]),
                          vty=m["vty"], netmiko=m.get("netmiko", ""), flavour=m.get("flavour", ""),
                          fitted=tuple((str(p), int(a), int(b)) for p, a, b in m.get("fitted", ())),
                          packet_filter=m.get("packet_filter", ""))
        for name, m in data["models"].items()
    }
    if data["default"] not in models:
        raise ValueError(f"{path}: default model {data['default']!r} is not in its table")
    return ModelTable(default=data["default"], models=models)


def device_model(platform: str, model: str | None = None) -> DeviceModel:
    """Model `model` of `platform` (its default when None); KeyError when unknown."""
    table = model_table(platform)
    return table.models[model or table.default]
