"""`govops tenant add`: the tenant factory — one department system onto a cloud, safely.

The steps, each undone if a later one fails:

1. Check the request against the (valid) estate: names are DNS-safe slugs, the tenant is new,
   the cloud exists (with a did-you-mean), MLPS 1-5, a DR level of the policy table, quotas
   and networks well-formed. Every problem is reported at once (BadInput, exit 2).
2. Append the tenant to the estate's tenants file with ruamel.yaml round-trip: comments, key
   order, quoting and the file's indentation are kept; the new entry follows the style of the
   entries before it (one flow mapping per line in a generated estate, block style in the lab).
3. Load the whole estate again and run the cloud guardrails (its DR copies count against
   the capacity of the clouds they land on); on any problem the file is restored byte for byte.
4. Pin the tenant's subnets in `ipam.lock.yaml` (the lock keeps every existing block).
5. The plan change it causes, from `planning.tenant_changes`: its creations.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govops.cloud.args import Quotas
from govops.errors import BadInput, GovopsError

MLPS_LEVELS = range(1, 6)
DEFAULT_QUOTAS = Quotas(vcpu=16, ram_gb=64, volume_gb=1024, floating_ips=0)
DEFAULT_NETWORK = "main"
TENANTS_SECTION = re.compile(r"^tenants\s*:", re.MULTILINE)


@dataclass(frozen=True)
class NetworkRequest:
    name: str
    public_ports: tuple[int, ...] = ()


@dataclass(frozen=True)
class TenantRequest:
    """What `tenant add` was asked for, parsed but not yet checked against the estate."""

    department: str
    system: str
    cloud: str
    mlps: int
    dr_level: int
    quotas: Quotas = DEFAULT_QUOTAS
    networks: tuple[NetworkRequest, ...] = (NetworkRequest(DEFAULT_NETWORK),)
    contacts: tuple[str, ...] = ()
    display_name: str = ""

    @property
    def name(self) -> str:
        return f"{self.department}-{self.system}"


def parse_quotas(text: str | None) -> Quotas:
    """'vcpu=32,ram_gb=128' → Quotas (unnamed dimensions keep their defaults)."""
    from govops.estate.errors import did_you_mean

    if not text:
        return DEFAULT_QUOTAS
    values = {d: getattr(DEFAULT_QUOTAS, d) for d in Quotas.DIMENSIONS}
    problems = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if key not in values:
            problems.append(f"--quota: unknown dimension {key!r}"
                            f"{did_you_mean(key, Quotas.DIMENSIONS)}: use "
                            f"{', '.join(Quotas.DIMENSIONS)}")
            continue
        if not sep or not value.strip().isdigit():
            problems.append(f"--quota: {key} needs a whole number, as in {key}=16")
            continue
        values[key] = int(value)
    if problems:
        raise BadInput("\n".join(problems))
    return Quotas(**values)


def parse_network(text: str) -> NetworkRequest:
    """'app' or 'web:80,443' → NetworkRequest; BadInput when malformed."""
    from govops.estate.model import identifier_problem

    name, _, ports = text.partition(":")
    name = name.strip()
    problem = identifier_problem(name, dns=True)
    if problem:
        raise BadInput(f"--network {text!r}: {problem}; as in app or web:80,443")
    out = []
    for port in (p.strip() for p in ports.split(",") if p.strip()):
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise BadInput(f"--network {text!r}: port {port!r} is not 1-65535")
        out.append(int(port))
    return NetworkRequest(name, tuple(dict.fromkeys(out)))


def check_request(request: TenantRequest, estate: Any) -> None:
    """Every problem of the request against the estate at once (BadInput, exit 2)."""
    from govops.estate.errors import did_you_mean
    from govops.estate.model import identifier_problem

    problems = []
    # the estate model's own check, so the YAML and this command accept the same values
    for what, value in (("--department", request.department), ("--system", request.system)):
        problem = identifier_problem(value, dns=True)
        if problem:
            problems.append(f"{what}: {problem}")
    if request.name in estate.tenants:
        problems.append(f"tenant {request.name} already exists in {estate.directory}: choose "
                        "another --system, or edit the existing tenant")
    if request.cloud not in estate.clouds:
        problems.append(f"unknown cloud {request.cloud!r}"
                        f"{did_you_mean(request.cloud, estate.clouds)}: use one of "
                        f"{', '.join(estate.clouds)}")
    if request.mlps not in MLPS_LEVELS:
        problems.append(f"--mlps {request.mlps}: the MLPS (等保) level is 1 to 5")
    if request.dr_level not in estate.policy.dr_levels:
        levels = ", ".join(str(k) for k in estate.policy.dr_levels)
        problems.append(f"--dr-level {request.dr_level}: the DR level is one of {levels} "
                        "(policy/dr-levels.yaml)")
    names = [n.name for n in request.networks]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"--network {dup} is given twice: give each network once")
    if problems:
        raise BadInput("\n".join(problems))


def tenants_file(estate_dir: Path) -> Path:
    """The estate file holding `tenants:` (tenants.yaml first), or tenants.yaml to create."""
    from govops.estate.loader import estate_files

    files = estate_files(estate_dir)
    holders = [p for p in files if TENANTS_SECTION.search(p.read_text(encoding="utf-8"))]
    preferred = [p for p in holders if p.name in ("tenants.yaml", "tenants.yml")]
    if preferred:
        return preferred[0]
    if holders:
        return holders[-1]
    return estate_dir / "tenants.yaml"


def _yaml(text: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    _, indent, block_seq_indent = load_yaml_guess_indent(text) if text.strip() else (None, 4, 2)
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=indent or 4, offset=block_seq_indent or 2)
    return yaml


def _flow(data: dict[str, Any]) -> Any:
    from ruamel.yaml.comments import CommentedMap

    m = CommentedMap(data)
    m.fa.set_flow_style()
    return m


def render_entry(request: TenantRequest, flow: bool) -> Any:
    """The tenant as a ruamel mapping, in the estate's field order."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    nets = CommentedSeq()
    for n in request.networks:
        net: dict[str, Any] = {"name": n.name}
        if n.public_ports or flow:
            ports = CommentedSeq(n.public_ports)
            ports.fa.set_flow_style()
            net["public_ports"] = ports
        nets.append(_flow(net))
    entry = CommentedMap()
    entry["department"] = request.department
    entry["system"] = request.system
    if request.display_name:
        entry["display_name"] = request.display_name
    entry["cloud"] = request.cloud
    entry["mlps"] = request.mlps
    entry["dr_level"] = request.dr_level
    entry["quotas"] = _flow({d: getattr(request.quotas, d) for d in Quotas.DIMENSIONS})
    entry["networks"] = nets
    if request.contacts:
        contacts = CommentedSeq(request.contacts)
        contacts.fa.set_flow_style()
        entry["contacts"] = contacts
    if flow:
        entry.fa.set_flow_style()
        nets.fa.set_flow_style()
    return entry


