"""IPAM: pools as integers, pinned allocations, stability, pruning, no overlaps."""

from __future__ import annotations

import ipaddress
import shutil
from pathlib import Path

import pytest

from govops.estate import lockfile
from govops.estate.ipam import PoolPlan, allocate_prefixes
from govops.estate.loader import load_estate


def test_pool_blocks_and_alignment() -> None:
    plan = PoolPlan.parse("p2p-v6", "2001:db8:0:2::/64", 127)
    assert plan.prefix_at(3) == "2001:db8:0:2::6/127"
    assert plan.index_of("2001:db8:0:2::6/127") == 3
    with pytest.raises(ValueError, match="not aligned"):
        plan.index_of("2001:db8:0:2::7/127")
    with pytest.raises(ValueError, match="outside"):
        plan.index_of("2001:db8:0:3::/127")


def test_host_pools_skip_the_zero_address() -> None:
    plan = PoolPlan.parse("loopback-v4", "198.18.0.0/30", 32)
    result, new, _, issues = allocate_prefixes(plan, ["a", "b", "c"], {}, prune=False)
    assert result == {"a": "198.18.0.1/32", "b": "198.18.0.2/32", "c": "198.18.0.3/32"}
    assert (new, issues) == (3, [])
    _, _, _, issues = allocate_prefixes(plan, ["a", "b", "c", "d"], {}, prune=False)
    assert issues and 'pool "loopback-v4"' in str(issues[0]) and "exhausted" in str(issues[0])


def test_locked_keys_keep_their_blocks_and_new_keys_fill_gaps() -> None:
    plan = PoolPlan.parse("lan-town-v4", "198.19.0.0/24", 28)
    locked = {"b": "198.19.0.16/28", "d": "198.19.0.48/28"}
    result, new, stale, _ = allocate_prefixes(plan, ["a", "b", "c", "d"], locked, prune=False)
    assert result["b"] == locked["b"] and result["d"] == locked["d"]
    assert result["a"] == "198.19.0.0/28" and result["c"] == "198.19.0.32/28"
    assert (new, stale) == (2, [])


def test_lock_entry_overlap_is_reported() -> None:
    plan = PoolPlan.parse("lan-town-v4", "198.19.0.0/24", 28)
    _, _, _, issues = allocate_prefixes(plan, ["a", "b"], {"a": "198.19.0.16/28",
                                                          "b": "198.19.0.16/28"}, prune=False)
    assert any("overlap" in str(i) and i.key == "b" for i in issues)


def _all_prefixes(estate) -> dict[tuple[str, str], str]:
    return {(pool, key): prefix for pool, entries in estate.allocation.prefixes.items()
            for key, prefix in entries.items()}


def test_lock_is_stable_when_a_town_is_added(guangdong: Path, tmp_path: Path) -> None:
    est = tmp_path / "gd"
    shutil.copytree(guangdong, est)
    before = load_estate(est)
    old = _all_prefixes(before)
    old_ports = {k: dict(v) for k, v in before.allocation.ports.items()}
    network = est / "network.yaml"
    text = network.read_text()
    # a new town in the first county of the first city, appended to the nodes list
    new_town = ("  - {name: guangzhou-c01-t99, level: town, platform: huawei_vrp, city: guangzhou, "
                "county: guangzhou-c01, uplinks: [guangzhou-c01-1, guangzhou-c01-2]}\n")
    network.write_text(text.replace("links:\n", new_town + "links:\n", 1))
    after = load_estate(est)
    assert sum(after.allocation.new.values()) > 0
    lockfile.write(Path(after.lock_path), after.allocation)
    relocked = load_estate(est)
    now = _all_prefixes(relocked)
    assert {k: now[k] for k in old} == old, "an existing allocation moved"
    assert set(now) - set(old) == {
        (p, k) for p in ("loopback-v4", "loopback-v6", "mgmt-v4", "mgmt-v6",
                         "lan-town-v4", "lan-town-v6")
        for k in ["guangzhou-c01-t99"]} | {
        (p, f"guangzhou-c01-{n}~guangzhou-c01-t99") for p in ("p2p-v4", "p2p-v6") for n in (1, 2)}
    for node, ports in old_ports.items():
        assert {k: relocked.allocation.ports[node][k] for k in ports} == ports
    assert sum(relocked.allocation.new.values()) == 0


def test_removed_town_is_freed_only_with_prune(lab_copy: Path) -> None:
    lockfile.write(lab_copy / lockfile.LOCK_NAME, load_estate(lab_copy).allocation)
    network = lab_copy / "network.yaml"
    lines = [ln for ln in network.read_text().splitlines(keepends=True)
             if "town-shunde-b" not in ln]
    network.write_text("".join(lines))
    kept = load_estate(lab_copy)
    assert kept.prefix("loopback-v6", "town-shunde-b") is not None
    assert "town-shunde-b" in kept.allocation.stale["loopback-v6"]
    pruned = load_estate(lab_copy, prune=True)
    assert pruned.prefix("loopback-v6", "town-shunde-b") is None
    lockfile.write(lab_copy / lockfile.LOCK_NAME, pruned.allocation)
    assert "town-shunde-b" not in (lab_copy / lockfile.LOCK_NAME).read_text()


def test_no_overlaps_across_the_whole_guangdong_estate(guangdong: Path) -> None:
    estate = load_estate(guangdong)
    spans: dict[int, list[tuple[int, int, str]]] = {4: [], 6: []}
    for (pool, key), prefix in _all_prefixes(estate).items():
        net = ipaddress.ip_network(prefix)
        spans[net.version].append((int(net.network_address), int(net.broadcast_address),
                                   f"{pool}:{key}"))
    total = 0
    for items in spans.values():
        items.sort()
        total += len(items)
        for (_, end, who), (start, _, other) in zip(items, items[1:], strict=False):
            assert start > end, f"{who} overlaps {other}"
    assert total > 15000


def test_every_link_and_loopback_is_dual_stack(guangdong: Path) -> None:
    estate = load_estate(guangdong)
    for pool4, pool6 in (("loopback-v4", "loopback-v6"), ("p2p-v4", "p2p-v6"),
                         ("lan-town-v4", "lan-town-v6"), ("lan-county-v4", "lan-county-v6")):
        assert set(estate.allocation.prefixes[pool4]) == set(estate.allocation.prefixes[pool6])
    # one logical link per plane per physical link (VRF-lite), each with its own addresses
    assert len(estate.allocation.prefixes["p2p-v6"]) == sum(len(link.planes)
                                                            for link in estate.links)


def test_corrupt_lock_entry_is_located(lab_copy: Path) -> None:
    lock = lab_copy / lockfile.LOCK_NAME
    lockfile.write(lock, load_estate(lab_copy).allocation)
    text = lock.read_text()
    first = text.split("loopback-v4:\n", 1)[1].splitlines()[0]
    key = first.split(":")[0].strip()
    lock.write_text(text.replace(first, f"    {key}: 203.0.113.1/32", 1))
    from govops.estate.errors import EstateError

    with pytest.raises(EstateError) as caught:
        load_estate(lab_copy)
    p = caught.value.problems[0]
    assert p.file.endswith("ipam.lock.yaml") and "outside the pool" in p.message and key in p.message
    assert lock.read_text().splitlines()[p.line - 1].strip().startswith(key)
