"""`ipam.lock.yaml`: the pinned allocations, read and written deterministically."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from govops.estate.errors import EstateError, Problem
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
    """Read the lock, or an empty one when the file does not exist."""
    if not path.exists():
        return LockData()
    try:
        source = load_yaml(path)
    except SourceProblem as exc:
        raise EstateError([exc.problem]) from exc
    data = source.data or {}
    if not isinstance(data, dict) or data.get("version") != 1:
        raise EstateError([Problem(str(path), 1, "not a version-1 lock file: delete it and run "
                                   "govops estate lock")])
    return LockData(
        prefixes={k: dict(v or {}) for k, v in (data.get("prefixes") or {}).items()},
        ports={k: dict(v or {}) for k, v in (data.get("ports") or {}).items()},
        areas=dict(data.get("areas") or {}),
        source=source,
    )


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
                              default_flow_style=False)


def write(path: Path, allocation: Allocation) -> bool:
    """Write the lock atomically; returns True when the content changed."""
    text = render(allocation)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".ipam.lock.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)
    return True
