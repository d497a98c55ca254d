"""What the VRP and Comware live drivers share: a Netmiko session, questions, refusals, state.

Each platform's `driver.py` adds its vendor's safety net on top (VRP V8 `commit trial`,
VRP V5 a backup file on flash, Comware 7 `configuration commit delay` and a rollback file).
The optional verbs the rollout uses when a driver has them (napalm's commit_config with
revert_in / confirm_commit / discard_config):

- `apply_trial(lines, seconds) -> dict`: apply so that the device undoes the change by itself
  unless confirmed within `seconds`; returns what the journal records (commit id, file);
- `confirm() -> dict`: keep the change (and save it);
- `abort() -> bool`: undo the pending change with the device's own mechanism; False when the
  device has none, and the rollout restores the backup line by line.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from govops.network.credentials import Credentials, netmiko_params
from govops.network.drivers.base import Daemon, DeviceError, DeviceState

_PARAMIKO = logging.getLogger("paramiko")
_PARAMIKO.addHandler(logging.NullHandler())
_PARAMIKO.propagate = False

#: A question the device asks before it goes on.
QUESTION = (r"\[Y/N\]\s*:?\s*$|\(y/n\)\[n\]:\s*$|\[Y\(yes\)/N\(no\)/C\(cancel\)\]:\s*$|"
            r"press the enter key\):\s*$")
#: Lines with which VRP and Comware refuse a command.
_REFUSED = re.compile(r"^\s*(Error:|% |Failed to)", re.MULTILINE)


class VendorDriver:
    """One CLI session on a VRP or Comware device (Netmiko)."""

    platform = ""
    #: The user-view prompt's end and the system-view prompt's end.
    _USER, _SYSTEM = ">", "]"

    def __init__(self, name: str, host: str, creds: Credentials, timeout: float = 60,
                 port: int = 22, device_type: str = ""):
        self.name = name
        self.host = host
        self.port = port
        self.device_type = device_type or self.default_device_type
        self._params = netmiko_params(host, self.device_type, creds, port)
        self._timeout = timeout
        self._conn: Any = None
        self._prompt = r"[>\]]\s*$"
        self.pending: dict[str, Any] = {}

    default_device_type = ""

    # -- session ----------------------------------------------------------------------------
    def open(self) -> None:
        """Connect and log in; unreachable hosts, refused logins and unknown host keys raise
        DeviceError(unreachable=True)."""
        from netmiko import ConnectHandler
        from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

        where = self.host if self.port == 22 else f"{self.host}:{self.port}"
        try:
            self._conn = ConnectHandler(**self._params)
        except NetmikoAuthenticationException as exc:
            raise DeviceError(self.name, f"login refused at {where}: check the credentials",
                              unreachable=True) from exc
        except NetmikoTimeoutException as exc:
            raise DeviceError(self.name, f"unreachable at {where}: is it up?",
                              unreachable=True) from exc
        except Exception as exc:  # paramiko: host key mismatch, refused connections
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DeviceError(self.name, f"cannot connect to {where}: {reason}",
                              unreachable=True) from exc
        name = re.escape(self._conn.base_prompt)
        self._prompt = rf"[<\[][~*]?{name}[^\]>\n]*[>\]]\s*$"

    def close(self) -> None:
        """Disconnect quietly."""
        if self._conn is not None:
            try:
                self._conn.disconnect()
            except Exception:  # noqa: BLE001 - closing must never fail a rollout
                pass
            self._conn = None

    def send(self, command: str) -> str:
        """One command in the current view; its output (DeviceError when the session fails)."""
        try:
            return self._conn.send_command(command, read_timeout=self._timeout,
                                           expect_string=self._prompt)
        except Exception as exc:
            raise DeviceError(self.name, f"{command!r} failed: {_first(exc)}") from exc

    def ask(self, command: str, answer: str = "y") -> str:
        """A command that may ask a question: answer it, return everything printed."""
        try:
            text = self._conn.send_command(command, read_timeout=self._timeout,
                                           expect_string=rf"{QUESTION}|{self._prompt}",
                                           strip_prompt=False)
            while re.search(QUESTION, text.rstrip().splitlines()[-1] if text.strip() else ""):
                reply = answer
                if "press the enter key" in text.splitlines()[-1]:
                    reply = ""
                text += self._conn.send_command(reply, read_timeout=self._timeout,
                                                expect_string=rf"{QUESTION}|{self._prompt}",
                                                strip_prompt=False)
        except Exception as exc:
            raise DeviceError(self.name, f"{command!r} failed: {_first(exc)}") from exc
        return text

    def configure(self, lines: list[str]) -> str:
        """Enter system-view and send `lines`; DeviceError naming the first refused line.
        Leaves the session in system-view."""
        try:
            output = self._conn.send_config_set(lines, cmd_verify=False,
                                                exit_config_mode=False,
                                                read_timeout=self._timeout)
        except Exception as exc:
            raise DeviceError(self.name, f"configuration failed: {_first(exc)}") from exc
        refused = refusal(output)
        if refused:
            raise DeviceError(self.name, f"rejected: {refused}")
        return output

    def to_user_view(self) -> str:
        """`return` to the user view."""
        return self.ask("return", "n")

    # -- reading ----------------------------------------------------------------------------
    def get_running(self) -> str:
        """`display current-configuration`."""
        text = self.send("display current-configuration")
        # Comware can leave the echo of the command (after a prompt fragment) in the output
        text = "\n".join(ln for ln in text.splitlines()
                         if not ln.strip().endswith("display current-configuration"))
        if refusal(text):
            raise DeviceError(self.name, f"cannot read its config: {refusal(text)}")
        return text

    def get_state(self) -> DeviceState:
        """Neighbours and routes from the platform's `display` commands, parsed by TextFSM. A
        protocol that is not configured prints nothing: that part stays empty."""
        from govops.network.parse import UnreadableOutput, read_state
        from govops.network.platforms import platform_spec

        outputs = {}
        for display in platform_spec(self.platform).displays:
            text = self.send(display.command)
            if text.strip():
                outputs[display.command] = text
        try:
            return read_state(self.platform, outputs, source=self.name)
        except UnreadableOutput as exc:
            raise DeviceError(self.name, str(exc)) from exc

    def get_daemons(self) -> list[Daemon]:
        """VRP and Comware do not report routing processes apart: empty."""
        return []

    def apply(self, lines: list[str]) -> str:  # pragma: no cover - each platform has its own
        raise NotImplementedError


def refusal(output: str) -> str:
    """The first line with which the device refused a command ("" when none)."""
    m = _REFUSED.search(output)
    return m.group(0).strip() + output[m.end():].split("\n", 1)[0] if m else ""


def _first(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
