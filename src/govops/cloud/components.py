"""Pulumi components of the 1+N+M government cloud (pulumi-openstack).

* `CloudPlatform` — the shared pieces of one cloud: external (provider) networks with their
  subnets, IPv4/IPv6 subnet pools, the ops project, group and dual-stack ops network. Its
  `ref` (a `CloudRef`) is what tenants on that cloud need from it.
* `TenantProject` — one department system: identity project, group and role assignments;
  compute, network, volume and DNS quotas; dual-stack networks with a router; security groups
  from the MLPS level (`govops.cloud.policy`); a DNS zone; RBAC access to the ops network.
* `DrPlacement` — a tenant's copies on its same-city and/or remote-DR cloud(s): per copy a
  project with networks, router, security groups and quotas on that cloud (through that
  cloud's provider), plus volume types marked for replication; `copies` names where each
  copy lives.

Resource names are stable and readable — `<tenant>-net-<network>`, `<tenant>-subnet-app-v6`,
`<tenant>-sg-base-mgmt-22-v4`, `<tenant>-remote-dr-router` — so a plan diff reads as a list
of things, and adding a tenant adds only resources carrying its name. Neutron/Keystone
`name`s equal the resource names (the Keystone project is named after the tenant), so another
stack can look platform pieces up by name (`CloudRef.lookup`).

Quotas: `cores`/`ram`/`gigabytes`/`floatingip` come from the estate; instance, volume and
snapshot counts are unlimited (-1) so the sizes bind; networks, subnets and routers are
exactly what the estate declares (addresses come from IPAM, not from tenants); security
groups and rules get headroom for the tenant's own application tiers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi
from pulumi_openstack import blockstorage, compute, dns, identity, networking

from govops.cloud import policy
from govops.cloud.args import (
    CloudArgs,
    IngressRule,
    NetworkArgs,
    Quotas,
    ReplicaArgs,
    TenantArgs,
)

PKG = "govops:cloud"
MEMBER_ROLE = "member"
READER_ROLE = "reader"
ADMIN_ROLE = "admin"
ROLES = (MEMBER_ROLE, READER_ROLE, ADMIN_ROLE)

SECURITY_GROUP_HEADROOM = 10
SECURITY_RULE_HEADROOM = 100
DNS_QUOTA = {"zones": 2, "zone_recordsets": 500, "zone_records": 500, "recordset_records": 20,
             "api_export_size": 1000}
UNLIMITED = -1


def _invoke_opts(provider: pulumi.ProviderResource | None) -> pulumi.InvokeOptions | None:
    return pulumi.InvokeOptions(provider=provider) if provider is not None else None


# --- platform names: one place, so CloudRef.lookup finds what CloudPlatform created ----------

def external_network_name(cloud: str, network: str) -> str:
    return f"{cloud}-ext-{network}"


def subnet_pool_name(cloud: str, version: int) -> str:
    return f"{cloud}-pool-v{version}"


def ops_network_name(cloud: str) -> str:
    return f"{cloud}-ops-net"


def ops_group_name(cloud: str) -> str:
    return f"{cloud}-ops-group"


@dataclass(frozen=True)
class CloudRef:
    """What tenants on a cloud need from its platform: ids as Inputs, plus its provider.

    Built by `CloudPlatform` in the cloud's own stack, or by `CloudRef.lookup` (by name, with
    invokes through that cloud's provider) in a stack that only places DR copies there.
    """

    name: str
    role_ids: Mapping[str, pulumi.Input[str]]
    external_network_id: pulumi.Input[str] | None = None
    subnetpool_v4_id: pulumi.Input[str] | None = None
    subnetpool_v6_id: pulumi.Input[str] | None = None
    ops_network_id: pulumi.Input[str] | None = None
    ops_group_id: pulumi.Input[str] | None = None
    ops_ipv4_cidr: str | None = None
    ops_ipv6_cidr: str | None = None
    domain_id: str | None = None
    provider: pulumi.ProviderResource | None = field(default=None, compare=False)

    @classmethod
    def lookup(cls, cloud: CloudArgs,
               provider: pulumi.ProviderResource | None = None) -> CloudRef:
        """Find a cloud's platform pieces by name (invokes); for clouds of other stacks."""
        opts = _invoke_opts(provider)
        gateway = cloud.gateway_network
        ext_id = (networking.get_network_output(
            name=external_network_name(cloud.name, gateway.name), opts=opts).id
            if gateway is not None else None)

        def pool(version: int, prefixes: Sequence[str]) -> pulumi.Output[str] | None:
            if not prefixes:
                return None
            return networking.get_subnet_pool_output(
                name=subnet_pool_name(cloud.name, version), opts=opts).id

        has_ops = bool(cloud.ops_ipv4_cidr or cloud.ops_ipv6_cidr)
        return cls(
            name=cloud.name,
            role_ids={r: identity.get_role_output(name=r, opts=opts).id for r in ROLES},
            external_network_id=ext_id,
            subnetpool_v4_id=pool(4, cloud.subnet_pool_v4),
            subnetpool_v6_id=pool(6, cloud.subnet_pool_v6),
            ops_network_id=(networking.get_network_output(
                name=ops_network_name(cloud.name), opts=opts).id if has_ops else None),
            ops_group_id=identity.get_group_output(name=ops_group_name(cloud.name),
                                                   opts=opts).id,
            ops_ipv4_cidr=cloud.ops_ipv4_cidr,
            ops_ipv6_cidr=cloud.ops_ipv6_cidr,
            domain_id=cloud.domain_id,
            provider=provider,
        )


