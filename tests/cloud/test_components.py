"""Component properties under Pulumi's mocks.

Per LAB-NOTES: mocks are set before the components are imported, and every
`@pulumi.runtime.test` function RETURNS the Output whose `.apply` asserts — an assertion in
an apply that is not returned is lost. `test_a_wrong_expectation_really_fails` proves that
these assertions bite.
"""

from __future__ import annotations

import ipaddress

import pulumi
import pytest

from govops.cloud.mockplan import RecordingMocks, RecordingMonitor

MOCKS = RecordingMocks()
pulumi.runtime.set_mocks(MOCKS, project="govops-test", stack="test", preview=False,
                         monitor=RecordingMonitor(MOCKS))

import pulumi_openstack as openstack  # noqa: E402

from govops.cloud.args import IngressRule  # noqa: E402
from govops.cloud.components import (  # noqa: E402
    CloudPlatform,
    CloudRef,
    DrPlacement,
    TenantProject,
)
from tests.cloud import helpers as h  # noqa: E402

GOV, DR = h.clouds()


def platform() -> CloudPlatform:
    return CloudPlatform(GOV)


def refs(gov: CloudPlatform) -> dict[str, CloudRef]:
    provider = openstack.Provider("gd-dr-provider", cloud=DR.os_cloud)
    return {"gd-gov": gov.ref, "gd-dr": CloudRef.lookup(DR, provider)}


def rule_rows(project: TenantProject) -> pulumi.Output[list[tuple]]:
    """(name, ethertype, protocol, port_min, port_max, remote_ip_prefix, remote_group_id)."""
    rows = [pulumi.Output.all(pulumi.Output.from_input(name), r.direction, r.ethertype,
                              r.protocol, r.port_range_min, r.port_range_max, r.remote_ip_prefix,
                              r.remote_group_id)
            for name, r in project.rules.items()]
    return pulumi.Output.all(*rows).apply(lambda rs: [tuple(r) for r in rs])


@pulumi.runtime.test
def test_subnets_are_dual_stack_with_slaac_ipv6_from_ipam():
    t = h.tenant("ipv6", 3)
    p = TenantProject(t, platform().ref)
    v4, v6 = p.subnets["app"][4], p.subnets["app"][6]

    def check(values):
        v4_version, v4_cidr, version, ra, addr, cidr, pool, net_id = values
        assert (v4_version, v4_cidr) == (4, t.networks[0].ipv4_cidr)
        assert (version, ra, addr) == (6, "slaac", "slaac")
        assert cidr == "2001:db8:f000:3::/64"
        assert ipaddress.ip_network(cidr).prefixlen == 64
        assert pool == "gd-gov-pool-v6-id"
        assert net_id == "gov-affairs-ipv6-net-app-id"

    return pulumi.Output.all(v4.ip_version, v4.cidr, v6.ip_version, v6.ipv6_ra_mode,
                             v6.ipv6_address_mode, v6.cidr, v6.subnetpool_id,
                             v6.network_id).apply(check)


@pulumi.runtime.test
def test_router_has_an_interface_per_subnet_and_the_internet_gateway():
    p = TenantProject(h.tenant("router", 4), platform().ref)
    rifs = p.tenancy.router_interfaces

    def check(values):
        gateway, *subnets = values
        assert gateway == "gd-gov-ext-internet-id"
        assert sorted(subnets) == ["gov-affairs-router-subnet-app-v4-id",
                                   "gov-affairs-router-subnet-app-v6-id"]

    return pulumi.Output.all(p.router.external_network_id,
                             *(r.subnet_id for r in rifs.values())).apply(check)


@pulumi.runtime.test
def test_mlps3_opens_only_public_ports_to_the_world_and_management_to_ops():
    p = TenantProject(h.tenant("strict", 5, mlps=3), platform().ref)

    def check(rows):
        world = [r for r in rows if r[6] in ("0.0.0.0/0", "::/0")]
        assert sorted((r[2], r[3], r[4], r[5], r[6]) for r in world) == [
            ("IPv4", "tcp", 443, 443, "0.0.0.0/0"), ("IPv6", "tcp", 443, 443, "::/0")]
        assert all(r[1] == "ingress" for r in rows)
        mgmt = {(r[2], r[4], r[6]) for r in rows if r[4] in (22, 9100)}
        assert mgmt == {("IPv4", 22, h.GOV_OPS_V4), ("IPv6", 22, h.GOV_OPS_V6),
                        ("IPv4", 9100, h.GOV_OPS_V4), ("IPv6", 9100, h.GOV_OPS_V6)}
        icmp = {(r[3], r[6]) for r in rows if r[3] in ("icmp", "ipv6-icmp")}
        assert icmp == {("icmp", h.GOV_OPS_V4), ("ipv6-icmp", h.GOV_OPS_V6)}
        east_west = [r for r in rows if r[7] is not None]
        assert [r[7] for r in east_west] == ["gov-affairs-strict-sg-base-id"] * 2

    return rule_rows(p).apply(check)


