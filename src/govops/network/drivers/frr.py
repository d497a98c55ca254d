"""FRR through vtysh over SSH (Netmiko `cisco_ios`): the lab's routers, and FRR boxes anywhere."""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Collection
from typing import Any

from govops.network.credentials import Credentials, netmiko_params
from govops.network.drivers.base import Daemon, DeviceError, DeviceState, Neighbor

# paramiko's transport thread logs a traceback for every refused or silent connection; the
# driver turns those into one DeviceError line, so keep paramiko's own output quiet.
_PARAMIKO = logging.getLogger("paramiko")
_PARAMIKO.addHandler(logging.NullHandler())
_PARAMIKO.propagate = False

#: The routing daemons behind vtysh, as zebra names its clients.
ZEBRA_CLIENTS = {"static": "staticd", "bfd": "bfdd", "ospf": "ospfd", "ospf6": "ospf6d",
                 "bgp": "bgpd"}
#: Lines vtysh prints when it refuses a command.
_REJECTED = ("% Unknown command", "% Invalid", "% Ambiguous", "% Command incomplete",
             "% Configuration failed", "% Malformed", "% Can't", "% Unable", "% There is no")


class FrrDriver:
    """One vtysh session on one FRR router."""

    platform = "frr"

    def __init__(self, name: str, host: str, creds: Credentials, timeout: float = 30,
                 port: int = 22, device_type: str = "cisco_ios"):
        self.name = name
        self.host = host
        self._params = netmiko_params(host, device_type, creds, port)
        self._timeout = timeout
        self._conn: Any = None

    def open(self) -> None:
        """Connect; unreachable hosts, refused logins and unknown host keys raise DeviceError."""
        from netmiko import ConnectHandler
        from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

        try:
            self._conn = ConnectHandler(**self._params)
        except NetmikoAuthenticationException as exc:
            raise DeviceError(self.name, f"login refused at {self.host}: check the credentials",
                              unreachable=True) from exc
        except NetmikoTimeoutException as exc:
            raise DeviceError(self.name, f"unreachable at {self.host}: is it up?",
                              unreachable=True) from exc
        except Exception as exc:  # paramiko: host key mismatch, socket errors
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DeviceError(self.name, f"cannot connect to {self.host}: {reason}",
                              unreachable=True) from exc

    def close(self) -> None:
        """Disconnect quietly."""
        if self._conn is not None:
            try:
                self._conn.disconnect()
            except Exception:  # noqa: BLE001 - closing must never fail a rollout
                pass
            self._conn = None

    def _send(self, command: str) -> str:
        try:
            return self._conn.send_command(command, read_timeout=self._timeout)
        except Exception as exc:
            raise DeviceError(self.name, f"{command!r} failed: {exc}") from exc

    def get_running(self) -> str:
        """`show running-config`."""
        return self._send("show running-config")

    def apply(self, lines: list[str]) -> str:
        """Send `lines` in configuration mode, then `write memory`; any refusal raises."""
        if not lines:
            return ""
        try:
            output = self._conn.send_config_set(lines, cmd_verify=False, read_timeout=self._timeout)
        except Exception as exc:
            raise DeviceError(self.name, f"configuration failed: {exc}") from exc
        refused = [ln.strip() for ln in output.splitlines() if ln.strip().startswith(_REJECTED)]
        if refused:
            raise DeviceError(self.name, f"rejected: {refused[0]}")
        self._send("write memory")
        return output

    def _json(self, command: str, attempts: int = 3) -> dict:
        """Parse a show command's JSON; vtysh may interleave a log line, so the JSON body is
        cut out of the text, and a garbled answer is asked for again."""
        for attempt in range(attempts):
            text = self._send(command)
            starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
            if not starts:
                return {}
            body = text[min(starts):max(text.rfind("}"), text.rfind("]")) + 1]
            try:
                return json.loads(body)
            except json.JSONDecodeError as exc:
                if attempt == attempts - 1:
                    raise DeviceError(self.name, f"{command!r} did not answer JSON") from exc
        return {}

    def get_daemons(self) -> list[Daemon]:
        """Routing daemons and the age of their zebra sessions (`show zebra client summary`)."""
        return parse_zebra_clients(self._send("show zebra client summary"))

    def get_state(self, prefixes: Collection[str] | None = None) -> DeviceState:
        """Parse OSPF, OSPFv3, BGP and BFD neighbours and the IPv4/IPv6 routing tables (the
        whole tables: a lab router's are small, so `prefixes` is not needed)."""
        return parse_state(
            ospf=self._json("show ip ospf neighbor json"),
            ospf6=self._json("show ipv6 ospf6 neighbor json"),
            bgp=self._json("show bgp summary json"),
            bfd=self._json("show bfd peers json"),
            routes4=self._json("show ip route json"),
            routes6=self._json("show ipv6 route json"),
        )


