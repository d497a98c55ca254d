"""sshd per router: its config, host key, the vtysh login user and the lab's known_hosts."""

from __future__ import annotations

import ipaddress
import pwd
from collections.abc import Mapping
from pathlib import Path

from govops.lab.errors import LabError
from govops.lab.frr import VTYSH
from govops.lab.netns import run

SSHD = Path("/usr/sbin/sshd")


def check_installed() -> None:
    if not SSHD.exists():
        raise LabError(
            "sshd is not installed: apt-get install -y --no-install-recommends openssh-server"
        )


def ssh_dir(rdir: Path) -> Path:
    return rdir / "ssh"


def host_key(rdir: Path) -> Path:
    return ssh_dir(rdir) / "ssh_host_ed25519_key"


def pidfile(rdir: Path) -> Path:
    return ssh_dir(rdir) / "sshd.pid"


def config_path(rdir: Path) -> Path:
    return ssh_dir(rdir) / "sshd_config"


def sshd_argv(rdir: Path) -> list[str]:
    return [str(SSHD), "-f", str(config_path(rdir)), "-E", str(ssh_dir(rdir) / "sshd.log")]


def prepare(rdir: Path, router: str, mgmt_ipv4: str, user: str) -> None:
    """Generate the router's host key once and (re)write its sshd_config."""
    d = ssh_dir(rdir)
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = host_key(rdir)
    if not key.exists() or not key.with_suffix(".pub").exists():
        key.unlink(missing_ok=True)
        key.with_suffix(".pub").unlink(missing_ok=True)
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", router, "-f", str(key)])
    address = ipaddress.IPv4Interface(mgmt_ipv4).ip
    config = f"""\
# sshd for lab router {router}; written by govops.lab, do not edit
Port 22
ListenAddress {address}
HostKey {key}
PidFile {pidfile(rdir)}
AllowUsers {user}
PermitRootLogin no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
AuthorizedKeysFile none
UsePAM no
PermitEmptyPasswords no
UseDNS no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
PrintMotd no
PrintLastLog no
MaxStartups 64:30:128
MaxSessions 16
LoginGraceTime 30
LogLevel INFO
"""
    cfg = config_path(rdir)
    if not cfg.exists() or cfg.read_text() != config:
        cfg.write_text(config)


def known_hosts_line(rdir: Path, mgmt_ipv4: str) -> str:
    """`IP keytype key` for the router's host key (port 22: no brackets)."""
    keytype, b64 = host_key(rdir).with_suffix(".pub").read_text().split()[:2]
    return f"{ipaddress.IPv4Interface(mgmt_ipv4).ip} {keytype} {b64}"


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def create_user(name: str) -> None:
    """A system user whose login shell is vtysh, in group frrvty (so vtysh may talk to the
    daemons and save the integrated config)."""
    run(
        ["useradd", "--system", "--no-create-home", "--home-dir", "/", "--shell", str(VTYSH),
         "--user-group", "--groups", "frrvty", "--comment", "govops lab router login", name]
    )


def set_password(name: str, password: str) -> None:
    run(["chpasswd"], input=f"{name}:{password}\n")


def delete_user(name: str) -> bool:
    if not user_exists(name):
        return False
    run(["userdel", name])
    return True


def write_known_hosts(path: Path, lines: Mapping[str, str]) -> None:
    """Write one line per router (sorted by router name)."""
    from govops.lab.statefiles import write_atomic

    write_atomic(path, "".join(lines[k] + "\n" for k in sorted(lines)), 0o644)
