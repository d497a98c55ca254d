"""The offline mock plan: records, tenant attribution, plan stability, runtime hygiene."""

from __future__ import annotations

import asyncio
import gc

import pytest
from pulumi.runtime import resource as sdk_resource

from govops.cloud import diff, mockplan
from govops.cloud.program import build_stack
from tests.cloud import helpers as h

BASE = (h.tenant("portal", 1, mlps=2, dr_level=2), h.tenant("tax", 2, dr_level=4),
        h.tenant("health", 3, dr_level=6))


def plan(*tenants, cloud="gd-gov"):
    spec = h.spec(*tenants, cloud=cloud)
    return mockplan.run(lambda: build_stack(spec), stack=cloud)


@pytest.fixture(scope="module")
def base_plan():
    return plan(*BASE)


def test_records_are_plain_and_named_after_their_tenant(base_plan):
    by_name = {r["name"]: r for r in base_plan}
    v6 = by_name["gov-affairs-tax-subnet-app-v6"]
    assert v6["type"] == "openstack:networking/subnet:Subnet"
    assert v6["tenant"] == "gov-affairs-tax"
    assert v6["urn"] == ("urn:pulumi:gd-gov::govops-cloud::govops:cloud:TenantProject"
                         "$openstack:networking/subnet:Subnet::gov-affairs-tax-subnet-app-v6")
    assert v6["parent"].endswith("govops:cloud:TenantProject::gov-affairs-tax")
    assert v6["inputs"] == {
        "cidr": "2001:db8:f000:2::/64", "enableDhcp": True, "ipVersion": 6,
        "ipv6AddressMode": "slaac", "ipv6RaMode": "slaac", "name": "gov-affairs-tax-subnet-app-v6",
        "networkId": "gov-affairs-tax-net-app-id", "subnetpoolId": "gd-gov-pool-v6-id",
        "tags": ["govops", "department:gov-affairs", "system:tax", "mlps:3", "dr:4",
                 "cloud:gd-gov"],
        "tenantId": "gov-affairs-tax-project-id"}
    assert by_name["gd-gov-ops-net"]["tenant"] is None
    replica = by_name["gov-affairs-health-remote-dr-net-app"]
    assert replica["tenant"] == "gov-affairs-health"
    assert replica["provider"].endswith("::gd-dr-provider::gd-dr-provider-id")
    assert by_name["gov-affairs-health-same-city-net-app"]["provider"] is None
    assert all(isinstance(r["inputs"], dict) for r in base_plan)
    assert len({r["urn"] for r in base_plan}) == len(base_plan)


def test_counts_by_type_and_tenant(base_plan):
    by_tenant = mockplan.count_by(base_plan, "tenant")
    assert list(by_tenant) == ["-", "gov-affairs-health", "gov-affairs-portal", "gov-affairs-tax"]
    # DR 6 = home + same-city + remote-dr copies; DR 4 = home + remote-dr; DR 2 = home only.
    assert by_tenant["gov-affairs-health"] > by_tenant["gov-affairs-tax"] > \
        by_tenant["gov-affairs-portal"]
    types = mockplan.count_by(base_plan, "type")
    assert types["govops:cloud:TenantProject"] == 3
    assert types["govops:cloud:DrPlacement"] == 2
    assert types["pulumi:providers:openstack"] == 1


def test_plan_save_plan_again_gives_no_changes(base_plan, tmp_path):
    path = diff.save(tmp_path / "plans" / "gd-gov.json", base_plan, "gd-gov")
    assert diff.diff(plan(*BASE), diff.load(path)) == []


def test_adding_one_tenant_creates_exactly_its_resources(base_plan):
    new = h.tenant("transport", 4, dr_level=5)
    after = plan(*BASE, new)
    changes = diff.diff(after, diff.snapshot(base_plan, "gd-gov"))
    theirs = [r for r in after if r["tenant"] == "gov-affairs-transport"]
    assert len(changes) == len(theirs) > 60
    assert {c["op"] for c in changes} == {"create"}
    assert {c["tenant"] for c in changes} == {"gov-affairs-transport"}


def test_a_quota_change_is_an_update_and_a_prefix_change_a_replace(base_plan):
    """The remote-DR copy follows the tenant's quota (no quota of its own)."""
    tax = h.with_(BASE[1], quotas=h.with_(BASE[1].quotas, floating_ips=8),
                  networks=(h.with_(BASE[1].networks[0], ipv6_cidr="2001:db8:f000:99::/64"),))
    changes = diff.diff(plan(BASE[0], tax, BASE[2]), base_plan)
    assert [(c["op"], c["name"], c["changed"]) for c in changes] == [
        ("update", "gov-affairs-tax-quota-network", {"floatingip": [2, 8]}),
        ("update", "gov-affairs-tax-remote-dr-quota-network", {"floatingip": [2, 8]}),
        ("replace", "gov-affairs-tax-subnet-app-v6",
         {"cidr": ["2001:db8:f000:2::/64", "2001:db8:f000:99::/64"]}),
    ]
    assert changes[2]["replace_on"] == ["cidr"]


def test_the_runner_leaves_the_process_as_it_found_it():
    loop_before = asyncio.get_event_loop()
    trace_before = sdk_resource._get_stack_trace
    plan(h.tenant("hygiene", 5))
    assert asyncio.get_event_loop() is loop_before
    assert sdk_resource._get_stack_trace is trace_before
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_program_errors_propagate():
    def broken():
        yield "first"
        raise RuntimeError("estate says no")

    with pytest.raises(RuntimeError, match="estate says no"):
        mockplan.run(broken)


def test_component_errors_propagate():
    bad = h.tenant("nodr", 6, dr_level=4, replicas=(h.replica("same-city", 6),))
    with pytest.raises(ValueError, match="DR level 4 needs a remote-dr placement"):
        plan(bad)


@pytest.mark.parametrize("tuned", [False, True])
def test_floor_measures_plain_resources(tuned):
    assert 0 < mockplan.floor_seconds(150, tuned=tuned) < 60