def _detach_trailing_comments(node: Any) -> list[Any]:
    """Remove and return the comment lines that follow a block entry (a note on what comes
    after it, e.g. the next section's header): ruamel keeps them inside the entry's last
    value, where an appended entry would end up below them."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    found: list[Any] = []
    while isinstance(node, (CommentedMap, CommentedSeq)) and len(node) and \
            not node.fa.flow_style():
        if isinstance(node, CommentedMap):
            key = list(node)[-1]
            slot = node.ca.items.get(key)
            token = slot[2] if slot and len(slot) > 2 else None
            if token is not None and "\n" in token.value:
                eol, _, rest = token.value.partition("\n")
                if rest:
                    found.append(CommentToken(rest, CommentMark(0), None))
                    slot[2] = CommentToken(eol + "\n", token.start_mark, None) if eol else None
            node = node[key]
        else:
            if node.ca.end:
                found.extend(node.ca.end)
                node.ca.end = []
            node = node[-1]
    return found


def append_text(text: str, request: TenantRequest) -> str:
    """`text` (a YAML estate file) with the tenant appended to its `tenants:` list."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = _yaml(text)
    data = yaml.load(text) if text.strip() else None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise BadInput("the tenants file's top level is not a mapping: fix the file")
    tenants = data.get("tenants")
    if tenants is None:
        tenants = data["tenants"] = CommentedSeq()
    if not isinstance(tenants, CommentedSeq):
        raise BadInput('"tenants" is not a list in the tenants file: fix the file')
    flow = bool(tenants) and isinstance(tenants[-1], CommentedMap) and \
        tenants[-1].fa.flow_style()
    trailing = _detach_trailing_comments(tenants[-1]) if tenants else []
    tenants.append(render_entry(request, flow))
    if trailing:
        tenants.ca.end = [*trailing, *(tenants.ca.end or [])]
        if tenants.ca.comment is None:  # ruamel emits `end` only with a comment slot
            tenants.ca.comment = [None, None]
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


@dataclass
class AddResult:
    """What `tenant add` did."""

    tenant: str
    file: Path
    lock: Path
    stack: str
    subnets: dict[str, dict[str, str | None]]
    replicas: list[dict[str, str | None]]
    changes: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        from govops.cloud import diff

        return {"tenant": self.tenant, "file": str(self.file), "lock": str(self.lock),
                "stack": self.stack, "subnets": self.subnets, "replicas": self.replicas,
                "summary": diff.summary(self.changes), "changes": self.changes}


def add_tenant(estate_dir: str | Path, request: TenantRequest, *,
               unsigned: bool = False) -> AddResult:
    """Add the tenant to the estate, pin its subnets, return the plan change it causes (a
    system administrator's job: the gate runs before anything is written)."""
    from govops.audit import audited
    from govops.cloud import planning
    from govops.estate import lockfile
    from govops.estate.loader import load_estate

    root = Path(estate_dir)
    loaded = load_estate(root)
    check_request(request, loaded)  # rejected before anything is written: no audit record
    from govops.operators.roles import act

    act(root, "tenant add", unsigned=unsigned)
    path = tenants_file(root)
    with audited("tenant add", estate_dir=root, tenants=[request.name],
                 artefacts=[path, Path(loaded.lock_path)]) as audit:
        before = path.read_text(encoding="utf-8") if path.exists() else None
        path.write_text(append_text(before or "", request), encoding="utf-8")
        try:
            specs = planning.load_specs(root)
            specs.check()
        except GovopsError:
            if before is None:
                path.unlink()
            else:
                path.write_text(before, encoding="utf-8")
            audit.discard()  # the estate is as it was: a rejected request leaves no record
            raise
        estate = specs.estate
        lock = Path(estate.lock_path)
        staged = lockfile.stage(lock, estate.allocation)
        if staged is not None:  # moved into place once the audit record is written
            audit.stage(lock, staged)
        args = next(t for t in specs.tenants if t.name == request.name)
        stack, changes = planning.tenant_changes(specs, request.name)
        audit.detail.update(cloud=request.cloud, stack=stack, mlps=request.mlps,
                            dr_level=request.dr_level, changes=len(changes))
    return AddResult(
        tenant=request.name, file=path, lock=lock, stack=stack,
        subnets={n.name: {"ipv4": n.ipv4_cidr, "ipv6": n.ipv6_cidr} for n in args.networks},
        replicas=[{"role": r.role, "cloud": r.cloud, "site": r.availability_zone}
                  for r in args.replicas],
        changes=changes)
