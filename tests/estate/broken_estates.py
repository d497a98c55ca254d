"""A corpus of broken estates: each case is one mistake a person (or an editor) makes.

Every case is a function that breaks a fresh copy of the lab estate (`estate` is the estate
folder; the policy folder sits beside it). Named after the mistake; issue 15 found most.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

Case = Callable[[Path], None]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _append(path: Path, text: str | bytes) -> None:
    with path.open("ab") as handle:
        handle.write(text.encode("utf-8") if isinstance(text, str) else text)


NODE = "  - {name: prov-core-1, level: province, platform: frr, site: gz-main}\n"
TENANT_MLPS = "    mlps: 3\n"
LOCK_PORT = "    prov-core-1~egress-2: 2\n"

CASES: dict[str, Case] = {
    # silent loss (issue 15): duplicates, repeated sections, empty files and sections
    "duplicate-key": lambda e: _edit(e / "tenants.yaml", TENANT_MLPS, TENANT_MLPS + "    mlps: 1\n"),
    "duplicate-key-in-flow-mapping": lambda e: _edit(
        e / "tenants.yaml", "quotas: {vcpu: 128,", "quotas: {vcpu: 128, vcpu: 1,"),
    "duplicate-key-in-node": lambda e: _edit(
        e / "network.yaml", NODE, NODE.replace("site: gz-main}", "site: gz-main, site: gz-sec}")),
    "second-nodes-section": lambda e: _append(
        e / "network.yaml", "\nnodes:\n  - {name: extra-town, level: town, platform: frr}\n"),
    "second-sites-section": lambda e: _append(
        e / "sites.yaml", "sites:\n  - {name: x, role: primary, lat: 1, lon: 1}\n"),
    "singleton-in-two-files": lambda e: _append(e / "sites.yaml", "network: {asn: 65001}\n"),
    "empty-network-file": lambda e: (e / "network.yaml").write_text(""),
    "comments-only-tenants-file": lambda e: (e / "tenants.yaml").write_text("# nothing yet\n"),
    "empty-mapping-file": lambda e: (e / "hosts.yaml").write_text("{}\n"),
    "null-tenants-section": lambda e: (e / "tenants.yaml").write_text("tenants:\n"),
    "null-province-section": lambda e: _edit(
        e / "province.yaml", "province:\n", "province:\nprovince_old:\n"),
    "tenants-file-removed": lambda e: (e / "tenants.yaml").unlink(),
    # files that are not UTF-8 YAML text
    "gbk-comment": lambda e: _append(e / "tenants.yaml", "# 六安市人社局\n".encode("gbk")),
    "utf16-file": lambda e: (e / "sites.yaml").write_bytes(
        (e / "sites.yaml").read_text(encoding="utf-8").encode("utf-16")),
    "latin1-byte": lambda e: _append(e / "clouds.yaml", b"# caf\xe9\n"),
    "binary-file": lambda e: (e / "blob.yaml").write_bytes(b"\x7fELF\x02\x01\x01\x00" * 64),
    "huge-file": lambda e: _append(e / "hosts.yaml", "#" + "x" * 3_000_000 + "\n"),
    "folder-named-yaml": lambda e: (e / "more.yaml").mkdir(),
    "control-character": lambda e: _append(e / "clouds.yaml", "# bell \x07\n"),
    # symlinks
    "symlink-loop": lambda e: (e / "loop.yaml").symlink_to("loop.yaml"),
    "symlink-cycle": lambda e: ((e / "a.yaml").symlink_to("b.yaml"), (e / "b.yaml").symlink_to("a.yaml")),
    "dangling-symlink": lambda e: (e / "gone.yaml").symlink_to("nowhere.yaml"),
    "symlink-outside": lambda e: ((e.parent / "outside.yaml").write_text("hosts: []\n"),
                                  (e / "extra.yaml").symlink_to(e.parent / "outside.yaml")),
    # YAML that does not parse or construct
    "unclosed-bracket": lambda e: _edit(e / "sites.yaml", "lat: 23.13,", "lat: [23.13,"),
    "tab-indent": lambda e: _edit(e / "tenants.yaml", "    cloud: gd-gov\n", "\tcloud: gd-gov\n"),
    "python-tag": lambda e: _append(e / "hosts.yaml", "bad: !!python/object/apply:os.system [ls]\n"),
    "unhashable-key": lambda e: _append(e / "hosts.yaml", "? [a, b]\n: 1\n"),
    "too-deep": lambda e: _append(e / "hosts.yaml", "deep: " + "[" * 1100 + "]" * 1100 + "\n"),
    "top-level-list": lambda e: (e / "hosts.yaml").write_text("- a\n- b\n"),
    "top-level-scalar": lambda e: (e / "hosts.yaml").write_text("just text\n"),
    # malformed prefixes and addresses
    "malformed-v6-aggregate": lambda e: _edit(
        e / "province.yaml", "2001:db8::/32\n", "2001:db8::/33x\n"),
    "v4-aggregate-host-bits": lambda e: _edit(
        e / "province.yaml", "198.18.0.0/15\n", "198.18.0.1/15\n"),
    "v6-where-v4": lambda e: _edit(e / "province.yaml", "198.18.0.0/15\n", "2001:db8::/32\n"),
    "malformed-pool": lambda e: _edit(e / "province.yaml", "198.18.0.0/20,", "198.18.0.0/2x,"),
    "ntp-not-an-address": lambda e: _edit(e / "province.yaml", "198.18.16.123]", "ntp.example]"),
    # a damaged lock
    "lock-duplicate-port": lambda e: _edit(
        e / "ipam.lock.yaml", LOCK_PORT, LOCK_PORT.replace(": 2", ": 1")),
    "lock-duplicate-area": lambda e: _edit(e / "ipam.lock.yaml", "  fs: 2\n", "  fs: 1\n"),
    "lock-duplicate-key": lambda e: _edit(e / "ipam.lock.yaml", LOCK_PORT, LOCK_PORT * 2),
    "lock-wrong-version": lambda e: _edit(e / "ipam.lock.yaml", "version: 1", "version: 7"),
    "lock-port-not-a-number": lambda e: _edit(
        e / "ipam.lock.yaml", LOCK_PORT, LOCK_PORT.replace(": 2", ": two")),
    "lock-ports-a-list": lambda e: _edit(
        e / "ipam.lock.yaml", "ports:\n  prov-core-1:\n", "ports:\n  prov-core-1: [1, 2]\n  old:\n"),
    "lock-garbage-prefix": lambda e: _edit(
        e / "ipam.lock.yaml", "db-gz-main-1: 198.18.24.1/32", "db-gz-main-1: 198.18.24.1/3x"),
    "lock-gbk": lambda e: _append(e / "ipam.lock.yaml", "# 锁\n".encode("gbk")),
    # a policy table another tool saved in GBK
    "policy-gbk": lambda e: _append(e.parent / "policy" / "dr-levels.yaml", "# 灾备\n".encode("gbk")),
    # model mistakes that were already caught: still exit 2, located
    "unknown-section": lambda e: _append(e / "hosts.yaml", "hostz: []\n"),
    "mlps-not-a-number": lambda e: _edit(e / "tenants.yaml", TENANT_MLPS, "    mlps: three\n"),
    "unknown-level": lambda e: _edit(e / "network.yaml", "level: province, platform: frr, site: gz-main}",
                                     "level: provincial, platform: frr, site: gz-main}"),
    "uplink-to-unknown-node": lambda e: _edit(e / "network.yaml", "uplinks: [prov-core-1, prov-core-2]}",
                                              "uplinks: [prov-core-1, prov-core-9]}"),
    "latitude-out-of-range": lambda e: _edit(e / "sites.yaml", "lat: 23.13,", "lat: 223.13,"),
    "duplicate-node-name": lambda e: _edit(e / "network.yaml", NODE, NODE * 2),
    "integer-section-name": lambda e: _append(e / "hosts.yaml", "1: x\n"),
}

if os.geteuid() != 0:  # root reads any file: the case cannot be made there
    CASES["unreadable-file"] = lambda e: (e / "sites.yaml").chmod(0)
