"""The live driver for H3C Comware 7 (Netmiko `hp_comware`): a rollback file, a commit delay.

`save flash:/<file>` keeps the config before the change; `configuration commit delay <min>`
makes the device return to it by itself unless `configuration commit` confirms in time; the
changes apply at once (Comware has no candidate). A failed verification is undone with
`configuration replace file flash:/<file>`; a kept change is saved with `save force`.
"""

from __future__ import annotations

import math
import time
from typing import Any

from govops.network.drivers.base import DeviceError
from govops.network.platforms._vendor_driver import VendorDriver, refusal


class ComwareDriver(VendorDriver):
    """One session on a Comware 7 device."""

    platform = "h3c_comware"
    default_device_type = "hp_comware"

    def apply(self, lines: list[str]) -> str:
        """Apply `lines` (immediate), then `save force`."""
        if not lines:
            return ""
        output = self.configure(lines)
        self.to_user_view()
        self._check(self.send("save force"), "save force")
        return output

    def apply_trial(self, lines: list[str], seconds: int) -> dict[str, Any]:
        """Save a rollback file, start the commit delay, apply `lines`."""
        backup = f"govops-{time.strftime('%Y%m%d%H%M%S')}.cfg"
        self._check(self.ask(f"save flash:/{backup}", "y"), f"save flash:/{backup}")
        minutes = max(1, math.ceil(seconds / 60))
        self.configure([f"configuration commit delay {minutes}", *lines])
        self.to_user_view()
        self.pending = {"mode": "configuration commit delay", "minutes": minutes,
                        "rollback_file": f"flash:/{backup}"}
        return dict(self.pending)

    def confirm(self) -> dict[str, Any]:
        """Keep the change: `configuration commit`, then `save force`."""
        if self.pending:
            self.configure(["configuration commit"])
            self.to_user_view()
        self._check(self.send("save force"), "save force")
        done, self.pending = dict(self.pending), {}
        return done

    def abort(self) -> bool:
        """`configuration replace file` with the rollback file; False when there is none."""
        target = self.pending.get("rollback_file")
        if not target:
            return False
        self.system_view()
        self._check(self.ask(f"configuration replace file {target}", "n"),
                    "configuration replace")
        self.to_user_view()
        self.pending = {}
        return True

    def _check(self, text: str, what: str) -> str:
        if refusal(text) or "does not exist" in text:
            raise DeviceError(self.name, f"{what!r} refused: {refusal(text) or text.strip()}")
        return text
