"""Which live driver class serves which platform: `PlatformSpec.live_driver`."""

from __future__ import annotations

import importlib

from govops.errors import BadInput
from govops.network.render import INSTANCE_SEPARATOR


def driver_for(platform: str):  # noqa: ANN201 - a driver class
    """The driver class for `platform`; BadInput for platforms without a live driver yet."""
    from govops.network.platforms import platform_spec

    target = platform_spec(platform).live_driver
    if target is None:
        raise BadInput(f"no live driver for platform {platform!r} yet: render and diff work "
                       "for it; push supports frr (the lab)")
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def make_driver(view, creds, book: dict[str, tuple[str, int]] | None = None):  # noqa: ANN001, ANN201
    """A driver for one node (`NodeView`): its platform's class, the Netmiko device type its
    model uses (the spec's `models.toml`) and its CLI flavour when the model names one, and
    where it listens (the address book, else its
    management address on port 22)."""
    from govops.network.platforms import platform_spec

    spec = platform_spec(view.platform)
    model = spec.models.get(view.model) if view.model else None
    device_type = (model.netmiko if model and model.netmiko else spec.netmiko_device_type)
    book = book or {}
    if view.name not in book and INSTANCE_SEPARATOR in view.name:
        return Unaddressed(view.name, view.platform)
    host, port = book.get(view.name, (view.mgmt_ipv4.split("/")[0], 22))
    more = {"flavour": model.flavour} if model and model.flavour else {}
    return driver_for(view.platform)(view.name, host, creds, port=port, device_type=device_type,
                                     **more)


class Unaddressed:
    """A plane instance (`router@plane`) the address book does not name: it has no management
    address of its own in the estate, and its router's would reach the wrong device. Opening it
    fails (unreachable), naming what to set."""

    def __init__(self, name: str, platform: str):
        self.name, self.platform = name, platform

    def open(self) -> None:
        from govops.network.drivers.base import DeviceError

        raise DeviceError(self.name, "a plane instance is reached through the address book "
                          "(GOVOPS_NET_ADDRESSES: {device: {host, port}}), which does not name "
                          "it", unreachable=True)

    def close(self) -> None:
        """Nothing to close."""
