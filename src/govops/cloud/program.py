"""The Pulumi program of one stack (one cloud of the 1+N+M model).

`build_stack(spec)` creates the cloud's `CloudPlatform`, a `TenantProject` per tenant homed
on it and a `DrPlacement` per such tenant with copies elsewhere (through an explicit
`openstack.Provider` per other cloud, configured from that cloud's `os_cloud` entry of
`clouds.yaml`). It is a generator that yields after the platform and after each tenant:
`stacks/__main__.py` simply exhausts it, and `govops.cloud.mockplan.run` uses the yields to
drain registrations in batches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import pulumi
import pulumi_openstack as openstack

from govops.cloud.args import CloudArgs, StackSpec, TenantArgs
from govops.cloud.components import CloudPlatform, CloudRef, DrPlacement, TenantProject

ProviderFactory = Callable[[CloudArgs], pulumi.ProviderResource]


def default_provider(cloud: CloudArgs) -> pulumi.ProviderResource:
    """An OpenStack provider for another cloud, from its `clouds.yaml` entry."""
    return openstack.Provider(f"{cloud.name}-provider", cloud=cloud.os_cloud or cloud.name)


def build_stack(spec: StackSpec, provider_for: ProviderFactory = default_provider,
                export: bool = True) -> Iterator[str]:
    """Create the stack of `spec.cloud`; yields the platform's then each tenant's name."""
    clouds = {c.name: c for c in spec.clouds}
    if spec.cloud not in clouds:
        raise ValueError(f"stack {spec.cloud}: no such cloud "
                         f"(clouds: {', '.join(sorted(clouds)) or 'none'})")
    platform = CloudPlatform(clouds[spec.cloud])
    refs: dict[str, CloudRef] = {spec.cloud: platform.ref}
    yield spec.cloud

    placements: dict[str, pulumi.Output] = {}
    for tenant in spec.tenants:
        if tenant.cloud != spec.cloud:
            continue
        for replica in tenant.replicas:
            if replica.cloud not in refs:
                other = clouds[replica.cloud]
                refs[replica.cloud] = CloudRef.lookup(other, provider_for(other))
        copies = place_tenant(tenant, refs)
        if copies is not None:
            placements[tenant.name] = copies
        # Between yields this frame holds no component: a drained tenant can be collected.
        yield tenant.name
    if export:
        pulumi.export("dr_copies", placements)


def place_tenant(tenant: TenantArgs, refs: Mapping[str, CloudRef]) -> pulumi.Output | None:
    """A tenant's `TenantProject`, and its `DrPlacement` if it has copies (their `copies`)."""
    project = TenantProject(tenant, refs[tenant.cloud])
    if not tenant.replicas:
        return None
    return DrPlacement(tenant, project.project.id, refs).copies