class CloudPlatform(pulumi.ComponentResource):
    """The shared pieces of one cloud; `ref` hands them to the tenants."""

    def __init__(self, args: CloudArgs, provider: pulumi.ProviderResource | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PKG}:CloudPlatform", args.name,
                         {"cloud": args.name, "kind": args.kind}, opts)
        self.args = args
        c = args.name
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        tags = ["govops", f"cloud:{c}", f"kind:{args.kind}"]

        self.external_networks: dict[str, networking.Network] = {}
        self.external_subnets: dict[str, dict[int, networking.Subnet]] = {}
        for ext in args.external_networks:
            name = external_network_name(c, ext.name)
            net = networking.Network(
                name, name=name, external=True, shared=False, tags=tags,
                segments=[networking.NetworkSegmentArgs(
                    network_type=ext.network_type, physical_network=ext.physical_network,
                    segmentation_id=ext.segmentation_id)],
                opts=child)
            self.external_networks[ext.name] = net
            subnets: dict[int, networking.Subnet] = {}
            for version, cidr in ((4, ext.ipv4_cidr), (6, ext.ipv6_cidr)):
                if cidr:
                    subnets[version] = networking.Subnet(
                        f"{name}-v{version}", name=f"{name}-v{version}", network_id=net.id,
                        cidr=cidr, ip_version=version, enable_dhcp=False, tags=tags,
                        opts=child)
            self.external_subnets[ext.name] = subnets

        self.subnet_pools: dict[int, networking.SubnetPool] = {}
        for version, prefixes, length in ((4, args.subnet_pool_v4, args.subnet_pool_v4_length),
                                          (6, args.subnet_pool_v6, args.subnet_pool_v6_length)):
            if prefixes:
                name = subnet_pool_name(c, version)
                self.subnet_pools[version] = networking.SubnetPool(
                    name, name=name, ip_version=version, prefixes=list(prefixes),
                    default_prefixlen=length, shared=True, tags=tags, opts=child)

        self.role_ids = {r: identity.get_role_output(name=r, opts=_invoke_opts(provider)).id
                         for r in ROLES}
        self.ops_project = identity.Project(
            f"{c}-ops", name=f"{c}-ops", description=f"operations of cloud {c}",
            domain_id=args.domain_id, tags=tags, opts=child)
        self.ops_group = identity.GroupV3(
            ops_group_name(c), name=ops_group_name(c), domain_id=args.domain_id,
            description=f"operators of cloud {c}", opts=child)
        self.ops_admin = identity.RoleAssignment(
            f"{c}-ops-admin", group_id=self.ops_group.id, project_id=self.ops_project.id,
            role_id=self.role_ids[ADMIN_ROLE], opts=child)

        gateway = self.external_networks.get(args.external_network)
        self.ops_network: networking.Network | None = None
        self.ops_subnets: dict[int, networking.Subnet] = {}
        self.ops_router: networking.Router | None = None
        if args.ops_ipv4_cidr or args.ops_ipv6_cidr:
            ops_net = NetworkArgs("ops", args.ops_ipv4_cidr, args.ops_ipv6_cidr)
            built = _build_networks(
                f"{c}-ops", [ops_net], self.ops_project.id, tags, child,
                pools={},
                gateway_id=gateway.id if gateway is not None else None,
                network_names={"ops": ops_network_name(c)})
            self.ops_network = built.networks["ops"]
            self.ops_subnets = built.subnets["ops"]
            self.ops_router = built.router

        self.ref = CloudRef(
            name=c, role_ids=self.role_ids,
            external_network_id=gateway.id if gateway is not None else None,
            subnetpool_v4_id=self.subnet_pools[4].id if 4 in self.subnet_pools else None,
            subnetpool_v6_id=self.subnet_pools[6].id if 6 in self.subnet_pools else None,
            ops_network_id=self.ops_network.id if self.ops_network is not None else None,
            ops_group_id=self.ops_group.id,
            ops_ipv4_cidr=args.ops_ipv4_cidr, ops_ipv6_cidr=args.ops_ipv6_cidr,
            domain_id=args.domain_id, provider=provider)
        self.register_outputs({
            "external_networks": {k: n.id for k, n in self.external_networks.items()},
            "ops_network_id": self.ops_network.id if self.ops_network is not None else None,
        })


