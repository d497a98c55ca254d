"""Platform drivers: one contract (render → diff → push → verify → restore), many platforms."""

from __future__ import annotations

from govops.network.drivers.base import DeviceError, DeviceState, Driver, Neighbor
from govops.network.drivers.registry import driver_for

__all__ = ["DeviceError", "DeviceState", "Driver", "Neighbor", "driver_for"]