def parse_zebra_clients(text: str) -> list[Daemon]:
    """`show zebra client summary` → each routing daemon, up (connected to zebra) or not, with
    the age of its zebra session: a daemon restarts with a fresh session."""
    ages: dict[str, float] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] in ZEBRA_CLIENTS:
            age = uptime_seconds(fields[1])
            if age is not None:
                ages[ZEBRA_CLIENTS[fields[0]]] = age
    return [Daemon(name=d, up=d in ages, uptime_s=ages.get(d)) for d in ZEBRA_CLIENTS.values()]


def uptime_seconds(text: str) -> float | None:
    """FRR's uptime forms: `01:02:03`, `2d03h04m`, `1w2d03h`; None when unreadable."""
    if text.count(":") == 2:
        h, m, s = text.split(":")
        return int(h) * 3600 + int(m) * 60 + int(s) if (h + m + s).isdigit() else None
    units = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
    total, number = 0, ""
    for ch in text:
        if ch.isdigit():
            number += ch
        elif ch in units and number:
            total, number = total + int(number) * units[ch], ""
        else:
            return None
    return float(total) if not number else None


def _ospf(data: dict) -> list[Neighbor]:
    out = []
    for router_id, entries in (data.get("neighbors") or {}).items():
        for entry in entries if isinstance(entries, list) else [entries]:
            state = str(entry.get("nbrState") or entry.get("state") or "")
            iface = str(entry.get("ifaceName") or "").split(":")[0]
            out.append(Neighbor(peer=router_id, interface=iface, state=state,
                                up=state.startswith("Full")))
    return out


def _ospf6(data: dict) -> list[Neighbor]:
    out = []
    for entry in data.get("neighbors") or []:
        state = str(entry.get("state") or "")
        out.append(Neighbor(peer=str(entry.get("neighborId", "")),
                            interface=str(entry.get("interfaceName", "")), state=state,
                            up=state == "Full"))
    return out


def _bgp(data: dict) -> list[Neighbor]:
    out: dict[str, Neighbor] = {}
    for family in data.values():
        if not isinstance(family, dict):
            continue
        for peer, info in (family.get("peers") or {}).items():
            state = str(info.get("state", ""))
            known = out.get(peer)
            up = state == "Established" and (known.up if known else True)
            out[peer] = Neighbor(peer=peer, state=state if not known or known.up else known.state,
                                 up=up)
    return list(out.values())


def _bfd(data: Any) -> list[Neighbor]:
    peers = data if isinstance(data, list) else data.get("peers", []) if isinstance(data, dict) else []
    return [Neighbor(peer=str(p.get("peer", "")), interface=str(p.get("interface", "")),
                     state=str(p.get("status", "")), up=p.get("status") == "up") for p in peers]


def _routes(data: dict) -> set[str]:
    prefixes = set()
    for prefix, entries in data.items():
        if any(e.get("selected") or e.get("installed") for e in entries or []):
            prefixes.add(str(ipaddress.ip_network(prefix)))
    return prefixes


def parse_state(*, ospf: dict, ospf6: dict, bgp: dict, bfd: Any, routes4: dict,
                routes6: dict) -> DeviceState:
    """DeviceState from FRR's JSON show outputs (recorded outputs feed the same function)."""
    return DeviceState(ospf=_ospf(ospf), ospf6=_ospf6(ospf6), bgp=_bgp(bgp), bfd=_bfd(bfd),
                       routes4=_routes(routes4), routes6=_routes(routes6))