@dataclass
class _Networks:
    networks: dict[str, networking.Network]
    subnets: dict[str, dict[int, networking.Subnet]]
    router: networking.Router | None
    interfaces: dict[str, networking.RouterInterface]


def _build_networks(prefix: str, networks: Sequence[NetworkArgs], project_id: pulumi.Input[str],
                    tags: list[str], opts: pulumi.ResourceOptions, *,
                    pools: Mapping[int, pulumi.Input[str]],
                    gateway_id: pulumi.Input[str] | None,
                    availability_zone: str | None = None,
                    dns_domain: str | None = None,
                    network_names: Mapping[str, str] | None = None) -> _Networks:
    """Dual-stack networks (IPv4 + SLAAC IPv6 subnets), one router, its interfaces."""
    nets: dict[str, networking.Network] = {}
    subnets: dict[str, dict[int, networking.Subnet]] = {}
    interfaces: dict[str, networking.RouterInterface] = {}
    azs = [availability_zone] if availability_zone else None
    router = networking.Router(
        f"{prefix}-router", name=f"{prefix}-router", tenant_id=project_id,
        external_network_id=gateway_id, availability_zone_hints=azs, tags=tags, opts=opts)
    for net in networks:
        name = (network_names or {}).get(net.name, f"{prefix}-net-{net.name}")
        n = networking.Network(name, name=name, tenant_id=project_id, admin_state_up=True,
                               availability_zone_hints=azs,
                               dns_domain=f"{dns_domain}." if dns_domain else None,
                               tags=tags, opts=opts)
        nets[net.name] = n
        subnets[net.name] = {}
        for version, cidr in ((4, net.ipv4_cidr), (6, net.ipv6_cidr)):
            if not cidr:
                raise ValueError(f"{prefix}: network {net.name} has no IPv{version} prefix "
                                 "(GR006: every network is dual-stack)")
            sname = f"{prefix}-subnet-{net.name}-v{version}"
            v6 = ({"ipv6_ra_mode": policy.IPV6_RA_MODE,
                   "ipv6_address_mode": policy.IPV6_ADDRESS_MODE} if version == 6 else {})
            sub = networking.Subnet(sname, name=sname, network_id=n.id, tenant_id=project_id,
                                    cidr=cidr, ip_version=version, enable_dhcp=True,
                                    subnetpool_id=pools.get(version), tags=tags, opts=opts, **v6)
            subnets[net.name][version] = sub
            iname = f"{prefix}-rif-{net.name}-v{version}"
            interfaces[iname] = networking.RouterInterface(
                iname, router_id=router.id, subnet_id=sub.id, opts=opts)
    return _Networks(nets, subnets, router, interfaces)


