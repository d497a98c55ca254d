"""Which live driver class serves which platform: `PlatformSpec.live_driver`."""

from __future__ import annotations

import importlib

from govops.errors import BadInput


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
    host, port = (book or {}).get(view.name, (view.mgmt_ipv4.split("/")[0], 22))
    more = {"flavour": model.flavour} if model and model.flavour else {}
    return driver_for(view.platform)(view.name, host, creds, port=port, device_type=device_type,
                                     **more)
