"""The lab's state directory: layout, intent journal, lock and credentials.

Every thing the lab creates outside its state directory (a namespace, a veth, a user) is first
written to `journal.jsonl` (one JSON object a line, fsync'd) and only then created, so
`teardown` can remove it even when `build` died half-way. Everything else the lab writes lives
under the state directory and goes with it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from govops.lab import statefiles
from govops.lab.errors import LabError


@dataclass(frozen=True)
class Layout:
    """Where each file of a lab lives, below `state_dir`."""

    state_dir: Path

    @property
    def journal(self) -> Path:
        return self.state_dir / "journal.jsonl"

    @property
    def lab_json(self) -> Path:
        return self.state_dir / "lab.json"

    @property
    def credentials(self) -> Path:
        return self.state_dir / "credentials.json"

    @property
    def known_hosts(self) -> Path:
        return self.state_dir / "known_hosts"

    @property
    def lock(self) -> Path:
        return self.state_dir / ".lock"

    def router_dir(self, name: str) -> Path:
        """`routers/NAME/` with `etc/` (over /etc/frr), `run/` (over /var/run/frr), `ssh/`,
        `acct/` (over the login accounting files) and `start.log`."""
        return self.state_dir / "routers" / name

    def is_lab(self) -> bool:
        """True when the directory holds a lab's journal or description."""
        return self.journal.exists() or self.lab_json.exists()


def host_ifname(state_dir: Path, router: str) -> str:
    """Root-namespace name of `router`'s management veth: `gvm` + 10 hex digits of a hash of
    the state directory and router name (13 characters, stable, distinct across labs)."""
    digest = hashlib.sha256(f"{Path(state_dir).resolve()}\0{router}".encode()).hexdigest()
    return f"gvm{digest[:10]}"


def default_login_user(state_dir: Path) -> str:
    """`govlab-` + 6 hex digits of a hash of the state directory."""
    digest = hashlib.sha256(str(Path(state_dir).resolve()).encode()).hexdigest()
    return f"govlab-{digest[:6]}"


@contextlib.contextmanager
def locked(layout: Layout) -> Iterator[None]:
    """Hold an exclusive lock on the router lab's state directory, or fail at once."""
    with statefiles.locked(layout.lock, f"lab {layout.state_dir} is busy (a build or teardown)"):
        yield


def load_or_create_credentials(layout: Layout, username: str) -> dict[str, str]:
    """The lab's login (generated once, kept in `credentials.json`, mode 600)."""
    path = layout.credentials
    if path.exists():
        data = json.loads(path.read_text())
        if data.get("username") == username and data.get("password"):
            return {"username": data["username"], "password": data["password"]}
    data = {"username": username, "password": secrets.token_urlsafe(18)}
    write_private(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return data


def load_credentials(layout: Layout) -> dict[str, str]:
    try:
        data = json.loads(layout.credentials.read_text())
    except FileNotFoundError:
        raise LabError(
            f"no lab credentials at {layout.credentials}: run build() for this lab first"
        ) from None
    return {"username": data["username"], "password": data["password"]}


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` atomically with mode 600."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode())
        os.fchmod(fd, 0o600)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
