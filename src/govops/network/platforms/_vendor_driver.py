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

Every read waits for the device's prompt (or its question), never for silence. Netmiko's
Huawei and Comware classes find out whether they are in system view by sending a newline and
waiting until nothing more comes for 2 s (`check_config_mode`), twice per `config_mode()`,
twice more on `disconnect()`, and `send_config_set(cmd_verify=False)` ends with another 2 s of
silence: about 7 s per push and 4–14 s per logout, on a real box as on a simulated one. The
driver knows which view it left the session in, so it enters and leaves system view itself
and types configuration lines one by one, each read up to the next prompt: a session is
then as fast as the device answers.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import select
import time
from collections.abc import Collection
from typing import Any

from govops.network.credentials import Credentials, netmiko_params
from govops.network.drivers.base import Daemon, DeviceError, DeviceState

_PARAMIKO = logging.getLogger("paramiko")
_PARAMIKO.addHandler(logging.NullHandler())
_PARAMIKO.propagate = False

#: A question the device asks before it goes on.
QUESTION = (r"\[Y/N\]\s*:?\s*$|\(y/n\)\[n\]:\s*$|\[Y\(yes\)/N\(no\)/C\(cancel\)\]:\s*$|"
            r"press the enter key\):\s*$")
#: A route lookup that found nothing (VRP and Comware print a zero count, or nothing).
_NO_ROUTE = re.compile(r"^\s*Summary\s+count\s*:\s*0\s*$", re.MULTILINE | re.IGNORECASE)
#: Lines with which VRP and Comware refuse a command.
_REFUSED = re.compile(r"^\s*(Error:|% |Failed to)", re.MULTILINE)


