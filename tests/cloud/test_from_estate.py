"""The estate → stack specs mapping: pools, ops networks, IPAM subnets, DR placement."""

from __future__ import annotations

import json
import runpy

import pytest

from govops.cloud import mockplan, planning
from govops.cloud.from_estate import ops_networks
from govops.cloud.guardrails import GuardrailError
from govops.errors import BadInput
from govops.estate.loader import load_estate
from tests.conftest import ROOT
from tests.estate.helpers import replace

LAB = ROOT / "inventories" / "lab"


@pytest.fixture(scope="module")
def lab() -> planning.EstateSpecs:
    return planning.load_specs(LAB)


def placements(specs: planning.EstateSpecs) -> dict[str, list[tuple[str, str, str | None]]]:
    return {t.name: [(r.role, r.cloud, r.availability_zone) for r in t.replicas]
            for t in specs.tenants}


def test_one_stack_per_cloud_each_with_every_cloud_and_tenant(lab):
    assert lab.stacks == ["gd-gov", "gd-health", "fs-gov"]
    spec = lab.spec("gd-health")
    assert spec.cloud == "gd-health"
    assert [c.name for c in spec.clouds] == lab.stacks
    assert len(spec.tenants) == 5


def test_clouds_pool_the_ipam_tenant_blocks_and_take_ops_networks_from_pool_tops(lab):
    gov, health, fs = lab.clouds
    assert (gov.kind, gov.capacity.vcpu, gov.capacity.floating_ips) == ("provincial", 2048, 256)
    assert (health.kind, fs.kind) == ("industry", "regional")
    assert gov.subnet_pool_v4 == ("198.18.192.0/18",) and gov.subnet_pool_v4_length == 27
    assert gov.subnet_pool_v6 == ("2001:db8:f000::/36",) and gov.subnet_pool_v6_length == 64
    assert [(c.ops_ipv4_cidr, c.ops_ipv6_cidr) for c in lab.clouds] == [
        ("198.18.31.224/27", "2001:db8:ffff:ffff::/64"),  # host-v4 198.18.24.0/21,
        ("198.18.31.192/27", "2001:db8:ffff:fffe::/64"),  # tenant-v6 2001:db8:f000::/36
        ("198.18.31.160/27", "2001:db8:ffff:fffd::/64")]


def test_tenant_networks_are_their_ipam_blocks(lab):
    estate = lab.estate
    hrss = next(t for t in lab.tenants if t.name == "hrss-social-security")
    assert [(n.name, n.ipv4_cidr, n.ipv6_cidr, n.public_ports) for n in hrss.networks] == [
        ("app", estate.prefix("tenant-v4", "hrss-social-security/app"),
         "2001:db8:f000::/64", (443,)),
        ("db", estate.prefix("tenant-v4", "hrss-social-security/db"),
         "2001:db8:f000:1::/64", ())]
    assert (hrss.mlps, hrss.dr_level, hrss.quotas.vcpu) == (3, 6, 128)
    assert hrss.dns_domain == "social-security.hrss.lab.gd.gov.example"


def test_dr_copies_follow_the_dr_level_and_the_sites_of_the_clouds(lab):
    assert placements(lab) == {
        # own cloud spans both the remote-DR and the same-city site
        "hrss-social-security": [("remote-dr", "gd-gov", "mz-dr"), ("same-city", "gd-gov", "gz-sec")],
        # gd-health has no same-city site: that copy goes to the provincial cloud
        "health-e-health": [("remote-dr", "gd-health", "mz-dr"), ("same-city", "gd-gov", "gz-sec")],
        "gov-affairs-portal": [("remote-dr", "gd-gov", "mz-dr")],
        "ecology-air-monitoring": [],
        "foshan-admin-city-portal": [],
    }
    hrss = next(t for t in lab.tenants if t.name == "hrss-social-security")
    assert all(r.networks == hrss.networks and r.quotas is None for r in hrss.replicas)


def test_a_regional_tenant_is_copied_to_the_provincial_cloud(lab_copy):
    replace(lab_copy / "tenants.yaml", "    mlps: 2\n    dr_level: 2\n",
            "    mlps: 2\n    dr_level: 5\n")
    specs = planning.load_specs(lab_copy)
    # fs-gov stands on gz-sec only: remote DR on the provincial cloud's mz-dr, the same-city
    # copy on the other Guangzhou centre, the provincial cloud's primary gz-main.
    assert placements(specs)["foshan-admin-city-portal"] == [
        ("remote-dr", "gd-gov", "mz-dr"), ("same-city", "gd-gov", "gz-main")]
    specs.check()


def test_without_a_remote_dr_site_there_is_no_copy_and_gr002_stops_the_plan(lab_copy):
    replace(lab_copy / "clouds.yaml", "sites: [gz-main, gz-sec, mz-dr]", "sites: [gz-main, gz-sec]")
    replace(lab_copy / "clouds.yaml", "sites: [gz-main, mz-dr]", "sites: [gz-main]")
    specs = planning.load_specs(lab_copy)
    assert placements(specs)["gov-affairs-portal"] == []
    with pytest.raises(GuardrailError) as caught:
        specs.check()
    assert ("GR002 tenant gov-affairs-portal: DR level 4 needs a remote-DR placement; fix: add a "
            "replica with role remote-dr on a cloud with a remote DR site, or lower dr_level "
            "below 4") in str(caught.value).splitlines()


