"""Plan diff against a saved snapshot, without running Pulumi."""

from __future__ import annotations

import json

import pytest

from govops.cloud import diff
from govops.errors import BadInput

NET = "openstack:networking/network:Network"
RULE = "openstack:networking/secGroupRule:SecGroupRule"
SUBNET = "openstack:networking/subnet:Subnet"


def rec(type_, name_, tenant="t1", **inputs):
    return {"urn": f"urn:pulumi:s::p::{type_}::{name_}", "type": type_, "name": name_,
            "tenant": tenant, "parent": None, "custom": True, "provider": None,
            "inputs": inputs}


OLD = [rec(NET, "t1-net-app", name="t1-net-app", mtu=1500),
       rec(SUBNET, "t1-subnet-app-v6", cidr="2001:db8::/64", ipVersion=6),
       rec(RULE, "t1-sg-base-mgmt-22-v4", portRangeMin=22, remoteIpPrefix="10.0.0.0/24")]


def test_no_change_gives_no_change_objects():
    assert diff.diff(OLD, {"version": 1, "resources": OLD}) == []


def test_in_place_update_lists_the_changed_property():
    new = [rec(NET, "t1-net-app", name="t1-net-app", mtu=9000), *OLD[1:]]
    assert diff.diff(new, OLD) == [{
        "op": "update", "type": NET, "name": "t1-net-app", "tenant": "t1",
        "urn": OLD[0]["urn"], "changed": {"mtu": [1500, 9000]}}]


def test_force_new_properties_make_a_replace():
    new = [OLD[0], rec(SUBNET, "t1-subnet-app-v6", cidr="2001:db8:1::/64", ipVersion=6),
           rec(RULE, "t1-sg-base-mgmt-22-v4", portRangeMin=22, remoteIpPrefix="10.0.1.0/24")]
    got = [(c["op"], c["name"], c.get("replace_on")) for c in diff.diff(new, OLD)]
    assert got == [("replace", "t1-sg-base-mgmt-22-v4", ["remoteIpPrefix"]),
                   ("replace", "t1-subnet-app-v6", ["cidr"])]


def test_create_and_delete_list_every_input():
    new = [*OLD[:2], rec(NET, "t2-net-app", tenant="t2", name="t2-net-app")]
    changes = diff.diff(new, OLD)
    assert [(c["op"], c["tenant"], c["name"]) for c in changes] == [
        ("delete", "t1", "t1-sg-base-mgmt-22-v4"), ("create", "t2", "t2-net-app")]
    assert changes[0]["changed"] == {"portRangeMin": [22, None],
                                     "remoteIpPrefix": ["10.0.0.0/24", None]}
    assert changes[1]["changed"] == {"name": [None, "t2-net-app"]}
    assert diff.summary(changes) == {"create": 1, "replace": 0, "update": 0, "delete": 1}


def test_no_snapshot_means_everything_is_created():
    assert {c["op"] for c in diff.diff(OLD, None)} == {"create"}


def test_save_and_load_round_trip(tmp_path):
    path = diff.save(tmp_path / "plans" / "gd-gov.json", list(reversed(OLD)), "gd-gov")
    data = diff.load(path)
    assert data["stack"] == "gd-gov"
    assert [r["name"] for r in data["resources"]] == [
        "t1-net-app", "t1-sg-base-mgmt-22-v4", "t1-subnet-app-v6"]
    assert diff.diff(OLD, data) == []
    assert diff.load(tmp_path / "missing.json") is None


@pytest.mark.parametrize("content", ["{not json", json.dumps({"version": 9, "resources": []}),
                                     json.dumps([1, 2])])
def test_an_unreadable_snapshot_is_bad_input(tmp_path, content):
    path = tmp_path / "gd-gov.json"
    path.write_text(content)
    with pytest.raises(BadInput, match="gd-gov.json: not a"):
        diff.load(path)
