"""The live driver for Huawei VRP: V8 (CE, NE40E) two-stage with `commit trial`, V5 (S-series,
AR) immediate with a backup file on flash. The model's Netmiko type (`models.toml`) decides.

VRP V8 (Netmiko `huawei_vrpv8`): `system-view`, the changes, `commit trial <s>`; the device
rolls back by itself unless `commit` confirms in time; `abort trial` undoes at once, and
`rollback configuration last 1` undoes a confirmed commit of ours. The commit id is read from
`display configuration commit list` for the journal.

VRP V5 (Netmiko `huawei`): `save <file>` to flash first, then the changes (immediate), then
`save` answering its `[Y/N]`. V5 has no device-side undo: the rollout restores the backup.
"""

from __future__ import annotations

import re
import time
from typing import Any

from govops.network.drivers.base import DeviceError
from govops.network.platforms._vendor_driver import VendorDriver, refusal

_COMMIT_ID = re.compile(r"^\s*1\s+(\d{6,})\s", re.MULTILINE)


class VrpDriver(VendorDriver):
    """One session on a VRP device."""

    platform = "huawei_vrp"
    default_device_type = "huawei"

    @property
    def two_stage(self) -> bool:
        """VRP V8: changes wait in a candidate until committed."""
        return self.device_type == "huawei_vrpv8"

    def apply(self, lines: list[str]) -> str:
        """Apply `lines` for good (commit, or immediate), then save."""
        if not lines:
            return ""
        output = self.configure(lines)
        if self.two_stage:
            output += self._commit("commit")
        self.to_user_view()
        self.ask("save", "y")
        return output

    def apply_trial(self, lines: list[str], seconds: int) -> dict[str, Any]:
        """V8: commit for `seconds` on trial; V5: back up to flash, then apply."""
        if not self.two_stage:
            backup = f"govops-{time.strftime('%Y%m%d%H%M%S')}.cfg"
            self._check(self.ask(f"save {backup}", "y"), f"save {backup}")
            self.configure(lines)
            self.to_user_view()
            self.pending = {"mode": "immediate", "flash_backup": backup}
            return dict(self.pending)
        seconds = max(60, min(65535, int(seconds)))
        self.configure(lines)
        self._commit(f"commit trial {seconds}")
        commit_id = self.latest_commit()
        self.to_user_view()
        self.pending = {"mode": "commit trial", "seconds": seconds, "commit_id": commit_id}
        return dict(self.pending)

    def confirm(self) -> dict[str, Any]:
        """Keep the change: `commit` ends the trial (V8); then `save`."""
        if self.two_stage:
            self.system_view()
            self._commit("commit")
            self.to_user_view()
        self._check(self.ask("save", "y"), "save")
        done, self.pending = dict(self.pending), {}
        return done

    def abort(self) -> bool:
        """Undo the pending change on the device: `abort trial`, or `rollback configuration
        last 1` when our commit was confirmed already (V8). False on V5."""
        if not self.two_stage or not self.pending:
            return False
        self.to_user_view()
        text = self.send("abort trial")
        if refusal(text):
            if self.latest_commit() != self.pending.get("commit_id"):
                return False
            self._check(self.send("rollback configuration last 1"), "rollback configuration")
        self.pending = {}
        return True

    def latest_commit(self) -> str:
        """The newest id of `display configuration commit list` ("" when there is none)."""
        m = _COMMIT_ID.search(self.send("display configuration commit list"))
        return m.group(1) if m else ""

    def _commit(self, command: str) -> str:
        text = self.send(command)
        if refusal(text) or "Failed to generate committed config" in text:
            self.to_user_view()  # the candidate is discarded
            raise DeviceError(self.name, f"{command!r} refused: {refusal(text) or text.strip()}")
        return text

    def _check(self, text: str, what: str) -> str:
        if refusal(text):
            raise DeviceError(self.name, f"{what!r} refused: {refusal(text)}")
        return text
