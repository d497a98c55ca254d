"""How govops logs in to devices: secrets from the environment (or the lab), host keys checked.

Order: `GOVOPS_NET_USERNAME` + the password (+ `GOVOPS_KNOWN_HOSTS`, required with them) from
the environment — the password as `GOVOPS_NET_PASSWORD`, or by reference in
`GOVOPS_NET_PASSWORD_REF` (`env:NAME`, `file:PATH` of a mode-600 file, `vault:PATH#KEY` of an
ansible-vault file: `govops.secrets`) — else the lab's generated credentials and known_hosts
under `GOVOPS_LAB_DIR` (default `.lab`): the FRR routers' (`routers/`), else the simulated
devices' (`sim/`). Nothing secret is logged.

Where a device listens: its management address, port 22, unless an address book says
otherwise (`GOVOPS_NET_ADDRESSES`, a JSON file `{device: {"host": …, "port": …}}`, else the
simulated lab's `sim/addresses.json`), as Ansible's `ansible_host`/`ansible_port` do.
"""

from __future__ import annotations

import json
import os
import threading
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
    found = [(lab / "credentials.json", lab / "known_hosts")
             for lab in (lab_dir() / "routers", lab_dir() / "sim")
             if (lab / "credentials.json").is_file() and (lab / "known_hosts").is_file()]
    if found:
        data = json.loads(found[0][0].read_text())
        known = found[0][1]
        if len(found) == 2 and json.loads(found[1][0].read_text()) == data:
            # both labs up with one login (lab up --simulated takes the routers'): one file
            # with both labs' host keys, host-key checking unchanged
            known = lab_dir() / "known_hosts.all"
            known.write_text(found[0][1].read_text() + found[1][1].read_text())
        return Credentials(data["username"], data["password"], known)
    raise BadInput("no device credentials: set GOVOPS_NET_USERNAME, GOVOPS_NET_PASSWORD_REF (or "
                   "GOVOPS_NET_PASSWORD) and GOVOPS_KNOWN_HOSTS, or bring the lab up with govops "
                   "lab up")


def address_book() -> dict[str, tuple[str, int]]:
    """Devices that do not listen on their management address and port 22: device → (host,
    port). BadInput (one line) when the file named by GOVOPS_NET_ADDRESSES is unreadable."""
    named = os.environ.get("GOVOPS_NET_ADDRESSES")
    path = Path(named) if named else lab_dir() / "sim" / "addresses.json"
    if not path.is_file():
        if named:
            raise BadInput(f"GOVOPS_NET_ADDRESSES={named}: no such file")
        return {}
    try:
        data = json.loads(path.read_text())
        return {name: (str(a["host"]), int(a.get("port", 22))) for name, a in data.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadInput(f"{path}: not an address book ({{device: {{host, port}}}}): {exc}") from None


_KNOWN: dict[tuple[str, float, int], dict[str, list[str]] | None] = {}
_KNOWN_DIR: list[Path] = []
_KNOWN_LOCK = threading.Lock()


def known_hosts_for(known_hosts: Path, host: str, port: int = 22) -> Path:
    """A known_hosts file holding only `host`'s entries (a private temporary file), or the
    whole file when it cannot be split (hashed names, patterns, markers).

    Paramiko loads a known_hosts file by checking every entry against every earlier one:
    quadratic in its entries, ≈2 s of CPU per login with a province's 1,894 devices. The host
    key is still checked, against the same entries."""
    try:
        st = known_hosts.stat()
    except OSError:
        return known_hosts
    with _KNOWN_LOCK:  # rollout workers log in from threads
        return _known_hosts_for(known_hosts, (str(known_hosts), st.st_mtime, st.st_size),
                                host, port)


def _known_hosts_for(known_hosts: Path, key: tuple[str, float, int], host: str,
                     port: int) -> Path:
    import atexit
    import shutil
    import tempfile

    if key not in _KNOWN:
        index: dict[str, list[str]] | None = {}
        for line in known_hosts.read_text().splitlines():
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            if words[0].startswith(("@", "|")) or any(c in words[0] for c in "*?!"):
                index = None  # markers, hashed names, patterns: paramiko must read it all
                break
            for name in words[0].split(","):
                index.setdefault(name, []).append(line)
        _KNOWN[key] = index
    index = _KNOWN[key]
    name = host if port == 22 else f"[{host}]:{port}"
    if index is None or name not in index:
        return known_hosts
    if not _KNOWN_DIR:
        _KNOWN_DIR.append(Path(tempfile.mkdtemp(prefix="govops-known-hosts-")))
        atexit.register(shutil.rmtree, _KNOWN_DIR[0], True)
    path = _KNOWN_DIR[0] / f"{len(_KNOWN)}-{name.replace(':', '_').replace('/', '_')}"
    if not path.exists():
        path.write_text("\n".join(index[name]) + "\n")
    return path


def netmiko_params(host: str, device_type: str, creds: Credentials, port: int = 22
                   ) -> dict[str, Any]:
    """ConnectHandler kwargs: password login, host key must match `creds.known_hosts` (read
    through `known_hosts_for`: only this host's entries)."""
    return {
        "device_type": device_type,
        "host": host,
        "port": port,
        "username": creds.username,
        "password": creds.password,
        "ssh_strict": True,
        "system_host_keys": False,
        "alt_host_keys": True,
        "alt_key_file": str(known_hosts_for(creds.known_hosts, host, port)),
        "use_keys": False,
        "allow_agent": False,
        "ssh_config_file": None,
        "conn_timeout": 8,
        "auth_timeout": 8,
        "banner_timeout": 8,
    }
