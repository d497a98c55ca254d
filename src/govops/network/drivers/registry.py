"""Which driver class serves which platform."""

from __future__ import annotations

from govops.errors import BadInput


def driver_for(platform: str):
    """The driver class for `platform`; BadInput for platforms without a live driver yet."""
    if platform in ("frr",):
        from govops.network.drivers.frr import FrrDriver

        return FrrDriver
    raise BadInput(f"no live driver for platform {platform!r} yet: render and diff work for it; "
                   "push supports frr (the lab)")
