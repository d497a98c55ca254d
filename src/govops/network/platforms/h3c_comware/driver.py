"""The live driver for H3C Comware (Netmiko `hp_comware`): a rollback file, and on Comware 7
a commit delay.

Comware 7: `save flash:/<file>` keeps the config before the change; `configuration commit
delay <min>` makes the device return to it by itself unless `configuration commit` confirms
in time; the changes apply at once (Comware has no candidate). A failed verification is undone
with `configuration replace file flash:/<file>`; a kept change is saved with `save force`.

Comware 5 (the model table's `flavour = "comware5"`) has no commit delay: the same rollback
file is saved first and the changes apply at once, so a session that dies half-way leaves a
half-changed device until the rollout, `net resume` or `net rollback` restores it. A failed
verification is undone with `configuration replace file` (Comware 5.20's configuration
rollback); a release without it refuses the command, and the rollout then restores the
backup line by line. ADR 0020, addendum.
"""

from __future__ import annotations

import math
import time
from typing import Any

from govops.network.drivers.base import DeviceError
from govops.network.platforms._vendor_driver import VendorDriver, refusal


class ComwareDriver(VendorDriver):
    """One session on a Comware 7 (or Comware 5) device."""

    platform = "h3c_comware"
    default_device_type = "hp_comware"

    @property
    def commit_delay(self) -> bool:
        """Comware 7: the device undoes a change by itself unless it is confirmed in time."""
        return self.flavour != "comware5"

    def apply(self, lines: list[str]) -> str:
        """Apply `lines` (immediate), then `save force`."""
        if not lines:
            return ""
        output = self.configure(lines)
        self.to_user_view()
        self._check(self.send("save force"), "save force")
        return output

    def apply_trial(self, lines: list[str], seconds: int) -> dict[str, Any]:
        """Save a rollback file, start the commit delay (Comware 7), apply `lines`."""
        backup = f"govops-{time.strftime('%Y%m%d%H%M%S')}.cfg"
        self._check(self.ask(f"save flash:/{backup}", "y"), f"save flash:/{backup}")
        if not self.commit_delay:
            # armed before the first line: a refused line is undone with the rollback file
            self.pending = {"mode": "immediate", "rollback_file": f"flash:/{backup}"}
            self.configure(lines)
            self.to_user_view()
            return dict(self.pending)
        minutes = max(1, math.ceil(seconds / 60))
        self.configure([f"configuration commit delay {minutes}", *lines])
        self.to_user_view()
        self.pending = {"mode": "configuration commit delay", "minutes": minutes,
                        "rollback_file": f"flash:/{backup}"}
        return dict(self.pending)

    def confirm(self) -> dict[str, Any]:
        """Keep the change: `configuration commit` (Comware 7), then `save force`."""
        if self.pending and self.commit_delay:
            self.configure(["configuration commit"])
            self.to_user_view()
        self._check(self.send("save force"), "save force")
        done, self.pending = dict(self.pending), {}
        return done

    def abort(self) -> bool:
        """`configuration replace file` with the rollback file; False when there is none (or,
        on Comware 5, when its release has no configuration rollback)."""
        target = self.pending.get("rollback_file")
        if not target:
            return False
        self.system_view()
        text = self.ask(f"configuration replace file {target}", "n")
        if not self.commit_delay and refusal(text):
            self.to_user_view()
            return False
        self._check(text, "configuration replace")
        self.to_user_view()
        self.pending = {}
        return True

    def _check(self, text: str, what: str) -> str:
        if refusal(text) or "does not exist" in text:
            raise DeviceError(self.name, f"{what!r} refused: {refusal(text) or text.strip()}")
        return text