def test_ops_networks_that_do_not_fit_or_overlap_are_bad_input(lab_copy):
    province = lab_copy / "province.yaml"
    # 64 addresses cannot hold three /27 ops networks
    replace(province, "host-v4:       {prefix: 198.18.24.0/21,  length: 32}",
            "host-v4:       {prefix: 198.18.24.0/26,  length: 32}")
    (lab_copy / "ipam.lock.yaml").unlink()
    with pytest.raises(BadInput, match=r"^IPAM pool host-v4 \(198\.18\.24\.0/26\) cannot hold 3 "
                                       r"ops networks of /27 at its top \(one per cloud\)"):
        ops_networks(load_estate(lab_copy))
    # 128 addresses and four clouds: the fourth ops network (.0/27) meets the hosts (.1-.6)
    replace(province, "host-v4:       {prefix: 198.18.24.0/26,  length: 32}",
            "host-v4:       {prefix: 198.18.24.0/25,  length: 32}")
    replace(lab_copy / "clouds.yaml", "  - name: fs-gov\n",
            "  - {name: c4, kind: regional, sites: [gz-sec], capacity: {vcpu: 1, ram_gb: 1, "
            "volume_gb: 1}}\n  - name: fs-gov\n")
    with pytest.raises(BadInput, match=r"^IPAM pool host-v4: db-gz-main-1 holds 198\.18\.24\.1/32, "
                                       r"inside the ops network of cloud fs-gov"):
        ops_networks(load_estate(lab_copy))


def test_stack_files_are_deterministic_and_the_committed_ones_are_fresh(lab, tmp_path):
    first = planning.write_stacks(lab, tmp_path / "stacks")
    assert first.changed == lab.stacks
    again = planning.write_stacks(planning.load_specs(LAB), tmp_path / "stacks")
    assert again.changed == [] and again.stale == []
    for name in lab.stacks:
        for rel in (f"Pulumi.{name}.yaml", f"specs/{name}.json"):
            generated = (tmp_path / "stacks" / rel).read_text()
            committed = ROOT / "stacks" / rel
            assert committed.read_text() == generated, \
                f"stacks/{rel} is stale: run govops cloud stacks"
    assert "govops:spec: specs/gd-gov.json" in (tmp_path / "stacks/Pulumi.gd-gov.yaml").read_text()


def test_the_stack_program_plans_what_cloud_plan_plans(lab, tmp_path, monkeypatch):
    """stacks/__main__.py (what `pulumi up` runs) on the generated spec = the offline plan."""
    planning.write_stacks(lab, tmp_path, ["gd-health"])
    monkeypatch.chdir(tmp_path)
    main = ROOT / "stacks" / "__main__.py"
    program = mockplan.run(lambda: runpy.run_path(str(main)) and None,
                           project=planning.PROJECT, stack="gd-health")
    offline = planning.run_stack(lab.spec("gd-health"))
    assert json.dumps(program, sort_keys=True) == json.dumps(offline, sort_keys=True)
    subnets = [r for r in offline if r["type"] == "openstack:networking/subnet:Subnet"
               and r["inputs"]["ipVersion"] == 6]
    assert subnets and all(r["inputs"]["ipv6RaMode"] == "slaac" for r in subnets)


def test_a_copy_on_its_home_cloud_keeps_the_prefixes_outside_the_pool(lab):
    records = {r["name"]: r for r in planning.run_stack(lab.spec("gd-gov"))}
    home = records["hrss-social-security-subnet-app-v6"]["inputs"]
    copy = records["hrss-social-security-remote-dr-subnet-app-v6"]["inputs"]
    assert home["subnetpoolId"] == "gd-gov-pool-v6-id" and "subnetpoolId" not in copy
    assert home["cidr"] == copy["cidr"] == "2001:db8:f000::/64"
    net = records["hrss-social-security-remote-dr-net-app"]["inputs"]
    assert net["availabilityZoneHints"] == ["mz-dr"]


def test_a_saved_plan_of_a_cloud_gone_from_the_estate_is_all_deletes(tmp_path):
    from govops.cloud import diff

    record = {"urn": "urn:pulumi:old-cloud::govops-cloud::govops:cloud:CloudPlatform::old-cloud",
              "type": "govops:cloud:CloudPlatform", "name": "old-cloud", "parent": None,
              "tenant": None, "custom": False, "provider": None, "inputs": {"cloud": "old-cloud"}}
    diff.save(tmp_path / "old-cloud.json", [record], "old-cloud")
    with pytest.raises(planning.DeletionGuard, match="stack old-cloud: the plan deletes 1 of its 1"):
        planning.plan_estate(LAB, plans_dir=tmp_path, save=True)  # the deletion guard (issue 15)
    assert (tmp_path / "old-cloud.json").exists()
    result = planning.plan_estate(LAB, plans_dir=tmp_path, allow_deletes=1).to_json()
    old = result["stacks"][-1]
    assert (old["stack"], old["resources"], old["summary"]["delete"]) == ("old-cloud", 0, 1)
    assert old["changes"][0]["op"] == "delete" and old["changes"][0]["name"] == "old-cloud"
    assert [s["stack"] for s in result["stacks"][:3]] == ["gd-gov", "gd-health", "fs-gov"]
