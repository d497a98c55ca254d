"""Fixtures for the network tests: loaded estates (lab and generated Guangdong)."""

from __future__ import annotations

from pathlib import Path

import pytest

from govops.estate.estate import Estate
from govops.estate.loader import load_estate
from tests.conftest import ROOT


@pytest.fixture(scope="session")
def lab_estate() -> Estate:
    """inventories/lab, loaded once."""
    return load_estate(ROOT / "inventories" / "lab")


@pytest.fixture(scope="session")
def gd_estate(guangdong: Path) -> Estate:
    """The generated Guangdong estate, loaded once."""
    return load_estate(guangdong)
