"""The offline cloud plan of an estate: specs → guardrails → mock plan per stack → changes.

`plan_estate` is what `govops cloud plan` runs: it loads the estate, turns it into one
`StackSpec` per cloud (`govops.cloud.from_estate`), runs every guardrail over every tenant
(a violation raises `GuardrailError`, exit 1, before anything is planned), plans each wanted
stack with the real program (`govops.cloud.program.build_stack`) under Pulumi's mocks
(`govops.cloud.mockplan`), and compares each plan with the stack's saved plan.

Saved plans live **with the estate**, in `<estate>/.plans/<stack>.json` (or `--plans DIR`):
a saved plan is the approved state of that estate's stacks, so it travels with the estate the
way `ipam.lock.yaml` does — a copy of the estate (a review branch, a temporary copy in a test)
compares against its own saved plans and never overwrites another estate's. The folder is
hidden so that Ansible, which reads `inventories/<estate>/` as an inventory directory, skips
it. See `docs/adr/0005-cloud-stacks.md`.

`stack config` (`write_stacks`) writes what a real `pulumi up` of the `stacks/` project needs:
`Pulumi.<stack>.yaml` (the spec file and the `clouds.yaml` entry) and `specs/<stack>.json`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govops.cloud import diff, guardrails, mockplan
from govops.cloud.args import CloudArgs, StackSpec, TenantArgs
from govops.cloud.from_estate import estate_args
from govops.errors import BadInput
from govops.estate.errors import did_you_mean
from govops.estate.estate import Estate

PROJECT = "govops-cloud"
"""The Pulumi project name of `stacks/Pulumi.yaml`: part of every URN."""
PLANS_DIR = ".plans"
PROVIDER_TYPE = "pulumi:providers:openstack"


@dataclass
class StackPlan:
    """One stack's mock plan and its changes against the saved plan."""

    stack: str
    resources: list[mockplan.Resource]
    changes: list[dict[str, Any]]
    saved_plan: Path
    had_saved_plan: bool
    seconds: float
    saved: bool = False
    #: Resources in the saved plan compared against (0 when there was none).
    saved_count: int = 0

    def to_json(self) -> dict[str, Any]:
        """Counts and changes; no resource records (they carry no `op`, and are large)."""
        return {
            "stack": self.stack,
            "resources": len(self.resources),
            "by_type": dict(mockplan.count_by(self.resources, "type")),
            "by_tenant": dict(mockplan.count_by(self.resources, "tenant")),
            "saved_plan": str(self.saved_plan),
            "compared_with_saved_plan": self.had_saved_plan,
            "saved": self.saved,
            "seconds": round(self.seconds, 3),
            "summary": diff.summary(self.changes),
            "changes": self.changes,
        }


@dataclass
class EstatePlan:
    """Every planned stack of an estate."""

    estate: str
    plans_dir: Path
    stacks: list[StackPlan] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        total = dict.fromkeys(diff.OPS, 0)
        for s in self.stacks:
            for op, n in diff.summary(s.changes).items():
                total[op] += n
        return {"estate": self.estate, "plans_dir": str(self.plans_dir),
                "resources": sum(len(s.resources) for s in self.stacks),
                "summary": total, "stacks": [s.to_json() for s in self.stacks]}


@dataclass(frozen=True)
class EstateSpecs:
    """An estate as component arguments: clouds, tenants and one spec per cloud."""

    estate: Estate
    clouds: tuple[CloudArgs, ...]
    tenants: tuple[TenantArgs, ...]

    @property
    def stacks(self) -> list[str]:
        return [c.name for c in self.clouds]

    def spec(self, stack: str, tenants: Sequence[TenantArgs] | None = None) -> StackSpec:
        """The spec of one stack (every tenant, or the ones given)."""
        return StackSpec(cloud=stack, clouds=self.clouds,
                         tenants=tuple(self.tenants if tenants is None else tenants))

    def check(self) -> None:
        """Every guardrail over every tenant; GuardrailError (exit 1) lists each violation."""
        guardrails.enforce(self.clouds, self.tenants)