@dataclass
class Tenancy:
    """The resources of one project on one cloud (a tenant, or one of its DR copies)."""

    prefix: str
    project: identity.Project
    group: identity.GroupV3
    role_assignments: dict[str, identity.RoleAssignment]
    quotas: dict[str, pulumi.CustomResource]
    networks: dict[str, networking.Network]
    subnets: dict[str, dict[int, networking.Subnet]]
    router: networking.Router | None
    router_interfaces: dict[str, networking.RouterInterface]
    security_groups: dict[str, networking.SecGroup]
    rules: dict[str, networking.SecGroupRule]
    rule_specs: list[policy.RuleSpec]
    ops_share: networking.RbacPolicyV2 | None
    zone: dns.Zone | None = None


def _build_tenancy(prefix: str, *, project_name: str, description: str, tags: list[str],
                   quotas: Quotas, networks: Sequence[NetworkArgs], mlps: int | None,
                   management_ports: Sequence[int], extra_ingress: Sequence[IngressRule],
                   ops_ipv4_cidr: str | None, ops_ipv6_cidr: str | None, cloud: CloudRef,
                   opts: pulumi.ResourceOptions, dns_domain: str | None = None,
                   availability_zone: str | None = None) -> Tenancy:
    project = identity.Project(f"{prefix}-project", name=project_name, description=description,
                               domain_id=cloud.domain_id, tags=tags, opts=opts)
    group = identity.GroupV3(f"{prefix}-group", name=f"{prefix}-group", domain_id=cloud.domain_id,
                             description=f"members of {project_name}", opts=opts)
    roles = {
        f"{prefix}-group-member": identity.RoleAssignment(
            f"{prefix}-group-member", group_id=group.id, project_id=project.id,
            role_id=cloud.role_ids[MEMBER_ROLE], opts=opts),
    }
    if cloud.ops_group_id is not None:
        roles[f"{prefix}-ops-reader"] = identity.RoleAssignment(
            f"{prefix}-ops-reader", group_id=cloud.ops_group_id, project_id=project.id,
            role_id=cloud.role_ids[READER_ROLE], opts=opts)

    rule_specs = policy.security_rules(mlps, networks, ops_ipv4_cidr, ops_ipv6_cidr,
                                       management_ports, extra_ingress)
    group_keys = policy.security_groups(rule_specs, networks)

    q: dict[str, pulumi.CustomResource] = {
        "compute": compute.QuotaSetV2(
            f"{prefix}-quota-compute", project_id=project.id, cores=quotas.vcpu,
            ram=quotas.ram_gb * 1024, instances=UNLIMITED, opts=opts),
        "network": networking.QuotaV2(
            f"{prefix}-quota-network", project_id=project.id, floatingip=quotas.floating_ips,
            network=len(networks), subnet=2 * len(networks), router=1,
            security_group=len(group_keys) + 1 + SECURITY_GROUP_HEADROOM,
            security_group_rule=len(rule_specs) + SECURITY_RULE_HEADROOM, opts=opts),
        "volume": blockstorage.QuoteSetV3(
            f"{prefix}-quota-volume", project_id=project.id, gigabytes=quotas.volume_gb,
            volumes=UNLIMITED, snapshots=UNLIMITED, opts=opts),
    }
    if dns_domain:
        q["dns"] = dns.QuotaV2(f"{prefix}-quota-dns", project_id=project.id, **DNS_QUOTA,
                               opts=opts)

    pools = {v: i for v, i in ((4, cloud.subnetpool_v4_id), (6, cloud.subnetpool_v6_id))
             if i is not None}
    built = _build_networks(prefix, networks, project.id, tags, opts, pools=pools,
                            gateway_id=cloud.external_network_id,
                            availability_zone=availability_zone, dns_domain=dns_domain)

    groups: dict[str, networking.SecGroup] = {}
    for key in group_keys:
        gname = f"{prefix}-sg-{key}"
        groups[key] = networking.SecGroup(
            gname, name=gname, tenant_id=project.id, tags=tags,
            description=f"{project_name}: {key} (MLPS {mlps})", opts=opts)
    rules: dict[str, networking.SecGroupRule] = {}
    for spec in rule_specs:
        rname = f"{prefix}-sg-{spec.group}-{spec.key}"
        sg = groups[spec.group]
        rules[rname] = networking.SecGroupRule(
            rname, direction="ingress", ethertype=spec.ethertype, protocol=spec.protocol,
            port_range_min=spec.port_min, port_range_max=spec.port_max,
            remote_ip_prefix=spec.remote_ip_prefix,
            remote_group_id=sg.id if spec.remote_self else None,
            security_group_id=sg.id, tenant_id=project.id, description=spec.description,
            opts=opts)

    share = None
    if cloud.ops_network_id is not None:
        share = networking.RbacPolicyV2(
            f"{prefix}-ops-share", action="access_as_shared", object_type="network",
            object_id=cloud.ops_network_id, target_tenant=project.id, opts=opts)

    zone = None
    if dns_domain:
        zone = dns.Zone(f"{prefix}-zone", name=f"{dns_domain}.", email=f"hostmaster@{dns_domain}",
                        project_id=project.id, ttl=300, type="PRIMARY",
                        description=f"zone of {project_name}", opts=opts)

    return Tenancy(prefix=prefix, project=project, group=group, role_assignments=roles,
                   quotas=q, networks=built.networks, subnets=built.subnets, router=built.router,
                   router_interfaces=built.interfaces, security_groups=groups, rules=rules,
                   rule_specs=rule_specs, ops_share=share, zone=zone)