class VendorDriver:
    """One CLI session on a VRP or Comware device (Netmiko)."""

    platform = ""
    #: The user-view prompt's end and the system-view prompt's end.
    _USER, _SYSTEM = ">", "]"

    def __init__(self, name: str, host: str, creds: Credentials, timeout: float = 60,
                 port: int = 22, device_type: str = "", flavour: str = ""):
        self.name = name
        self.host = host
        self.port = port
        self.device_type = device_type or self.default_device_type
        #: The CLI where one Netmiko type serves two (the model table's `flavour`, e.g.
        #: "comware5"); "" : the one the Netmiko type names.
        self.flavour = flavour
        self._params = netmiko_params(host, self.device_type, creds, port)
        self._timeout = timeout
        self._conn: Any = None
        self._prompt = r"[>\]]\s*$"
        self._system = False  # the session is in system view (or below)
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
        """Leave system view (discarding anything uncommitted), log out, disconnect quietly.
        Netmiko's own cleanup probes the view by timing (see the module doc); this session's
        view is known, so its cleanup only sends `quit`."""
        conn = self._conn
        if conn is None:
            return
        try:
            if self._system:
                self.to_user_view()
        except Exception:  # noqa: BLE001 - closing must never fail a rollout
            pass
        try:
            conn.cleanup = lambda command="quit": conn.write_channel(command + conn.RETURN)
            conn.disconnect()
        except Exception:  # noqa: BLE001
            pass
        self._conn = None

    def send(self, command: str) -> str:
        """One command in the current view; its output without the echo and the prompt
        (DeviceError when the session fails)."""
        text = self._exchange(command, self._prompt)
        lines = text.split("\n")
        return "\n".join(lines[:-1]).rstrip() if re.search(self._prompt, lines[-1]) else text

    def ask(self, command: str, answer: str = "y") -> str:
        """A command that may ask a question: answer it, return everything printed (the
        prompt included)."""
        until = rf"{QUESTION}|{self._prompt}"
        text = self._exchange(command, until)
        while re.search(QUESTION, text.rstrip().splitlines()[-1] if text.strip() else ""):
            reply = "" if "press the enter key" in text.splitlines()[-1] else answer
            text += self._exchange(reply, until)
        return text

    def _exchange(self, command: str, until: str) -> str:
        """Type `command`, read its echo, then up to `until` at the end of the output; what
        came after the echo. Whatever the device printed before the echo is dropped: Netmiko's
        Comware class reads without waiting for echoes, and on a busy box a prompt left over
        from its login could otherwise end the next read early, so that every later command
        gets the output of the one before it (seen at 64 sessions on a loaded machine)."""
        conn = self._conn
        try:
            conn.read_channel()  # late output of what came before
            conn.write_channel(conn.normalize_cmd(command))
            echo = re.escape(command.strip())
            text = self._read_until(rf"{echo}[^\n]*\n[\s\S]*?(?:{until})" if echo
                                    else rf"\n[\s\S]*?(?:{until})", until)
        except DeviceError:
            raise
        except Exception as exc:
            raise DeviceError(self.name, f"{command!r} failed: {_first(exc)}") from exc
        m = re.search(rf"{echo}[^\n]*\n" if echo else r"\n", text)
        return text[m.end():] if m else text

    def system_view(self) -> str:
        """Enter system view (if the session is not there already)."""
        if self._system:
            return ""
        text = self.send("system-view")
        if refusal(text):
            raise DeviceError(self.name, f"cannot enter system view: {refusal(text)}")
        self._system = True
        return text

    def configure(self, lines: list[str]) -> str:
        """Enter system-view and type `lines`, each read up to the next prompt (a question a
        line asks, such as `undo bgp`'s, is answered Y: it confirms what the line asked for);
        DeviceError naming the first refused line, after which nothing more is typed. Leaves
        the session in system-view.

        Not Netmiko's `send_config_set`: with `cmd_verify` it matches each command's echo,
        which Comware breaks by wrapping long lines (so `hp_comware` turns it off), and
        without it it waits for 2 s of silence."""
        output = [self.system_view()]
        conn = self._conn
        until = rf"{QUESTION}|{self._prompt}"
        for line in lines:
            try:
                conn.write_channel(conn.normalize_cmd(line))
                text = self._read_until(until, until)
                while re.search(QUESTION, text.rstrip().rsplit("\n", 1)[-1]):
                    conn.write_channel(conn.normalize_cmd("y"))
                    text += self._read_until(until, until)
            except DeviceError:
                raise
            except Exception as exc:
                raise DeviceError(self.name, f"configuration failed at {line.strip()!r}: "
                                  f"{_first(exc)}") from exc
            output.append(text)
            refused = refusal(text)
            if refused:
                raise DeviceError(self.name, f"rejected: {refused} (at {line.strip()!r})")
        return "".join(output)

    def _read_until(self, pattern: str, end: str = "") -> str:
        """Read until `pattern` ends what the device printed; DeviceError when the session
        closes or the device stays silent for the driver's timeout. `end` (a prompt or
        question, anchored at the end) is tried on the last 512 characters first, so a
        display of thousands of lines is searched once, not once per chunk read; between
        chunks the session waits on the channel (select) rather than polling it."""
        conn, text = self._conn, ""
        deadline = time.monotonic() + self._timeout
        whole, tail = re.compile(pattern), re.compile(end) if end else None
        while True:
            chunk = conn.read_channel()
            if chunk:
                text += chunk
                if (tail is None or tail.search(text[-512:])) and whole.search(text):
                    return text
                continue
            channel = conn.remote_conn
            if channel is None or channel.closed or channel.eof_received:
                raise DeviceError(self.name, "the device closed the session")
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeviceError(self.name, f"no prompt within {self._timeout:.0f} s")
            try:
                select.select([channel], [], [], min(left, 0.5))
            except (OSError, ValueError, TypeError):  # not a selectable channel (tests' fakes)
                time.sleep(0.002)

    def to_user_view(self) -> str:
        """`return` to the user view (answering N when asked to commit what is pending)."""
        text = self.ask("return", "n")
        self._system = False
        return text

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

    def get_state(self, prefixes: Collection[str] | None = None) -> DeviceState:
        """Neighbours and routes from the platform's `display` commands, parsed by TextFSM. A
        protocol that is not configured prints nothing: that part stays empty. With
        `prefixes` (the routes the caller checks), each is looked up on its own (`display ip
        routing-table ADDRESS LENGTH`) instead of reading the whole table: a town of a
        province holds thousands of routes, 2.7 MB of output per read. The commands are
        those of the device's CLI flavour (`parse.displays_of`: Comware 5 asks its own BGP
        displays)."""
        from govops.network.parse import UnreadableOutput, displays_of, read_state

        outputs, looked = {}, []
        for display in displays_of(self.platform, self.flavour):
            if prefixes is not None and display.lookup:
                fam = 4 if display.feeds == "routes4" else 6
                for prefix in sorted(prefixes):
                    net = ipaddress.ip_network(prefix, strict=False)
                    if net.version != fam:
                        continue
                    text = self.send(display.lookup.format(address=net.network_address,
                                                           length=net.prefixlen))
                    if text.strip() and not _NO_ROUTE.search(text):
                        looked.append((display.command, text))
                continue
            text = self.send(display.command)
            if text.strip():
                outputs[display.command] = text
        try:
            state = read_state(self.platform, outputs, source=self.name, flavour=self.flavour)
            for command, text in looked:
                part = read_state(self.platform, {command: text}, source=self.name,
                                  flavour=self.flavour)
                state.routes4 |= part.routes4
                state.routes6 |= part.routes6
            return state
        except UnreadableOutput as exc:
            raise DeviceError(self.name, str(exc)) from exc

    def adopt(self, pending: dict[str, Any]) -> None:
        """Take over a safety net an earlier session armed (what its `trial` journal event
        recorded), so that `confirm()` and `abort()` act on it."""
        self.pending = dict(pending)

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
