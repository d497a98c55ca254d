"""The drills: Chaos Toolkit experiments in `dr-drills/<name>.json`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govops.errors import BadInput
from govops.paths import REPO_ROOT


def drills_dir() -> Path:
    """`dr-drills/` of the current directory when there is one, else of the checkout."""
    here = Path("dr-drills")
    return here.resolve() if here.is_dir() else REPO_ROOT / "dr-drills"


def names() -> list[str]:
    return sorted(p.stem for p in drills_dir().glob("*.json"))


def path_of(name: str) -> Path:
    return drills_dir() / f"{name}.json"


def load(name: str) -> tuple[Path, dict[str, Any]]:
    """The experiment file and its data; BadInput for an unknown drill."""
    path = path_of(name)
    if "/" in name or not path.is_file():
        known = ", ".join(names()) or "none"
        raise BadInput(f"unknown drill {name!r}: choose one of {known} (govops drill list)")
    try:
        return path, json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None


def extension(experiment: dict[str, Any]) -> dict[str, Any]:
    for ext in experiment.get("extensions", []) or []:
        if ext.get("name") == "govops":
            return ext
    return {}


def describe() -> list[dict[str, Any]]:
    """One line of facts per drill, for `govops drill list`."""
    rows = []
    for name in names():
        path, exp = load(name)
        ext = extension(exp)
        rows.append({"name": name, "title": exp.get("title", ""),
                     "summary": ext.get("summary", ""), "kind": ext.get("kind", "service"),
                     "requires": ext.get("requires", ["dc-lab"]),
                     "target": ext.get("target_objective", {}), "then": ext.get("then"),
                     "file": str(path)})
    return rows
