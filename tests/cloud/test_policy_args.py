"""Pure policy functions and the args' JSON round trip."""

from __future__ import annotations

import json

from govops.cloud import policy
from govops.cloud.args import IngressRule, StackSpec, TenantArgs
from tests.cloud import helpers as h


def keys(rules):
    return [f"{r.group}/{r.key}" for r in rules]


def test_mlps3_rules():
    rules = policy.tenant_rules(h.tenant(mlps=3))
    assert keys(rules) == [
        "base/mgmt-22-v4", "base/mgmt-22-v6", "base/mgmt-9100-v4", "base/mgmt-9100-v6",
        "base/east-west-v4", "base/east-west-v6", "base/icmp-v4", "base/icmp-v6",
        "app-public/443-v4", "app-public/443-v6"]
    assert [r.remote_ip_prefix for r in rules if r.from_anywhere] == ["0.0.0.0/0", "::/0"]


def test_mlps2_rules_open_icmp_to_the_world():
    rules = {f"{r.group}/{r.key}": r for r in policy.tenant_rules(h.tenant(mlps=2))}
    assert rules["base/icmp-v4"].remote_ip_prefix == "0.0.0.0/0"
    assert rules["base/icmp-v6"].protocol == "ipv6-icmp"
    assert rules["base/mgmt-22-v4"].remote_ip_prefix == h.GOV_OPS_V4


def test_extra_rule_names_are_urn_safe_and_stable():
    spec = policy.extra_rule_spec(IngressRule("tcp", "2001:db8::/32", 8000, 8080, network="app"))
    assert (spec.group, spec.key, spec.ethertype) == (
        "app-public", "extra-tcp-8000-8080-2001.db8.._32", "IPv6")
    assert "::" not in spec.key


def test_dr_roles_and_replication_modes():
    assert [policy.required_roles(level) for level in range(1, 7)] == [
        (), (), (), ("remote-dr",), ("remote-dr", "same-city"), ("remote-dr", "same-city")]
    assert policy.replication_mode(6, "same-city") == "sync"
    assert policy.replication_mode(6, "remote-dr") == "async"
    assert policy.replication_mode(5, "same-city") == "async"


def test_stack_spec_round_trips_through_json():
    spec = h.spec(h.tenant("a", 1, dr_level=6, extra_ingress=(IngressRule("udp", "::/0", 53),)),
                  h.tenant("b", 2))
    again = StackSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec


def test_tenant_name_defaults_to_department_system_and_lists_become_tuples():
    t = TenantArgs(department="hrss", system="social-security", cloud="gd-gov", mlps=3,
                   dr_level=6, quotas=h.tenant().quotas, networks=[h.net()],
                   management_ports=[22])
    assert t.name == "hrss-social-security"
    assert isinstance(t.networks, tuple) and t.management_ports == (22,)
