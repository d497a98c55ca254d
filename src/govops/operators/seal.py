"""The security administrators' seal on the policy tables, the waivers and the estate's
settings (ADR 0018).

Security administrators change the registry, the policy tables (`dr-levels.yaml`,
`bandwidth.yaml`, `placement.yaml`) and the waived rules (today `single_homed:` on a node). The
files are edited in the estate repository like everything else, so the registry — which only a
security administrator can sign — carries a seal: the SM3 of each policy table and of the list
of waivers. A system administrator's command (the gate, `roles.act`) refuses to run while the
tables or waivers differ from the seal, naming what changed, until a security administrator
runs `govops operators seal-policy`. A registry without a seal (made before this, or a lab's)
enforces nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from govops.audit.sm3 import sm3_hex
from govops.audit.trail import canonical


def tables(estate_dir: Path) -> dict[str, str]:
    """SM3 of each policy table the estate uses (`policy/<name>`)."""
    from govops.estate.policy import POLICY_FILES, find_policy_dir

    try:
        folder = find_policy_dir(Path(estate_dir))
    except Exception:  # noqa: BLE001 - no policy folder: load_estate reports it
        return {}
    return {f"policy/{name}": sm3_hex((folder / name).read_bytes())
            for name in POLICY_FILES if (folder / name).is_file()}


def waivers(estate_dir: Path) -> list[list[str]]:
    """[node, rule, reason] for every waived rule written in the estate's files (read as
    plain YAML: the gate runs before, and without, a full load)."""
    from govops.estate.loader import estate_files

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found = []
    for path in estate_files(Path(estate_dir)):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # load_estate names the file
        nodes = data.get("nodes") if isinstance(data, dict) else None
        for node in nodes if isinstance(nodes, list) else []:
            if isinstance(node, dict) and str(node.get("single_homed") or "").strip():
                found.append([str(node.get("name")), "single_homed",
                              str(node["single_homed"]).strip()])
    return sorted(found)


def settings(estate_dir: Path) -> dict[str, Any]:
    """The estate's settings (`lab`, `change_approval`, `change_expiry`): sealed too, so that
    deleting `change_approval: required` from province.yaml does not switch approval off."""
    from govops.estate.settings import read_settings

    found = read_settings(Path(estate_dir))
    return {"lab": found.lab, "change_approval": found.change_approval,
            "change_expiry_s": found.change_expiry_s}


def current(estate_dir: Path) -> dict[str, Any]:
    """The seal the estate would get now (without who and when)."""
    listed = waivers(estate_dir)
    return {"tables": tables(estate_dir), "waivers": sm3_hex(canonical(listed)),
            "waived": len(listed), "settings": settings(estate_dir)}


def differences(seal: dict[str, Any], estate_dir: Path) -> list[str]:
    """What differs from the seal: changed/added/removed tables, changed waivers."""
    now = current(estate_dir)
    sealed = seal.get("tables") or {}
    def how(name: str) -> str:
        return ("changed" if name in sealed and name in now["tables"] else
                "added" if name in now["tables"] else "removed")

    out = [f"{name} {how(name)}" for name in sorted(set(sealed) | set(now["tables"]))
           if sealed.get(name) != now["tables"].get(name)]
    if seal.get("waivers") != now["waivers"]:
        out.append(f"the waived rules changed ({seal.get('waived')} sealed, {now['waived']} now)")
    sealed_settings = seal.get("settings")
    if isinstance(sealed_settings, dict):
        out += [f"province.yaml {key}: {sealed_settings.get(key)} sealed, {value} now"
                for key, value in now["settings"].items() if sealed_settings.get(key) != value]
    return out
