"""The driver contract every platform implements, with typed (pydantic) return models.

The verbs follow NAPALM: get the running config, apply remediation lines, read operational
state, and restore a backup. A driver never prints; errors a user can cause raise DeviceError.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from pydantic import BaseModel, Field

from govops.errors import GovopsError


class DeviceError(GovopsError):
    """A device could not be reached, refused a login, or rejected a command."""

    exit_code = 1

    def __init__(self, device: str, message: str, unreachable: bool = False):
        super().__init__(f"{device}: {message}")
        self.device = device
        self.unreachable = unreachable


class Neighbor(BaseModel):
    """One routing-protocol neighbour as the device reports it.

    Example: ``Neighbor(peer="198.18.0.3", interface="eth1", state="Full", up=True)``.
    """

    peer: str
    interface: str = ""
    state: str
    up: bool


class DeviceState(BaseModel):
    """Operational state parsed from show commands (never grepped)."""

    ospf: list[Neighbor] = Field(default_factory=list)
    ospf6: list[Neighbor] = Field(default_factory=list)
    bgp: list[Neighbor] = Field(default_factory=list)
    bfd: list[Neighbor] = Field(default_factory=list)
    routes4: set[str] = Field(default_factory=set)
    routes6: set[str] = Field(default_factory=set)


class Daemon(BaseModel):
    """One routing process of a device and how long it has run.

    Example: ``Daemon(name="ospf6d", up=True, uptime_s=12.0)``: ospf6d came (back) up 12 s ago.
    """

    name: str
    up: bool
    uptime_s: float | None = None


class Driver(Protocol):
    """What the rollout needs from a device session."""

    name: str
    platform: str

    def open(self) -> None:
        """Connect and log in; DeviceError(unreachable=True) when that fails."""

    def close(self) -> None:
        """Disconnect; never raises."""

    def get_running(self) -> str:
        """The running configuration as text."""

    def apply(self, lines: list[str]) -> str:
        """Enter configuration mode, send `lines`, persist; DeviceError on any rejected line."""

    def get_state(self, prefixes: Collection[str] | None = None) -> DeviceState:
        """Neighbours (OSPF, OSPFv3, BGP, BFD) and routing-table prefixes. `prefixes`: the
        routes the caller checks; a driver may read only those (it may return more)."""

    def get_daemons(self) -> list[Daemon]:
        """The device's routing processes, up or not, with their uptime (a process that
        restarted during a push crashed); empty when the platform cannot tell."""