def _tags(tenant: TenantArgs, *extra: str) -> list[str]:
    return ["govops", f"department:{tenant.department}", f"system:{tenant.system}",
            f"mlps:{tenant.mlps}", f"dr:{tenant.dr_level}", *extra]


class TenantProject(pulumi.ComponentResource):
    """One department system on its home cloud. Children are named `<tenant>-…`."""

    def __init__(self, args: TenantArgs, cloud: CloudRef,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PKG}:TenantProject", args.name,
                         {"tenant": args.name, "cloud": args.cloud}, opts)
        self.args = args
        child = pulumi.ResourceOptions(parent=self, provider=cloud.provider)
        self.tenancy = _build_tenancy(
            args.name, project_name=args.name,
            description=f"{args.department} / {args.system} (MLPS {args.mlps}, "
                        f"DR {args.dr_level})",
            tags=_tags(args, f"cloud:{args.cloud}"), quotas=args.quotas, networks=args.networks,
            mlps=args.mlps, management_ports=args.management_ports,
            extra_ingress=args.extra_ingress,
            ops_ipv4_cidr=args.ops_ipv4_cidr or cloud.ops_ipv4_cidr,
            ops_ipv6_cidr=args.ops_ipv6_cidr or cloud.ops_ipv6_cidr,
            cloud=cloud, opts=child, dns_domain=args.dns_domain)
        t = self.tenancy
        self.project = t.project
        self.group = t.group
        self.networks = t.networks
        self.subnets = t.subnets
        self.router = t.router
        self.security_groups = t.security_groups
        self.rules = t.rules
        self.quotas = t.quotas
        self.zone = t.zone
        self.register_outputs({
            "project_id": t.project.id,
            "networks": {k: n.id for k, n in t.networks.items()},
            "zone": t.zone.name if t.zone is not None else None,
        })


