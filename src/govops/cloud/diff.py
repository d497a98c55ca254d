"""Compare a mock plan (`govops.cloud.mockplan.run`) with a saved plan snapshot.

A snapshot is JSON: `{"version": 1, "stack": NAME, "resources": [record, …]}` with the
records `run` returns (sorted by URN). Resources are matched by URN — the type chain, the
parent's type and the name — so renaming or re-parenting a resource is a delete plus a
create, as it is for Pulumi. A change is::

    {"op": "update", "type": "openstack:networking/quotaV2:QuotaV2",
     "name": "hrss-social-security-quota-network", "tenant": "hrss-social-security",
     "urn": "urn:pulumi:…", "changed": {"floatingip": [4, 8]}}

`op` is create, update, delete or replace. Replace means a changed input the provider cannot
update in place (the `ForceNew` attributes of terraform-provider-openstack, which
pulumi-openstack bridges), listed in `replace_on`; it is an estimate made without the engine.
For a create every input is listed as `[None, new]`, for a delete as `[old, None]`.
Unchanged resources produce nothing: plan, save, plan again gives no changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from govops.errors import BadInput

SNAPSHOT_VERSION = 1
ALL = frozenset({"*"})

_COMMON = frozenset({"region"})
REPLACE_ON: Mapping[str, frozenset[str]] = {
    "openstack:identity/project:Project": frozenset({"domainId", "isDomain", "parentId"}),
    "openstack:identity/groupV3:GroupV3": frozenset({"domainId"}),
    "openstack:identity/roleAssignment:RoleAssignment": ALL,
    "openstack:compute/quotaSetV2:QuotaSetV2": frozenset({"projectId"}),
    "openstack:networking/quotaV2:QuotaV2": frozenset({"projectId"}),
    "openstack:blockstorage/quoteSetV3:QuoteSetV3": frozenset({"projectId"}),
    "openstack:dns/quotaV2:QuotaV2": frozenset({"projectId"}),
    "openstack:networking/network:Network": frozenset({"tenantId", "valueSpecs", "segments",
                                                       "availabilityZoneHints"}),
    "openstack:networking/subnet:Subnet": frozenset({
        "networkId", "cidr", "prefixLength", "tenantId", "ipVersion", "ipv6AddressMode",
        "ipv6RaMode", "subnetpoolId", "valueSpecs", "segmentId"}),
    "openstack:networking/router:Router": frozenset({"tenantId", "valueSpecs",
                                                     "availabilityZoneHints", "vendorOptions"}),
    "openstack:networking/routerInterface:RouterInterface": ALL,
    "openstack:networking/secGroup:SecGroup": frozenset({"tenantId"}),
    "openstack:networking/secGroupRule:SecGroupRule": ALL,
    "openstack:networking/subnetPool:SubnetPool": frozenset({"projectId", "ipVersion",
                                                             "valueSpecs"}),
    "openstack:networking/rbacPolicyV2:RbacPolicyV2": frozenset({"action", "objectId",
                                                                 "objectType"}),
    "openstack:dns/zone:Zone": frozenset({"name", "type", "projectId", "valueSpecs"}),
    "openstack:blockstorage/volumeTypeV3:VolumeTypeV3": frozenset(),
    "openstack:blockstorage/volumeTypeAccessV3:VolumeTypeAccessV3": ALL,
}
"""Inputs whose change forces a replacement, per resource type ('*': every input)."""

OPS = ("create", "replace", "update", "delete")


def replace_keys(type_: str, changed: Iterable[str]) -> list[str]:
    """The changed inputs that force `type_` to be replaced (sorted)."""
    keys = REPLACE_ON.get(type_, frozenset())
    if keys is ALL:
        return sorted(changed)
    return sorted(k for k in changed if k in keys or k in _COMMON)


def _key(resource: Mapping[str, Any]) -> str:
    return resource.get("urn") or f"{resource['type']}::{resource['name']}"


def _change(op: str, res: Mapping[str, Any], changed: dict[str, list[Any]],
            replace_on: list[str] | None = None) -> dict[str, Any]:
    out = {"op": op, "type": res["type"], "name": res["name"], "tenant": res.get("tenant"),
           "urn": res.get("urn"), "changed": changed}
    if replace_on:
        out["replace_on"] = replace_on
    return out


def diff(current: Sequence[Mapping[str, Any]],
         previous: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None) -> list[dict]:
    """Changes that turn `previous` (records, a snapshot dict, or None) into `current`.

    Sorted by tenant (platform first), type, name; empty when nothing changed.
    """
    if previous is None:
        old_list: Sequence[Mapping[str, Any]] = []
    elif isinstance(previous, Mapping):
        old_list = previous.get("resources", [])
    else:
        old_list = previous
    old = {_key(r): r for r in old_list}
    new = {_key(r): r for r in current}
    changes: list[dict] = []
    for key, res in new.items():
        inputs = res.get("inputs") or {}
        before = old.get(key)
        if before is None:
            changes.append(_change("create", res, {k: [None, v] for k, v in inputs.items()}))
            continue
        old_inputs = before.get("inputs") or {}
        changed = {k: [old_inputs.get(k), inputs.get(k)]
                   for k in sorted(set(inputs) | set(old_inputs))
                   if old_inputs.get(k) != inputs.get(k)}
        if changed:
            forced = replace_keys(res["type"], changed)
            changes.append(_change("replace" if forced else "update", res, changed, forced))
    for key, res in old.items():
        if key not in new:
            changes.append(_change("delete", res,
                                   {k: [v, None] for k, v in (res.get("inputs") or {}).items()}))
    changes.sort(key=lambda c: (c["tenant"] or "", c["type"], c["name"], OPS.index(c["op"])))
    return changes


def summary(changes: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """How many changes of each op, in the order create, replace, update, delete."""
    counts = dict.fromkeys(OPS, 0)
    for c in changes:
        counts[c["op"]] += 1
    return counts


def snapshot(resources: Sequence[Mapping[str, Any]], stack: str) -> dict[str, Any]:
    """The JSON-ready snapshot of a plan."""
    return {"version": SNAPSHOT_VERSION, "stack": stack,
            "resources": sorted((dict(r) for r in resources), key=_key)}


def save(path: str | Path, resources: Sequence[Mapping[str, Any]], stack: str) -> Path:
    """Write the snapshot (stable: sorted keys, one resource per line block)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(snapshot(resources, stack), indent=1, sort_keys=True, ensure_ascii=False)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load(path: str | Path) -> dict[str, Any] | None:
    """A saved snapshot, or None when there is none yet; BadInput when it is unreadable."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadInput(f"{path}: not a plan snapshot ({exc}): delete it and plan with "
                       "--save") from exc
    version = data.get("version") if isinstance(data, dict) else None
    if version != SNAPSHOT_VERSION or not isinstance(data.get("resources"), list):
        raise BadInput(f"{path}: not a version {SNAPSHOT_VERSION} plan snapshot: delete it "
                       "and plan with --save")
    return data