def load_specs(estate_dir: str | Path) -> EstateSpecs:
    """Load and validate the estate (BadInput with every problem) and map it to specs."""
    from govops.estate.loader import load_estate

    estate = load_estate(estate_dir)
    clouds, tenants = estate_args(estate)
    return EstateSpecs(estate, clouds, tenants)


def select_stacks(specs: EstateSpecs, stack: str) -> list[str]:
    """`all` → every stack in estate order; a cloud name → that one; else BadInput."""
    if stack == "all":
        return specs.stacks
    if stack not in specs.stacks:
        raise BadInput(f"no stack {stack!r}{did_you_mean(stack, specs.stacks)}: the stacks are "
                       f"the estate's clouds: {', '.join(specs.stacks)} (or all)")
    return [stack]


def default_plans_dir(estate_dir: str | Path) -> Path:
    """`<estate>/.plans`: saved plans follow the estate they were made from."""
    return Path(estate_dir) / PLANS_DIR


def run_stack(spec: StackSpec) -> list[mockplan.Resource]:
    """The mock plan of one stack: every resource the real program registers."""
    from govops.cloud.program import build_stack

    return mockplan.run(lambda: build_stack(spec), project=PROJECT, stack=spec.cloud)


#: A plan that deletes more than this share of a stack's saved resources refuses to go on
#: (an emptied or truncated estate file looks exactly like "delete everything").
DELETE_SHARE = 0.20


class DeletionGuard(BadInput):
    """A plan deletes more of a stack than the guard allows (exit 2: check the estate)."""


def deletion_problems(stacks: Sequence[StackPlan], allow_deletes: int,
                      share: float = DELETE_SHARE) -> list[str]:
    """One line per stack whose plan deletes more than `share` of its saved resources and
    more than `allow_deletes` resources."""
    found = []
    for plan in stacks:
        deletes = diff.summary(plan.changes)["delete"]
        if not deletes or deletes <= allow_deletes:
            continue
        saved = plan.saved_count or deletes
        if deletes / saved > share:
            found.append(
                f"stack {plan.stack}: the plan deletes {deletes} of its {saved} saved resources "
                f"({100 * deletes / saved:.0f} %, above the {100 * share:g} % guard): check the "
                f"estate (an emptied or truncated file?), or pass --allow-deletes {deletes} if "
                "the deletions are meant")
    return found


def plan_estate(estate_dir: str | Path, stack: str = "all", plans_dir: str | Path | None = None,
                save: bool = False,
                progress: Callable[[str], None] | None = None, *,
                allow_deletes: int = 0, delete_share: float = DELETE_SHARE) -> EstatePlan:
    """Guardrails, then the mock plan of each wanted stack against its saved plan.

    A plan that deletes more than `delete_share` of a stack's saved resources, and more than
    `allow_deletes`, raises DeletionGuard before anything is saved. With `save`, each planned
    stack's plan becomes its saved plan (after the comparison, so the changes shown are the
    ones being approved). With `all`, a saved plan whose cloud is no longer in the estate is
    reported as deleting everything (and removed by `save`).
    """
    specs = load_specs(estate_dir)
    wanted = select_stacks(specs, stack)
    specs.check()
    folder = Path(plans_dir) if plans_dir is not None else default_plans_dir(estate_dir)
    result = EstatePlan(estate=str(estate_dir), plans_dir=folder)
    for name in wanted:
        if progress is not None:
            progress(name)
        start = time.perf_counter()
        resources = run_stack(specs.spec(name))
        path = folder / f"{name}.json"
        previous = diff.load(path)
        plan = StackPlan(stack=name, resources=resources, changes=diff.diff(resources, previous),
                         saved_plan=path, had_saved_plan=previous is not None,
                         seconds=time.perf_counter() - start,
                         saved_count=len(previous["resources"]) if previous else 0)
        result.stacks.append(plan)
    if stack == "all":
        result.stacks.extend(_orphans(folder, wanted))
    problems = deletion_problems(result.stacks, allow_deletes, delete_share)
    if problems:
        raise DeletionGuard("\n".join([*problems, "nothing was saved"] if save else problems))
    if save:
        for plan in result.stacks:
            if plan.stack in wanted:
                diff.save(plan.saved_plan, plan.resources, plan.stack)
            else:
                plan.saved_plan.unlink()
            plan.saved = True
    return result


