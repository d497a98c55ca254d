"""The plane lab's description (ADR 0021), without building anything: which namespaces, veths,
daemons, management addresses and leak guards it asks for."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from govops.lab import frr
from govops.lab.errors import LabError
from govops.lab.planes import PLANE_DAEMONS, plane_lab_spec
from govops.lab.spec import LabSpec, RouterSpec, spec_from_dict, spec_to_dict, validate

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "gvp-"


@pytest.fixture(scope="module")
def estate():
    from govops.estate.loader import load_estate

    return load_estate(ROOT / "inventories" / "lab")


@pytest.fixture(scope="module")
def lab(estate):
    return plane_lab_spec(estate, Path("/nonexistent/planes"), netns_prefix=PREFIX,
                          mgmt_pool="198.19.248.0/24")


def test_every_router_and_twelve_isolated_instances(lab, estate) -> None:
    validate(lab.spec)
    names = [r.name for r in lab.spec.routers]
    instances = [n for n in names if "@" in n]
    assert names[:len(estate.nodes)] == list(estate.nodes)
    assert len(instances) == 12 and all(n.endswith("@isolated") for n in instances)
    for r in lab.spec.routers:
        assert r.namespace == PREFIX + r.name  # never a name of the full lab's
        assert r.frr_daemons == (PLANE_DAEMONS if "@" in r.name else frr.DAEMONS)
        assert r.hostname == r.name  # FRR shows the UTS hostname: the config's, `@` and all
    mgmt = [ipaddress.IPv4Interface(r.mgmt_ipv4) for r in lab.spec.routers]
    assert len(set(mgmt)) == 38 and all(m.ip in ipaddress.ip_network("198.19.248.0/24")
                                        for m in mgmt)


def test_one_veth_per_plane_link_named_like_the_port_and_the_leak(lab, estate) -> None:
    from govops.estate.views import node_view

    plane = [x for x in lab.spec.links if "@" in x.a and not x.a_ifname.startswith("leak")]
    assert len(plane) == 25
    for x in plane:  # each end is named like its router's physical port for that link
        ra, rb = x.a.split("@")[0], x.b.split("@")[0]
        link = next(lk for lk in estate.links if {lk.a, lk.b} == {ra, rb})
        ports = {n: next(i.name for i in node_view(estate, n).interfaces if i.link == link.id)
                 for n in (ra, rb)}
        assert (x.a_ifname, x.b_ifname) == (ports[ra], ports[rb])
    (leak,) = [x for x in lab.spec.links if x.a_ifname.startswith("leak")]
    assert (leak.a, leak.a_ifname, leak.b, leak.b_ifname) == (
        "prov-core-1@isolated", "leak0", "prov-core-1", "leak200")


def test_the_leak_guard_lets_out_only_the_declared_prefixes(lab) -> None:
    (guard,) = lab.guards
    assert (guard.router, guard.namespace, guard.ifname) == ("prov-core-1", PREFIX + "prov-core-1",
                                                             "leak200")
    rules = guard.ruleset()
    assert 'oifname "leak200" meta nfproto ipv4 ip saddr != { 198.18.0.1/32 } counter drop' in rules
    assert 'ip6 saddr != { 2001:db8::1/128 } counter drop' in rules
    assert "nd-neighbor-solicit" in rules  # the veth's own IPv6 addresses still resolve


def test_the_address_book_names_every_device(lab) -> None:
    book = lab.addresses()
    assert book["town-tianhe-a@isolated"]["host"] == str(
        ipaddress.IPv4Interface(lab.spec.routers[-2].mgmt_ipv4).ip)
    assert len(book) == 38 and {v["port"] for v in book.values()} == {22}


def test_a_pool_too_small_or_outside_the_lab_range_is_refused(estate) -> None:
    with pytest.raises(LabError, match="has 8 /31s; the lab needs 38"):
        plane_lab_spec(estate, Path("/x"), netns_prefix=PREFIX, mgmt_pool="198.19.248.0/28")
    with pytest.raises(LabError, match="must lie in 198.18.0.0/15"):
        plane_lab_spec(estate, Path("/x"), netns_prefix=PREFIX, mgmt_pool="10.0.0.0/24")


def test_a_recorded_lab_without_the_new_fields_reads_the_same(lab) -> None:
    plain = LabSpec(routers=(RouterSpec("a", "198.18.32.1/31", "198.18.32.0/31"),), links=(),
                    state_dir=Path("/x"))
    assert set(spec_to_dict(plain)["routers"][0]) == {"name", "mgmt_ipv4", "mgmt_host_ipv4"}
    assert spec_from_dict(spec_to_dict(lab.spec)) == lab.spec


def test_names_daemons_and_namespaces_are_checked() -> None:
    bad = LabSpec(routers=(
        RouterSpec("a@isolated", "198.18.32.1/31", "198.18.32.0/31", daemons=("ospfd",)),
        RouterSpec("b", "198.18.32.3/31", "198.18.32.2/31", netns="a@isolated"),
        RouterSpec("c@@x", "198.18.32.5/31", "198.18.32.4/31")), links=(), state_dir=Path("/x"))
    with pytest.raises(LabError) as caught:
        validate(bad)
    text = str(caught.value)
    assert "'a@isolated': daemons must be FRR's" in text
    assert "namespace 'a@isolated' is router 'a@isolated''s too" in text
    assert "router 'c@@x': name must be" in text


def test_a_plane_instance_is_supervised_for_its_own_daemons() -> None:
    script = frr.supervise_script(PLANE_DAEMONS)
    assert "  ospf6d) cmd=" in script and "bgpd" not in script and "bfdd" not in script
    command = frr.supervisor_command(Path("/r"), PLANE_DAEMONS)
    assert command.endswith("zebra staticd ospfd ospf6d")
    start = frr.start_script(Path("/r"), "town-a@isolated", list(PLANE_DAEMONS), fresh=True,
                             apply_all=True, sshd_argv=None, supervised=PLANE_DAEMONS)
    assert "printf %s town-a@isolated >/proc/sys/kernel/hostname" in start
    assert "/bgpd" not in start
