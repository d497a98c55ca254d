"""Shared fixtures: the repository root and a scratch copy of the committed inventories."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def lab_copy(tmp_path: Path) -> Path:
    """A writable copy of inventories/lab with the policy folder beside it; returns the lab dir."""
    shutil.copytree(ROOT / "inventories" / "policy", tmp_path / "policy")
    shutil.copytree(ROOT / "inventories" / "lab", tmp_path / "lab",
                    ignore=shutil.ignore_patterns("ansible.yml"))
    return tmp_path / "lab"


@pytest.fixture(scope="session")
def guangdong(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated Guangdong estate (read-only: copy it before editing)."""
    from govops.estate.generator import generate

    out = tmp_path_factory.mktemp("gd") / "guangdong"
    generate("guangdong", out)
    return out
