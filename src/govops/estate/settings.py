"""Estate-wide settings written as top-level keys of `province.yaml` (issue 18):

    lab: true                  # the estate the local lab runs: `--unsigned` allowed on it
    change_approval: required  # production: net push / cloud up|destroy need an approved change
    change_expiry: 24h         # how long an approved change stays valid (default 24h)

An estate that says both `lab: true` and `change_approval: required` is treated as production:
the stricter rule wins. `read_settings` reads only `province.yaml`, so a command can decide who
may act before it loads (or even reads) the rest of the estate; the loader checks the same keys
with FILE:LINE problems.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from govops.errors import BadInput

#: Top-level keys of province.yaml that are settings, not model sections.
KEYS = ("lab", "change_approval", "change_expiry")
SETTINGS_FILE = "province.yaml"
APPROVAL_VALUES = ("required", "none")
DEFAULT_EXPIRY_S = 24 * 3600
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class EstateSettings:
    """What `province.yaml` says about who may change the estate and how."""

    lab: bool = False
    change_approval: str = "none"
    change_expiry_s: int = DEFAULT_EXPIRY_S

    @property
    def approval_required(self) -> bool:
        return self.change_approval == "required"

    @property
    def is_lab(self) -> bool:
        """A lab estate for the relaxations (`--unsigned`, a registry from GOVOPS_LAB_OPERATORS):
        marked `lab: true` and not production (`change_approval: required`)."""
        return self.lab and not self.approval_required


def parse_duration(text: Any) -> int:
    """`90m`, `12h`, `7d`, `3600s` (or a number of seconds) → seconds; ValueError if not."""
    if isinstance(text, bool):
        raise ValueError("expected a duration such as 8h, 90m or 2d")
    if isinstance(text, int) and text > 0:
        return text
    match = re.fullmatch(r"\s*(\d+)\s*([smhd])\s*", str(text))
    if not match or int(match[1]) <= 0:
        raise ValueError("expected a duration such as 8h, 90m or 2d")
    return int(match[1]) * _UNITS[match[2]]


def check_value(key: str, value: Any) -> Any:
    """The checked value of setting `key`; ValueError (one phrase) when it is wrong."""
    if key == "lab":
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return value
    if key == "change_approval":
        if value not in APPROVAL_VALUES:
            raise ValueError(f"expected {' or '.join(APPROVAL_VALUES)}")
        return value
    if key == "change_expiry":
        return parse_duration(value)
    raise KeyError(key)


def from_mapping(data: dict[str, Any]) -> EstateSettings:
    """Settings from the top-level mapping of province.yaml (unknown keys ignored)."""
    values = {k: check_value(k, data[k]) for k in KEYS if k in data}
    return EstateSettings(lab=values.get("lab", False),
                          change_approval=values.get("change_approval", "none"),
                          change_expiry_s=values.get("change_expiry", DEFAULT_EXPIRY_S))


def read_settings(estate_dir: Path) -> EstateSettings:
    """The settings of the estate in `estate_dir` (defaults when it has no province.yaml).
    BadInput naming the file when province.yaml cannot be read or a setting is wrong."""
    path = Path(estate_dir) / SETTINGS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return EstateSettings()
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise BadInput(f"{path}: not readable YAML ({first})") from None
    if not isinstance(data, dict):
        return EstateSettings()
    try:
        return from_mapping(data)
    except ValueError as exc:
        key = next(k for k in KEYS if k in data and _bad(k, data[k]))
        raise BadInput(f"{path}: {key}: {exc}") from None


def _bad(key: str, value: Any) -> bool:
    try:
        check_value(key, value)
    except ValueError:
        return True
    return False
