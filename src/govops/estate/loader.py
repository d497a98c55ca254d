"""Read an estate folder: every YAML file, merged by section, validated, addresses allocated.

Sections may be split across files (`nodes:` in several files are concatenated). All problems
are gathered and raised together as one EstateError; nothing downstream sees an invalid estate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from govops.errors import BadInput
from govops.estate import lockfile, rules, topology
from govops.estate.errors import EstateError, Problem, did_you_mean
from govops.estate.estate import Estate
from govops.estate.model import (
    Cloud,
    Host,
    Ipam,
    LinkDecl,
    NetworkSettings,
    Node,
    Province,
    Site,
    Tenant,
)
from govops.estate.policy import load_policy
from govops.estate.source import SourceFile, SourceProblem, load_yaml

SINGLETONS: dict[str, type[BaseModel]] = {
    "province": Province,
    "network": NetworkSettings,
    "ipam": Ipam,
}
LISTS: dict[str, type[BaseModel]] = {
    "sites": Site,
    "clouds": Cloud,
    "tenants": Tenant,
    "nodes": Node,
    "links": LinkDecl,
    "hosts": Host,
}
#: A file with a top-level `plugin:` is an Ansible inventory source for this estate.
ANSIBLE_KEYS = {"plugin", "estate", "strict", "compose", "groups", "keyed_groups", "cache"}
ANSIBLE_PLUGIN = "govops_estate"


@dataclass
class Located:
    """A validated object and where it was written."""

    obj: Any
    source: SourceFile
    path: tuple[Any, ...]

    def problem(self, message: str, *subpath: Any) -> Problem:
        """A problem at this object, or at `subpath` inside it."""
        return self.source.problem((*self.path, *subpath), message)


@dataclass
class Collected:
    """Everything read from the files, before cross-checks."""

    singletons: dict[str, Located] = field(default_factory=dict)
    lists: dict[str, list[Located]] = field(default_factory=lambda: {k: [] for k in LISTS})


@cache
def _list_adapter(model: type[BaseModel]) -> TypeAdapter:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _label(section: str, item: Any) -> str:
    if isinstance(item, dict):
        name = item.get("name") or (
            f"{item.get('department')}-{item.get('system')}" if section == "tenants" else None
        )
        if section == "links" and item.get("a"):
            name = f"{item.get('a')}~{item.get('b')}"
        if name:
            return f'{section[:-1]} "{name}": '
    return ""


def _read_list(
    section: str, items: Any, source: SourceFile, out: list[Located], problems: list[Problem]
) -> None:
    from govops.estate.validation import pydantic_problems

    model = LISTS[section]
    if not isinstance(items, list):
        problems.append(source.problem((section,), f'"{section}" must be a list of mappings'))
        return
    try:
        objs = _list_adapter(model).validate_python(items)
    except ValidationError:
        objs = None
    if objs is not None:
        out.extend(Located(o, source, (section, i)) for i, o in enumerate(objs))
        return
    for i, item in enumerate(items):
        try:
            out.append(Located(model.model_validate(item), source, (section, i)))
        except ValidationError as exc:
            problems.extend(
                pydantic_problems(exc, source, (section, i), model, _label(section, item))
            )


def _read_file(source: SourceFile, collected: Collected, problems: list[Problem]) -> None:
    from govops.estate.validation import pydantic_problems

    data = source.data
    if data is None:
        return
    if not isinstance(data, dict):
        problems.append(source.problem((), "the top level must be a mapping of sections"))
        return
    if "plugin" in data:  # an Ansible inventory source: check its shape, nothing more
        for key in data:
            if key not in ANSIBLE_KEYS:
                problems.append(
                    source.problem((key,), f'unknown field "{key}"{did_you_mean(str(key), ANSIBLE_KEYS)} '
                                   "in an inventory plugin file: remove it")
                )
        if data.get("plugin") != ANSIBLE_PLUGIN:
            problems.append(source.problem(("plugin",), f'plugin must be "{ANSIBLE_PLUGIN}"'))
        return
    known = [*SINGLETONS, *LISTS]
    for key, value in data.items():
        if key in SINGLETONS:
            if key in collected.singletons:
                first = collected.singletons[key]
                problems.append(
                    source.problem((key,), f'section "{key}" is already defined at '
                                   f"{first.problem('').file}:{first.source.line_of(first.path)}: keep one")
                )
                continue
            try:
                obj = SINGLETONS[key].model_validate(value if value is not None else {})
            except ValidationError as exc:
                problems.extend(pydantic_problems(exc, source, (key,), SINGLETONS[key], f"{key}: "))
                continue
            collected.singletons[key] = Located(obj, source, (key,))
        elif key in LISTS:
            _read_list(key, value if value is not None else [], source, collected.lists[key], problems)
        else:
            hint = did_you_mean(str(key), known) or f" (sections: {', '.join(known)})"
            problems.append(source.problem((key,), f'unknown field "{key}"{hint}: remove it or '
                                           "fix its spelling"))


def estate_files(directory: Path) -> list[Path]:
    """The YAML files that make up an estate (the lock and the policy folder excluded)."""
    return sorted(
        p for p in directory.iterdir()
        if p.is_file() and p.suffix in (".yaml", ".yml") and p.name != lockfile.LOCK_NAME
    )


def load_estate(directory: str | Path, prune: bool = False) -> Estate:
    """Load, validate and allocate an estate; raise EstateError with every problem found."""
    root = Path(directory)
    if not root.is_dir():
        raise BadInput(f"estate {root}: no such directory: pass an estate folder such as "
                       "inventories/lab")
    problems: list[Problem] = []
    sources: list[SourceFile] = []
    files = estate_files(root)
    if not files:
        raise BadInput(f"estate {root}: no YAML files: write province.yaml, sites.yaml, ... there "
                       "or generate one with govops estate generate")
    for path in files:
        try:
            sources.append(load_yaml(path))
        except SourceProblem as exc:
            problems.append(exc.problem)
    try:
        policy = load_policy(root)
    except EstateError as exc:
        problems.extend(exc.problems)
        policy = None
    collected = Collected()
    for source in sources:
        _read_file(source, collected, problems)
    for key in SINGLETONS:
        if key not in collected.singletons:
            problems.append(Problem(str(root / f"{key}.yaml"), 1,
                                    f'no "{key}:" section in any file of {root}: add one'))
    if problems or policy is None:
        raise EstateError(problems)
    estate = rules.build_checked(root, collected, policy, problems)
    if problems or estate is None:
        raise EstateError(problems)
    lock = lockfile.read(root / lockfile.LOCK_NAME)
    allocation = topology.allocate(estate, lock, prune, problems, collected)
    if problems:
        raise EstateError(problems)
    estate.allocation = allocation
    estate.files = [s.path for s in sources]
    return estate
