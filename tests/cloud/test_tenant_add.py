"""The tenant factory in-process: YAML kept as written, roll-back, the exact plan change."""

from __future__ import annotations

import pytest

from govops.cloud import diff, planning
from govops.cloud.args import Quotas
from govops.cloud.guardrails import GuardrailError
from govops.cloud.tenants import (
    NetworkRequest,
    TenantRequest,
    add_tenant,
    append_text,
    parse_network,
    parse_quotas,
)
from govops.errors import BadInput

REQUEST = TenantRequest("bars", "portal", "gd-gov", 3, 4,
                        networks=(NetworkRequest("web", (80, 443)), NetworkRequest("db")))


def test_comments_order_and_following_sections_are_kept():
    text = ("# Department systems.\n"
            "tenants:\n"
            "  - department: hrss   # the first one\n"
            "    system: social-security\n"
            "    quotas: {vcpu: 128}\n"
            "    networks:\n"
            "      - {name: app, public_ports: [443]}\n"
            "\n"
            "# Clouds follow.\n"
            "clouds: []\n")
    assert append_text(text, REQUEST) == (
        "# Department systems.\n"
        "tenants:\n"
        "  - department: hrss   # the first one\n"
        "    system: social-security\n"
        "    quotas: {vcpu: 128}\n"
        "    networks:\n"
        "      - {name: app, public_ports: [443]}\n"
        "  - department: bars\n"
        "    system: portal\n"
        "    cloud: gd-gov\n"
        "    mlps: 3\n"
        "    dr_level: 4\n"
        "    quotas: {vcpu: 16, ram_gb: 64, volume_gb: 1024, floating_ips: 0}\n"
        "    networks:\n"
        "      - {name: web, public_ports: [80, 443]}\n"
        "      - {name: db}\n"
        "\n"
        "# Clouds follow.\n"
        "clouds: []\n")


def test_a_generated_estate_gets_a_one_line_entry_like_its_others():
    text = ("# Generated.\ntenants:\n"
            "  - {department: d, system: s, cloud: c, mlps: 2, dr_level: 3, quotas: {vcpu: 16}, "
            "networks: [{name: main, public_ports: []}]}\n")
    added = append_text(text, REQUEST)
    assert added.startswith(text)
    assert added[len(text):] == (
        "  - {department: bars, system: portal, cloud: gd-gov, mlps: 3, dr_level: 4, quotas: "
        "{vcpu: 16, ram_gb: 64, volume_gb: 1024, floating_ips: 0}, networks: [{name: web, "
        "public_ports: [80, 443]}, {name: db, public_ports: []}]}\n")


def test_quota_and_network_flags():
    assert parse_quotas("vcpu=32, floating_ips=2") == Quotas(32, 64, 1024, 2)
    assert parse_network("web:443,80,443") == NetworkRequest("web", (443, 80))
    with pytest.raises(BadInput, match="--quota: ram_gb needs a whole number"):
        parse_quotas("ram_gb=lots")
    with pytest.raises(BadInput, match="port '70000' is not 1-65535"):
        parse_network("web:70000")
    with pytest.raises(BadInput, match="is not a DNS label: use lower-case"):
        parse_network("Web")


def _files(estate):
    return {p.name: p.read_bytes() for p in estate.iterdir() if p.is_file()}


def test_an_invalid_estate_rolls_the_file_back(lab_copy):
    before = _files(lab_copy)
    big = TenantRequest("bars", "big", "fs-gov", 2, 2, quotas=parse_quotas("vcpu=4096"))
    with pytest.raises(BadInput, match='quota vcpu=4096 is above cloud "fs-gov" capacity 256'):
        add_tenant(lab_copy, big)
    assert _files(lab_copy) == before


def test_a_guardrail_violation_rolls_the_file_back(lab_copy):
    """600 vCPU fit gd-gov at home (776 of 2048); its two DR copies do not."""
    before = _files(lab_copy)
    big = TenantRequest("bars", "big", "gd-gov", 3, 5, quotas=parse_quotas("vcpu=600"))
    with pytest.raises(GuardrailError, match="GR005 tenant bars-big: its vcpu quota "
                                             r"\(same-city copy\) brings cloud gd-gov to 2328"):
        add_tenant(lab_copy, big)
    assert _files(lab_copy) == before


@pytest.mark.parametrize("cloud, dr_level, new_provider", [
    ("gd-health", 5, False),  # its same-city copy on gd-gov: e-health's provider is there
    ("fs-gov", 4, True),      # the first DR copy of an fs-gov tenant: gd-gov's provider is new
])
def test_the_announced_change_is_the_plan_difference(lab_copy, cloud, dr_level, new_provider):
    before = planning.load_specs(lab_copy)
    result = add_tenant(lab_copy, TenantRequest("bars", "app", cloud, 3, dr_level))
    after = planning.load_specs(lab_copy)
    full = diff.diff(planning.run_stack(after.spec(cloud)),
                     planning.run_stack(before.spec(cloud)))
    assert result.stack == cloud and result.changes == full
    providers = [c for c in full if c["type"] == planning.PROVIDER_TYPE]
    assert [(c["op"], c["name"]) for c in providers] == (
        [("create", "gd-gov-provider")] if new_provider else [])
    others = [c for c in full if c["type"] != planning.PROVIDER_TYPE]
    assert {(c["op"], c["tenant"]) for c in others} == {("create", "bars-app")}


def test_the_lock_pins_the_new_subnets_and_nothing_moves(lab_copy):
    lock_before = (lab_copy / "ipam.lock.yaml").read_text()
    result = add_tenant(lab_copy, REQUEST)
    lock_after = (lab_copy / "ipam.lock.yaml").read_text()
    added = [line for line in lock_after.splitlines() if line not in lock_before.splitlines()]
    assert sorted(added) == sorted(
        f"    bars-portal/{net}: {result.subnets[net][fam]}"
        for net in ("web", "db") for fam in ("ipv4", "ipv6"))
    assert (lab_copy / "tenants.yaml").read_text().count("department: bars\n") == 1
