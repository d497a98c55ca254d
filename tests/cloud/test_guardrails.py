"""One test per guardrail, each with the exact message."""

from __future__ import annotations

import pytest

from govops.cloud.args import IngressRule, NetworkArgs, Quotas
from govops.cloud.guardrails import RULES, GuardrailError, check, enforce
from govops.errors import CheckFailed
from tests.cloud import helpers as h


def messages(*tenants, clouds=None) -> list[str]:
    return [v.message for v in check(clouds or h.clouds(), tenants)]


def test_a_valid_estate_passes_every_rule():
    tenants = [h.tenant(f"s{level}", level, dr_level=level) for level in range(1, 7)]
    tenants.append(h.tenant("web", 9, mlps=2, extra_ingress=(
        IngressRule("tcp", "0.0.0.0/0", 8080),)))
    assert check(h.clouds(), tenants) == []
    enforce(h.clouds(), tenants)


def test_every_rule_has_an_id_and_a_title():
    assert [r.id for r in RULES] == [f"GR00{i}" for i in range(1, 9)]
    assert all(r.title for r in RULES)


def test_gr001_levels_present_and_in_range():
    assert messages(h.tenant(mlps=None, dr_level=None)) == [
        "GR001 tenant gov-affairs-portal: has no MLPS level; "
        "fix: set mlps to its MLPS (等保) level, 1-5",
        "GR001 tenant gov-affairs-portal: has no DR level; "
        "fix: set dr_level to its GB/T 20988 level, 1-6",
    ]
    assert messages(h.tenant(mlps=6, dr_level=0)) == [
        "GR001 tenant gov-affairs-portal: MLPS level 6 is not 1-5; "
        "fix: set mlps to its MLPS (等保) level, 1-5",
        "GR001 tenant gov-affairs-portal: DR level 0 is not 1-6; "
        "fix: set dr_level to its GB/T 20988 level, 1-6",
    ]


def test_gr002_dr4_needs_remote_dr():
    assert messages(h.tenant(dr_level=4, replicas=())) == [
        "GR002 tenant gov-affairs-portal: DR level 4 needs a remote-DR placement; "
        "fix: add a replica with role remote-dr on a cloud with a remote DR site, "
        "or lower dr_level below 4",
    ]


def test_gr003_dr5_needs_same_city_too():
    assert messages(h.tenant(dr_level=5, replicas=(h.replica("remote-dr"),))) == [
        "GR003 tenant gov-affairs-portal: DR level 5 needs a same-city placement as well; "
        "fix: add a replica with role same-city (a second data centre in the same city), "
        "or lower dr_level below 5",
    ]


def test_gr004_mlps3_forbids_world_ingress_except_public_ports():
    extra = (IngressRule("tcp", "::/0", 8080, network="app"),
             IngressRule("tcp", "0.0.0.0/0", 443, network="app"),  # declared: allowed
             IngressRule("icmp", "0.0.0.0/0"))
    assert messages(h.tenant(extra_ingress=extra)) == [
        "GR004 tenant gov-affairs-portal: MLPS 3 forbids ingress from ::/0 on tcp port 8080 "
        "of network app (not a declared public port); fix: narrow the source to the ops "
        "network or a partner prefix, or declare the port in public_ports of the network it "
        "serves",
        "GR004 tenant gov-affairs-portal: MLPS 3 forbids ingress from 0.0.0.0/0 on icmp "
        "(not a declared public port); fix: narrow the source to the ops network or a "
        "partner prefix, or declare the port in public_ports of the network it serves",
    ]
    assert messages(h.tenant(mlps=2, extra_ingress=extra)) == []


def test_gr004_an_ops_network_open_to_the_world_opens_management():
    found = messages(h.tenant(ops_ipv4_cidr="0.0.0.0/0"))
    assert found[0] == (
        "GR004 tenant gov-affairs-portal: MLPS 3 forbids ingress from 0.0.0.0/0 on tcp port 22 "
        "(not a declared public port); fix: narrow the source to the ops network or a partner "
        "prefix, or declare the port in public_ports of the network it serves")
    assert len(found) == 3  # ssh, node-exporter and ICMP


