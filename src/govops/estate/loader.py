"""Read an estate folder: every YAML file, merged by section, validated, addresses allocated.

Sections may be split across files (`nodes:` in several files are concatenated), but never
written twice in one file. Nothing is lost silently: a duplicate key, an empty file, an empty
section, a symlink that loops or leaves the estate are each a located problem; `sites`,
`clouds`, `tenants` and `nodes` must be declared (`tenants: []` says "none" explicitly).

All problems are gathered and raised together as one EstateError; stages that do not depend on
each other (each file's schema, the policy tables, the lock file) all report before the
cross-checks, which run only on an estate whose every file was read.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from govops.errors import BadInput
from govops.estate import lockfile, rules, settings, topology
from govops.estate.errors import EstateError, Problem, did_you_mean
from govops.estate.estate import Estate
from govops.estate.model import (
    Cloud,
    Host,
    Ipam,
    LinkDecl,
    NetworkSettings,
    Node,
    PlaneDecl,
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
#: List sections every estate declares (possibly as an explicit empty list).
REQUIRED_LISTS = ("sites", "clouds", "tenants", "nodes")
LISTS: dict[str, type[BaseModel]] = {
    "sites": Site,
    "clouds": Cloud,
    "tenants": Tenant,
    "nodes": Node,
    "links": LinkDecl,
    "hosts": Host,
    "planes": PlaneDecl,
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
    #: Where each list section is written (FILE:LINE), and which are written as `[]`.
    declared: dict[str, list[str]] = field(default_factory=dict)
    empty: dict[str, str] = field(default_factory=dict)
    #: Top-level settings of province.yaml (`govops.estate.settings`), checked.
    settings: dict[str, Any] = field(default_factory=dict)

    def declare(self, section: str, source: SourceFile, items: Any) -> None:
        """Note that `section` is written in `source` (as an explicit empty list or not)."""
        where = f"{source.path}:{source.line_of((section,))}"
        self.declared.setdefault(section, []).append(where)
        if isinstance(items, list) and not items:
            self.empty.setdefault(section, where)


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


def _empty_file(source: SourceFile) -> Problem:
    return Problem(source.path, 1, "the file is empty: it defines nothing; write its sections "
                   "or delete the file (a section with no entries is written as, e.g., "
                   "`tenants: []`)")


def _read_file(source: SourceFile, collected: Collected, problems: list[Problem]) -> None:
    from govops.estate.validation import pydantic_problems

    data = source.data
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
    known = [*SINGLETONS, *LISTS, *settings.KEYS]
    for key, value in data.items():
        if key in settings.KEYS:
            _read_setting(source, key, value, collected, problems)
        elif key in SINGLETONS:
            collected.declared.setdefault(key, []).append(f"{source.path}:{source.line_of((key,))}")
            if key in collected.singletons:
                first = collected.singletons[key]
                problems.append(
                    source.problem((key,), f'section "{key}" is already defined at '
                                   f"{first.problem('').file}:{first.source.line_of(first.path)}: keep one")
                )
                continue
            if value is None:
                problems.append(source.problem((key,), f'section "{key}" is empty: fill it in '
                                               "or remove it"))
                continue
            try:
                obj = SINGLETONS[key].model_validate(value)
            except ValidationError as exc:
                problems.extend(pydantic_problems(exc, source, (key,), SINGLETONS[key], f"{key}: "))
                continue
            collected.singletons[key] = Located(obj, source, (key,))
        elif key in LISTS:
            collected.declare(key, source, value)
            if value is None:
                problems.append(source.problem((key,), f'section "{key}" is empty: list its '
                                               f"entries, or write `{key}: []` to say there "
                                               "are none"))
                continue
            _read_list(key, value, source, collected.lists[key], problems)
        else:
            hint = did_you_mean(str(key), known) or f" (sections: {', '.join(known)})"
            problems.append(source.problem((key,), f'unknown field "{key}"{hint}: remove it or '
                                           "fix its spelling"))


def _read_setting(source: SourceFile, key: str, value: Any, collected: Collected,
                  problems: list[Problem]) -> None:
    """A top-level setting (`lab`, `change_approval`, `change_expiry`): only in province.yaml,
    where `settings.read_settings` looks for it."""
    if Path(source.path).name != settings.SETTINGS_FILE:
        problems.append(source.problem((key,), f'"{key}" is a setting of the whole estate: '
                                       f"write it as a top-level key of {settings.SETTINGS_FILE}"))
        return
    try:
        collected.settings[key] = settings.check_value(key, value)
    except ValueError as exc:
        problems.append(source.problem((key,), f"{key}: {exc}"))


#: YAML files in an estate folder that are not part of the model: the IPAM lock and the signed
#: operator registry (`govops.operators.registry.REGISTRY_NAME`).
NOT_MODEL = (lockfile.LOCK_NAME, "operators.yaml")


def _candidates(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir()
                  if p.suffix in (".yaml", ".yml") and p.name not in NOT_MODEL)


def check_symlink(path: Path, root: Path) -> Problem | None:
    """A problem when `path` is a symlink that loops, dangles or leaves the estate `root`."""
    if not path.is_symlink():
        return None
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a loop, on Python < 3.13
        try:
            os.stat(path)
        except OSError as exc:
            if exc.errno != errno.ELOOP:
                return Problem(str(path), 1, f"symlink to {os.readlink(path)}, which does not "
                               "exist: remove it or restore its target")
        return Problem(str(path), 1, "symlink loops (it points, directly or not, at itself): "
                       "remove it")
    inside = root.resolve()
    if target != inside and inside not in target.parents:
        return Problem(str(path), 1, f"symlink points outside the estate (to {target}): copy "
                       "the file into the estate instead")
    return None


def estate_files(directory: Path) -> list[Path]:
    """The YAML files that make up an estate (the lock, the operator registry and the policy
    folder excluded); a symlink that loops, dangles or leaves the estate is left out
    (`load_estate` reports it)."""
    return [p for p in _candidates(directory)
            if check_symlink(p, directory) is None and p.is_file()]


def _read_sources(root: Path, problems: list[Problem]) -> tuple[list[SourceFile], bool]:
    """Every estate file parsed; (sources, True when every file could be read)."""
    sources: list[SourceFile] = []
    complete = True
    for path in _candidates(root):
        bad_link = check_symlink(path, root)
        if bad_link is not None:
            problems.append(bad_link)
            complete = False
            continue
        try:
            source = load_yaml(path)
        except SourceProblem as exc:
            problems.append(exc.problem)
            complete = False
            continue
        problems.extend(source.problems)
        if source.data is None or source.data == {}:
            problems.append(_empty_file(source))
            complete = False  # what it should define is missing: say so once, here
            continue
        sources.append(source)
    return sources, complete


def load_estate(directory: str | Path, prune: bool = False) -> Estate:
    """Load, validate and allocate an estate; raise EstateError with every problem found."""
    root = Path(directory)
    if not root.is_dir():
        raise BadInput(f"estate {root}: no such directory: pass an estate folder such as "
                       "inventories/lab")
    problems: list[Problem] = []
    try:
        if not _candidates(root):
            raise BadInput(f"estate {root}: no YAML files: write province.yaml, sites.yaml, ... "
                           "there or generate one with govops estate generate")
    except PermissionError:
        raise BadInput(f"estate {root}: the folder cannot be read (permission denied): let "
                       "govops read it") from None
    sources, complete = _read_sources(root, problems)
    try:
        policy = load_policy(root)
    except EstateError as exc:
        problems.extend(exc.problems)
        policy = None
    try:  # the lock is checked on its own too, so its problems come with the others
        lock = lockfile.read(root / lockfile.LOCK_NAME)
    except EstateError as exc:
        problems.extend(exc.problems)
        lock = None
    collected = Collected()
    for source in sources:
        _read_file(source, collected, problems)
    if complete:
        _check_declared(root, collected, problems)
    if problems or policy is None or lock is None:
        _pool_problems(collected, problems)
        raise EstateError(problems)
    estate = rules.build_checked(root, collected, policy, problems)
    if problems or estate is None:
        _pool_problems(collected, problems)
        raise EstateError(problems)
    allocation = topology.allocate(estate, lock, prune, problems, collected)
    if problems:
        raise EstateError(problems)
    estate.allocation = allocation
    estate.files = [s.path for s in sources]
    estate.settings = settings.from_mapping(collected.settings)
    # `tenants: []` in one file and tenants in another: the estate has tenants after all
    estate.empty_sections = {k: v for k, v in collected.empty.items() if not collected.lists[k]}
    return estate


def _pool_problems(collected: Collected, problems: list[Problem]) -> None:
    """The IPAM pools' own problems: they need only the ipam and province sections, so they are
    reported with the problems of other stages."""
    if "ipam" in collected.singletons and "province" in collected.singletons:
        topology.plan_pools(collected, problems)


def _check_declared(root: Path, collected: Collected, problems: list[Problem]) -> None:
    for key in SINGLETONS:
        if key not in collected.declared:
            problems.append(Problem(str(root / f"{key}.yaml"), 1,
                                    f'no "{key}:" section in any file of {root}: add one'))
    for key in REQUIRED_LISTS:
        if key not in collected.declared:
            problems.append(Problem(str(root / f"{key}.yaml"), 1,
                                    f'no "{key}:" section in any file of {root}: add one '
                                    f"(write `{key}: []` if the estate has none)"))
