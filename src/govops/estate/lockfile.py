"""`ipam.lock.yaml`: the pinned allocations, read and written deterministically."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from govops.errors import BadInput
from govops.estate.errors import EstateError, Problem, display_path
from govops.estate.ipam import Allocation
from govops.estate.source import SourceFile, SourceProblem, load_yaml

LOCK_NAME = "ipam.lock.yaml"
HEADER = (
    "# Pinned by `govops estate lock`: every allocation here is kept on later locks.\n"
    "# Do not edit by hand; remove an entry only with `govops estate lock --prune`.\n"
)


@dataclass
class LockData:
    """What the lock file holds; empty when there is no lock yet."""

    prefixes: dict[str, dict[str, str]] = field(default_factory=dict)
    ports: dict[str, dict[str, int]] = field(default_factory=dict)
    areas: dict[str, int] = field(default_factory=dict)
    source: SourceFile | None = None


def read(path: Path) -> LockData:
    """Read the lock, or an empty one when the file does not exist; EstateError (every problem,
    located) when it is damaged: unreadable, a duplicate key, a wrong shape, a port or area
    number given twice on one device."""
    if not path.exists() and not path.is_symlink():
        return LockData()
    try:
        source = load_yaml(path)
    except SourceProblem as exc:
        raise EstateError([exc.problem]) from exc
    data = source.data or {}
    if not isinstance(data, dict) or data.get("version") != 1:
        raise EstateError([Problem(str(path), 1, "not a version-1 lock file: delete it and run "
                                   "govops estate lock")])
    problems = list(source.problems)
    prefixes = {pool: _entries(source, ("prefixes", pool), table, str, problems)
                for pool, table in _mapping(source, ("prefixes",), data.get("prefixes"), problems).items()}
    ports = {node: _entries(source, ("ports", node), table, int, problems)
             for node, table in _mapping(source, ("ports",), data.get("ports"), problems).items()}
    areas = _entries(source, ("areas",), data.get("areas"), int, problems)
    for node, table in ports.items():
        problems.extend(_reused(source, ("ports", node), table, f'device "{node}": port',
                                "two interfaces would share one number"))
    problems.extend(_reused(source, ("areas",), areas, "OSPF area",
                            "two cities would share one area"))
    if problems:
        raise EstateError(problems)
    return LockData(prefixes=prefixes, ports=ports, areas=areas, source=source)


def _mapping(source: SourceFile, where: tuple, value: object, problems: list[Problem]) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(source.problem(where, f"lock: {'.'.join(map(str, where))} must be a "
                                       "mapping: delete the lock file and run govops estate lock"))
        return {}
    if all(type(k) is str for k in value):
        return dict(value)
    return {str(k): v for k, v in value.items()}


def _entries(source: SourceFile, where: tuple, value: object, kind: type,
             problems: list[Problem]) -> dict:
    """A `{key: value}` table of the lock, every value of type `kind`."""
    table = _mapping(source, where, value, problems)
    if all(type(item) is kind for item in table.values()):
        return table
    for key, item in list(table.items()):
        if not isinstance(item, kind) or isinstance(item, bool):
            word = "a number" if kind is int else "a prefix"
            problems.append(source.problem((*where, key), f"lock: {'.'.join(map(str, where))} "
                                           f'entry "{key}": {item!r} is not {word}: delete the '
                                           "entry and run govops estate lock"))
            del table[key]
    return table


def _reused(source: SourceFile, where: tuple, table: dict[str, int], what: str,
            harm: str) -> list[Problem]:
    """Problems for every number given to two keys of one table (a port, an area)."""
    holder: dict[int, str] = {}
    found = []
    for key, number in table.items():
        if number in holder:
            first = holder[number]
            found.append(source.problem((*where, key), f'lock: {what} {number} is given to both '
                                        f'"{first}" (line {source.line_of((*where, first))}) and '
                                        f'"{key}": {harm}; delete one entry and run govops '
                                        "estate lock"))
        else:
            holder[number] = key
    return found


def render(allocation: Allocation) -> str:
    """The lock file's text for an allocation: sorted pools, keys in allocation order."""
    body = {
        "version": 1,
        "prefixes": {pool: allocation.prefixes[pool] for pool in sorted(allocation.prefixes)},
        "ports": allocation.ports,
        "areas": allocation.areas,
    }
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return HEADER + yaml.dump(body, Dumper=dumper, sort_keys=False, width=200,
                              default_flow_style=False, allow_unicode=True)


def stage(path: Path, allocation: Allocation) -> Path | None:
    """Write the new lock beside `path` (a hidden temporary file, fsynced) and return it; None
    when the lock would not change. The caller moves it into place (`os.replace`), after the
    audit record (`audited.stage`)."""
    text = render(allocation)
    try:
        if path.exists() and path.read_text(encoding="utf-8") == text:
            return None
    except (OSError, UnicodeDecodeError):
        pass  # an unreadable old lock was reported when it was read; replace it
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ipam.lock.", suffix=".tmp")
    except OSError as exc:
        raise BadInput(f"{display_path(str(path))}: cannot write the lock beside it "
                       f"({exc.strerror or exc}): make the estate folder writable") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        os.unlink(tmp)
        raise BadInput(f"{display_path(str(path))}: cannot write the lock ({exc.strerror or exc}): "
                       "free space in the estate folder") from None
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


def write(path: Path, allocation: Allocation) -> bool:
    """Write the lock atomically; returns True when the content changed."""
    tmp = stage(path, allocation)
    if tmp is None:
        return False
    os.replace(tmp, path)
    return True