def test_gr005_quotas_fit_the_cloud_capacity():
    small = h.clouds(Quotas(vcpu=40, ram_gb=8192, volume_gb=262144, floating_ips=256))
    tenants = [h.tenant("a", 1), h.tenant("b", 2), h.tenant("c", 3, dr_level=4)]
    assert messages(*tenants, clouds=small) == [
        "GR005 tenant gov-affairs-c: its vcpu quota brings cloud gd-gov to 48 vcpu, over its "
        "capacity of 40; fix: lower the quota by 8 or more, place the tenant on another cloud, "
        "or raise the capacity of gd-gov",
    ]


def test_gr005_counts_replicas_on_the_dr_cloud():
    small = h.clouds(Quotas(vcpu=2048, ram_gb=8192, volume_gb=1500, floating_ips=256))
    tenants = [h.tenant("a", 1, dr_level=4), h.tenant("b", 2, dr_level=4)]
    assert messages(*tenants, clouds=small) == [
        "GR005 tenant gov-affairs-b: its volume_gb quota brings cloud gd-gov to 2048 volume_gb, "
        "over its capacity of 1500; fix: lower the quota by 548 or more, place the tenant on "
        "another cloud, or raise the capacity of gd-gov",
        "GR005 tenant gov-affairs-b: its volume_gb quota (remote-dr copy) brings cloud gd-dr to "
        "2048 volume_gb, over its capacity of 1500; fix: lower the quota by 548 or more, place "
        "the tenant on another cloud, or raise the capacity of gd-dr",
    ]


def test_gr006_every_network_is_dual_stack():
    nets = (NetworkArgs("app", "198.18.192.0/27", None),
            NetworkArgs("db", "198.18.192.32/27", "2001:db8:f000:900::/56"))
    assert messages(h.tenant(networks=nets)) == [
        "GR006 tenant gov-affairs-portal: network app has no IPv6 prefix; fix: allocate both "
        "prefixes from the estate's IPAM (an IPv4 block and an IPv6 /64) and run estate lock",
        "GR006 tenant gov-affairs-portal: network db IPv6 prefix 2001:db8:f000:900::/56 is not a "
        "/64 (SLAAC); fix: allocate both prefixes from the estate's IPAM (an IPv4 block and an "
        "IPv6 /64) and run estate lock",
    ]


def test_gr006_applies_to_replica_networks():
    copy = h.with_(h.replica("remote-dr"), networks=(NetworkArgs("app", None, "2001:db8::/64"),))
    assert messages(h.tenant(dr_level=4, replicas=(copy,))) == [
        "GR006 tenant gov-affairs-portal: remote-dr copy network app has no IPv4 prefix; "
        "fix: allocate both prefixes from the estate's IPAM (an IPv4 block and an IPv6 /64) "
        "and run estate lock",
    ]


def test_gr007_referenced_clouds_exist():
    t = h.tenant(cloud="gd-gvo", dr_level=4, replicas=(h.replica("remote-dr", cloud="gd-dx"),))
    assert messages(t) == [
        "GR007 tenant gov-affairs-portal: cloud gd-gvo does not exist; "
        "fix: use one of the clouds: gd-dr, gd-gov",
        "GR007 tenant gov-affairs-portal: remote-dr copy on cloud gd-dx, which does not exist; "
        "fix: use one of the clouds: gd-dr, gd-gov",
    ]


def test_gr008_tenant_names_are_unique():
    assert messages(h.tenant("x", 1), h.tenant("y", 2), h.tenant("x", 3)) == [
        "GR008 tenant gov-affairs-x: tenant number 3 has the name of tenant number 1; "
        "fix: give one of them another system name",
    ]


def test_enforce_raises_every_violation_at_once_with_exit_code_1():
    with pytest.raises(GuardrailError) as caught:
        enforce(h.clouds(), [h.tenant("a", 1, mlps=None), h.tenant("b", 2, dr_level=4,
                                                                   replicas=())])
    assert isinstance(caught.value, CheckFailed) and caught.value.exit_code == 1
    assert [v.rule for v in caught.value.violations] == ["GR001", "GR002"]
    assert str(caught.value).splitlines()[1].startswith("GR002 tenant gov-affairs-b: ")
