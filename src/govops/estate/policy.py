"""Policy tables that users edit: DR levels → objectives, default bandwidth per level, DR distance.

They live in `inventories/policy/` (or a `policy/` folder inside an estate, which wins), never
in code: GB/T 20988-2007 was replaced by GB/T 20988-2025 and provinces set their own numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govops.estate.errors import EstateError, Problem
from govops.estate.model import Bandwidth, bandwidth_mbps
from govops.estate.source import SourceFile, SourceProblem, load_yaml
from govops.estate.validation import pydantic_problems

POLICY_FILES = ("dr-levels.yaml", "bandwidth.yaml", "placement.yaml")


class DrLevel(BaseModel):
    """Objectives of one DR capability level."""

    model_config = ConfigDict(extra="forbid")
    name: str
    rto_s: float = Field(ge=0)
    rpo_s: float = Field(ge=0)
    description: str = ""


class DrLevelsFile(BaseModel):
    """`dr-levels.yaml`."""

    model_config = ConfigDict(extra="forbid")
    standard: str
    levels: dict[int, DrLevel]


class BandwidthFile(BaseModel):
    """`bandwidth.yaml`: uplink bandwidth by the level of the node that uplinks."""

    model_config = ConfigDict(extra="forbid")
    uplink: dict[str, Bandwidth]
    peer: dict[str, Bandwidth] = Field(default_factory=dict)


class PlacementFile(BaseModel):
    """`placement.yaml`: where DR sites may be."""

    model_config = ConfigDict(extra="forbid")
    remote_dr_min_km: float = Field(default=200, ge=0)


@dataclass(frozen=True)
class Policy:
    """The policy tables in force for one estate."""

    directory: str
    standard: str
    dr_levels: dict[int, DrLevel]
    uplink_mbps: dict[str, int]
    peer_mbps: dict[str, int]
    remote_dr_min_km: float


def find_policy_dir(estate_dir: Path) -> Path:
    """`<estate>/policy` if present, else the sibling `<estate>/../policy`."""
    for candidate in (estate_dir / "policy", estate_dir.parent / "policy"):
        if (candidate / "dr-levels.yaml").is_file():
            return candidate
    raise EstateError(
        [
            Problem(
                str(estate_dir),
                1,
                "no policy tables (dr-levels.yaml, bandwidth.yaml, placement.yaml) in "
                f"{estate_dir / 'policy'} or {estate_dir.parent / 'policy'}: copy inventories/policy",
            )
        ]
    )


def _parse(model: type[BaseModel], source: SourceFile, problems: list[Problem]) -> BaseModel | None:
    try:
        return model.model_validate(source.data or {})
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, source, ()))
        return None


def load_policy(estate_dir: Path) -> Policy:
    """Load and validate the policy tables for an estate; EstateError lists every problem."""
    directory = find_policy_dir(estate_dir)
    problems: list[Problem] = []
    parsed: dict[str, BaseModel | None] = {}
    for name, model in zip(POLICY_FILES, (DrLevelsFile, BandwidthFile, PlacementFile), strict=True):
        path = directory / name
        if not path.is_file():
            if name == "placement.yaml":
                parsed[name] = PlacementFile()
                continue
            problems.append(Problem(str(path), 1, f"policy table {name} is missing: restore it"))
            continue
        try:
            source = load_yaml(path)
            problems.extend(source.problems)
            parsed[name] = _parse(model, source, problems)
        except SourceProblem as exc:
            problems.append(exc.problem)
    if problems:
        raise EstateError(problems)
    dr, bw, placement = (parsed[n] for n in POLICY_FILES)
    assert isinstance(dr, DrLevelsFile) and isinstance(bw, BandwidthFile)
    assert isinstance(placement, PlacementFile)
    return Policy(
        directory=str(directory),
        standard=dr.standard,
        dr_levels=dict(sorted(dr.levels.items())),
        uplink_mbps={k: bandwidth_mbps(v) for k, v in bw.uplink.items()},
        peer_mbps={k: bandwidth_mbps(v) for k, v in bw.peer.items()},
        remote_dr_min_km=placement.remote_dr_min_km,
    )