def _orphans(folder: Path, stacks: Sequence[str]) -> list[StackPlan]:
    """Saved plans of stacks whose cloud left the estate: every resource is a delete."""
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if path.stem in stacks:
            continue
        previous = diff.load(path)
        found.append(StackPlan(stack=path.stem, resources=[], changes=diff.diff([], previous),
                               saved_plan=path, had_saved_plan=True, seconds=0.0,
                               saved_count=len(previous["resources"]) if previous else 0))
    return found


def tenant_changes(specs: EstateSpecs, tenant: str) -> tuple[str, list[dict[str, Any]]]:
    """(stack, changes) that adding `tenant` to the estate causes: the plan difference.

    A tenant's resources depend on its own arguments and its clouds' platforms only, never on
    other tenants, so the difference between the stack's plan with and without the tenant is
    the difference between "platform + tenant" and "platform alone" — two small plans instead
    of two plans of the whole cloud. The one shared thing a tenant can add is the provider of a
    cloud that holds its DR copy; it is dropped when another tenant of the stack needs it too.
    """
    args = next(t for t in specs.tenants if t.name == tenant)
    home = args.cloud
    with_it = run_stack(specs.spec(home, [args]))
    without = run_stack(specs.spec(home, []))
    changes = diff.diff(with_it, without)
    others = {r.cloud for t in specs.tenants if t.cloud == home and t.name != tenant
              for r in t.replicas if r.cloud != home}
    shared = {f"{c}-provider" for c in others}
    return home, [c for c in changes
                  if not (c["type"] == PROVIDER_TYPE and c["name"] in shared)]


# --- stack config for the real `stacks/` project ---------------------------------------------

def estate_ref(path: str | Path) -> str:
    """An estate folder as written in generated files: relative to the checkout if inside it."""
    from govops.paths import REPO_ROOT

    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(resolved)


def stack_config(stack: str, cloud: CloudArgs, estate: str) -> str:
    """The text of `Pulumi.<stack>.yaml`."""
    return (f"# Generated by `govops cloud stacks` from {estate}: do not edit, regenerate.\n"
            "config:\n"
            f"  govops:spec: specs/{stack}.json\n"
            f"  openstack:cloud: {cloud.os_cloud or cloud.name}\n")


def spec_text(spec: StackSpec) -> str:
    """The text of `specs/<stack>.json` (sorted keys: byte-identical for the same estate)."""
    return json.dumps(spec.to_dict(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _write(path: Path, text: str) -> bool:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True


@dataclass
class WrittenStacks:
    """What `write_stacks` wrote: per stack its two files and whether they changed."""

    directory: Path
    files: dict[str, list[str]] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"directory": str(self.directory), "stacks": self.files,
                "changed": self.changed, "stale": self.stale}


def write_stacks(specs: EstateSpecs, directory: str | Path,
                 stacks: Iterable[str] | None = None) -> WrittenStacks:
    """Write `Pulumi.<stack>.yaml` and `specs/<stack>.json` for each stack (all by default).

    Deterministic: the same estate writes the same bytes; unchanged files are not rewritten.
    Stack files of clouds no longer in the estate are listed as `stale`, never deleted (their
    stacks may still hold resources: destroy them first).
    """
    folder = Path(directory)
    ref = estate_ref(specs.estate.directory)
    result = WrittenStacks(directory=folder)
    clouds = {c.name: c for c in specs.clouds}
    for name in (list(stacks) if stacks is not None else specs.stacks):
        config = folder / f"Pulumi.{name}.yaml"
        spec_file = folder / "specs" / f"{name}.json"
        changed = _write(config, stack_config(name, clouds[name], ref))
        changed = _write(spec_file, spec_text(specs.spec(name))) or changed
        result.files[name] = [str(config), str(spec_file)]
        if changed:
            result.changed.append(name)
    for path in sorted(folder.glob("Pulumi.*.yaml")):
        name = path.name[len("Pulumi."):-len(".yaml")]
        if name not in clouds:
            result.stale.append(str(path))
    return result