class DrPlacement(pulumi.ComponentResource):
    """A tenant's DR copies, each in its own project on the same-city or remote-DR cloud.

    `clouds` maps a cloud name to its `CloudRef` (the home cloud's and every replica cloud's);
    each copy is created through its cloud's provider. The home cloud gets a private volume
    type `<tenant>-vt-replicated` marked for replication (sync to a DR-6 same-city copy, async
    otherwise) for the tenant's volumes; each copy gets a target volume type. `copies` is an
    Output naming, per role, the cloud, availability zone, project and networks of the copy.
    """

    def __init__(self, args: TenantArgs, home_project_id: pulumi.Input[str],
                 clouds: Mapping[str, CloudRef],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{PKG}:DrPlacement", f"{args.name}-dr",
                         {"tenant": args.name, "dr_level": args.dr_level}, opts)
        self.args = args
        missing = [r for r in policy.required_roles(args.dr_level) if args.replica(r) is None]
        if missing:
            raise ValueError(f"tenant {args.name}: DR level {args.dr_level} needs a "
                             f"{' and a '.join(missing)} placement (guardrails GR002/GR003)")
        unknown = sorted({r.cloud for r in args.replicas} - set(clouds))
        if unknown or args.cloud not in clouds:
            raise ValueError(f"tenant {args.name}: no CloudRef for cloud(s) "
                             f"{', '.join(unknown or [args.cloud])}")
        home = clouds[args.cloud]
        home_opts = pulumi.ResourceOptions(parent=self, provider=home.provider)
        modes = {r.role: policy.replication_mode(args.dr_level, r.role) for r in args.replicas}
        targets = ",".join(f"{r.role}:{r.cloud}" for r in args.replicas)
        self.volume_type: blockstorage.VolumeTypeV3 | None = None
        if args.replicas:
            vt_name = f"{args.name}-vt-replicated"
            self.volume_type = blockstorage.VolumeTypeV3(
                vt_name, name=vt_name, is_public=False,
                description=f"replicated volumes of {args.name} (DR {args.dr_level})",
                extra_specs={"replication_enabled": "<is> True",
                             "replication_type": "<in> " + (
                                 "sync" if "sync" in modes.values() else "async"),
                             "govops:replica_targets": targets},
                opts=home_opts)
            blockstorage.VolumeTypeAccessV3(
                f"{vt_name}-access", project_id=home_project_id,
                volume_type_id=self.volume_type.id, opts=home_opts)

        self.replicas: dict[str, Tenancy] = {}
        self.replica_volume_types: dict[str, blockstorage.VolumeTypeV3] = {}
        copies: dict[str, Any] = {}
        for replica in args.replicas:
            self.replicas[replica.role] = self._copy(args, replica, clouds[replica.cloud],
                                                     modes[replica.role])
            t = self.replicas[replica.role]
            copies[replica.role] = {
                "cloud": replica.cloud,
                "availability_zone": replica.availability_zone,
                "project": f"{args.name}-{replica.role}",
                "project_id": t.project.id,
                "replication": modes[replica.role],
                "networks": {n.name: {"ipv4": n.ipv4_cidr, "ipv6": n.ipv6_cidr}
                             for n in replica.networks},
            }
        self.copies: pulumi.Output[dict[str, Any]] = pulumi.Output.from_input(copies)
        self.register_outputs({"copies": copies,
                               "home": {"cloud": args.cloud,
                                        "volume_type": (f"{args.name}-vt-replicated"
                                                        if args.replicas else None)}})

    def _copy(self, args: TenantArgs, replica: ReplicaArgs, cloud: CloudRef,
              mode: str) -> Tenancy:
        prefix = f"{args.name}-{replica.role}"
        opts = pulumi.ResourceOptions(parent=self, provider=cloud.provider)
        if replica.cloud == args.cloud:
            # A copy on its home cloud (another site of it) may keep the home's prefixes
            # (IP-preserving failover); the home subnets already hold them in this cloud's
            # subnet pools, and a pool hands a prefix out once, so the copy's stand outside.
            cloud = replace(cloud, subnetpool_v4_id=None, subnetpool_v6_id=None)
        tenancy = _build_tenancy(
            prefix, project_name=prefix,
            description=f"{replica.role} copy of {args.name} (DR {args.dr_level}, {mode})",
            tags=_tags(args, f"cloud:{replica.cloud}", f"replica-of:{args.name}",
                       f"role:{replica.role}"),
            quotas=replica.quotas or args.quotas, networks=replica.networks, mlps=args.mlps,
            management_ports=args.management_ports, extra_ingress=args.extra_ingress,
            ops_ipv4_cidr=replica.ops_ipv4_cidr or cloud.ops_ipv4_cidr,
            ops_ipv6_cidr=replica.ops_ipv6_cidr or cloud.ops_ipv6_cidr,
            cloud=cloud, opts=opts, availability_zone=replica.availability_zone)
        vt_name = f"{prefix}-vt-replica"
        vt = blockstorage.VolumeTypeV3(
            vt_name, name=vt_name, is_public=False,
            description=f"{replica.role} replica volumes of {args.name} ({mode})",
            extra_specs={"replication_enabled": "<is> True",
                         "replication_type": f"<in> {mode}",
                         "govops:replica_of": f"{args.cloud}/{args.name}",
                         "govops:role": replica.role},
            opts=opts)
        blockstorage.VolumeTypeAccessV3(f"{vt_name}-access", project_id=tenancy.project.id,
                                        volume_type_id=vt.id, opts=opts)
        self.replica_volume_types[replica.role] = vt
        return tenancy