@pulumi.runtime.test
def test_mlps2_allows_icmp_and_extra_rules_from_anywhere_but_management_stays_on_ops():
    extra = IngressRule("udp", "0.0.0.0/0", 1812, description="radius from the field")
    p = TenantProject(h.tenant("broad", 6, mlps=2, extra_ingress=(extra,)), platform().ref)

    def check(rows):
        by_name = {r[0]: r for r in rows}
        assert by_name["gov-affairs-broad-sg-base-icmp-v4"][6] == "0.0.0.0/0"
        assert by_name["gov-affairs-broad-sg-base-icmp-v6"][6] == "::/0"
        radius = by_name["gov-affairs-broad-sg-base-extra-udp-1812-any-v4"]
        assert radius[2:7] == ("IPv4", "udp", 1812, 1812, "0.0.0.0/0")
        assert by_name["gov-affairs-broad-sg-base-mgmt-22-v6"][6] == h.GOV_OPS_V6

    return rule_rows(p).apply(check)


@pulumi.runtime.test
def test_quotas_come_from_the_estate():
    t = h.tenant("quota", 7)
    p = TenantProject(t, platform().ref)
    c, n, v, d = (p.quotas[k] for k in ("compute", "network", "volume", "dns"))

    def check(values):
        assert values == [16, 64 * 1024, -1, 2, 1, 2, 1, 1024, -1, 2]

    return pulumi.Output.all(c.cores, c.ram, c.instances, n.floatingip, n.network, n.subnet,
                             n.router, v.gigabytes, v.volumes, d.zones).apply(check)


@pulumi.runtime.test
def test_ops_network_is_shared_to_the_tenant_project():
    gov = platform()
    p = TenantProject(h.tenant("share", 8), gov.ref)
    share = p.tenancy.ops_share

    def check(values):
        assert values == ["access_as_shared", "network", "gd-gov-ops-net-id",
                          "gov-affairs-share-project-id"]

    return pulumi.Output.all(share.action, share.object_type, share.object_id,
                             share.target_tenant).apply(check)


@pulumi.runtime.test
def test_dns_zone_is_the_tenant_domain():
    p = TenantProject(h.tenant("zone", 9), platform().ref)
    return pulumi.Output.all(p.zone.name, p.zone.email, p.zone.project_id).apply(
        lambda v: _eq(v, ["zone.gov-affairs.gd.gov.cn.", "hostmaster@zone.gov-affairs.gd.gov.cn",
                          "gov-affairs-zone-project-id"]))


def _eq(actual, expected):
    assert actual == expected


@pytest.mark.parametrize(("level", "expected"), [
    (4, {"remote-dr": ("gd-dr", "async")}),
    (5, {"remote-dr": ("gd-dr", "async"), "same-city": ("gd-gov", "async")}),
    (6, {"remote-dr": ("gd-dr", "async"), "same-city": ("gd-gov", "sync")}),
])
def test_replicas_are_placed_per_dr_level(level, expected):
    @pulumi.runtime.test
    def run():
        gov = platform()
        t = h.tenant(f"dr{level}", 10 + level, dr_level=level)
        home = TenantProject(t, gov.ref)
        dr = DrPlacement(t, home.project.id, refs(gov))

        def check(copies):
            assert {role: (c["cloud"], c["replication"]) for role, c in copies.items()} == expected
            remote = copies["remote-dr"]
            assert remote["project"] == f"gov-affairs-dr{level}-remote-dr"
            assert remote["project_id"] == f"gov-affairs-dr{level}-remote-dr-project-id"
            assert remote["networks"]["app"]["ipv6"].startswith("2001:db8:f100:")

        return dr.copies.apply(check)

    run()


@pulumi.runtime.test
def test_replica_volume_types_are_marked_for_replication_and_use_the_dr_cloud():
    gov = platform()
    t = h.tenant("vt", 20, dr_level=6)
    dr = DrPlacement(t, TenantProject(t, gov.ref).project.id, refs(gov))
    remote = dr.replicas["remote-dr"]

    def check(values):
        specs, home_specs, ops_group, router_gw, urn = values
        assert specs["replication_enabled"] == "<is> True"
        assert specs["replication_type"] == "<in> async"
        assert specs["govops:replica_of"] == "gd-gov/gov-affairs-vt"
        assert home_specs["replication_type"] == "<in> sync"
        assert home_specs["govops:replica_targets"] == "remote-dr:gd-dr,same-city:gd-gov"
        assert ops_group == "gd-dr-ops-group-id"
        assert router_gw == "gd-dr-ext-internet-id"
        recorded = next(r for r in MOCKS.resources if r["urn"] == urn)
        assert recorded["provider"].endswith(
            "$pulumi:providers:openstack::gd-dr-provider::gd-dr-provider-id")

    vt = dr.replica_volume_types["remote-dr"]
    return pulumi.Output.all(
        vt.extra_specs, dr.volume_type.extra_specs,
        remote.role_assignments["gov-affairs-vt-remote-dr-ops-reader"].group_id,
        remote.router.external_network_id, vt.urn).apply(check)


def test_dr_level_without_its_placement_is_refused():
    @pulumi.runtime.test
    def run():
        gov = platform()
        t = h.tenant("missing", 30, dr_level=5, replicas=(h.replica("remote-dr", 30),))
        DrPlacement(t, "x", refs(gov))

    with pytest.raises(ValueError, match="DR level 5 needs a same-city placement"):
        run()


def test_a_wrong_expectation_really_fails():
    """The returned-Output pattern propagates a failing assertion (here: a wrong mode)."""

    @pulumi.runtime.test
    def wrong():
        p = TenantProject(h.tenant("wrong", 31), platform().ref)
        return p.subnets["app"][6].ipv6_address_mode.apply(
            lambda mode: _eq(mode, "dhcpv6-stateful"))

    with pytest.raises(AssertionError):
        wrong()
