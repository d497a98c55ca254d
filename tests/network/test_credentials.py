"""Where device logins find their host keys (govops.network.credentials)."""

from __future__ import annotations

from pathlib import Path

from govops.network.credentials import Credentials, known_hosts_for, netmiko_params


def test_a_login_reads_only_its_own_known_hosts_entries(tmp_path: Path) -> None:
    """Paramiko's loading is quadratic in the entries: a province's 1,894 cost ~2 s a login."""
    known = tmp_path / "known_hosts"
    known.write_text("".join(f"[127.0.1.{i}]:2222 ssh-ed25519 KEY{i}\n" for i in range(1, 50))
                     + "198.18.0.1,egress-1 ssh-ed25519 KEYE\n")
    one = known_hosts_for(known, "127.0.1.7", 2222)
    assert one != known and one.read_text() == "[127.0.1.7]:2222 ssh-ed25519 KEY7\n"
    assert known_hosts_for(known, "198.18.0.1").read_text() == "198.18.0.1,egress-1 ssh-ed25519 KEYE\n"
    assert known_hosts_for(known, "127.0.9.9", 2222) == known  # unknown: paramiko refuses it
    params = netmiko_params("127.0.1.7", "huawei", Credentials("u", "p", known), 2222)
    assert params["alt_key_file"] == str(one) and params["ssh_strict"]
    # hashed names or patterns cannot be split: the whole file
    known.write_text(known.read_text() + "|1|abc=|def= ssh-ed25519 KEYH\n")
    assert known_hosts_for(known, "127.0.1.7", 2222) == known
