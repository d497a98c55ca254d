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
