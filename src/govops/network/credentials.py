"""How govops logs in to devices: secrets from the environment (or the lab), host keys checked.

Order: `GOVOPS_NET_USERNAME` + the password (+ `GOVOPS_KNOWN_HOSTS`, required with them) from
the environment — the password as `GOVOPS_NET_PASSWORD`, or by reference in
`GOVOPS_NET_PASSWORD_REF` (`env:NAME`, `file:PATH` of a mode-600 file, `vault:PATH#KEY` of an
ansible-vault file: `govops.secrets`) — else the lab's generated credentials and known_hosts
under `GOVOPS_LAB_DIR` (default `.lab`). Nothing secret is logged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govops.errors import BadInput
from govops.paths import lab_dir


@dataclass(frozen=True)
class Credentials:
    """A login and the known_hosts file that pins device host keys."""

    username: str
    password: str = field(repr=False)
    known_hosts: Path


def load_credentials() -> Credentials:
    """Credentials from the environment, else from the lab; BadInput naming what to set."""
    from govops.secrets import from_env

    user = os.environ.get("GOVOPS_NET_USERNAME")
    password = from_env("GOVOPS_NET_PASSWORD", "GOVOPS_NET_PASSWORD_REF", "device password")
    if user and not password:
        raise BadInput("GOVOPS_NET_USERNAME is set but no password: set GOVOPS_NET_PASSWORD_REF "
                       "(env:NAME, file:PATH or vault:PATH#KEY) or GOVOPS_NET_PASSWORD")
    if user and password:
        known = os.environ.get("GOVOPS_KNOWN_HOSTS")
        if not known or not Path(known).is_file():
            raise BadInput("GOVOPS_KNOWN_HOSTS must name a known_hosts file with the devices' host "
                           "keys (host-key checking stays on)")
        return Credentials(user, password, Path(known))
    lab = lab_dir() / "routers"
    creds, known = lab / "credentials.json", lab / "known_hosts"
    if creds.is_file() and known.is_file():
        data = json.loads(creds.read_text())
        return Credentials(data["username"], data["password"], known)
    raise BadInput("no device credentials: set GOVOPS_NET_USERNAME, GOVOPS_NET_PASSWORD_REF (or "
                   "GOVOPS_NET_PASSWORD) and GOVOPS_KNOWN_HOSTS, or bring the lab up with govops "
                   "lab up")


def netmiko_params(host: str, device_type: str, creds: Credentials) -> dict[str, Any]:
    """ConnectHandler kwargs: password login, host key must match `creds.known_hosts`."""
    return {
        "device_type": device_type,
        "host": host,
        "port": 22,
        "username": creds.username,
        "password": creds.password,
        "ssh_strict": True,
        "system_host_keys": False,
        "alt_host_keys": True,
        "alt_key_file": str(creds.known_hosts),
        "use_keys": False,
        "allow_agent": False,
        "ssh_config_file": None,
        "conn_timeout": 8,
        "auth_timeout": 8,
        "banner_timeout": 8,
    }
