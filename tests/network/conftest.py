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


#: The lab device that stands in for each vendor in the vendor tests (its platform switched).
VENDOR_DEVICES = {"huawei_vrp": "egress-1", "h3c_comware": "town-tianhe-a",
                  "cisco_ios": "egress-2", "frr": "town-tianhe-b"}


def vendor_estate_copy(target: Path, models: dict[str, str] | None = None) -> Path:
    """A copy of inventories/lab in `target` whose VENDOR_DEVICES run their platform, each
    of the device `models` given (platform → model; the platform's default otherwise)."""
    import re
    import shutil

    shutil.copytree(ROOT / "inventories" / "lab", target / "estate")
    shutil.copytree(ROOT / "inventories" / "policy", target / "policy")
    path = target / "estate" / "network.yaml"
    lines = []
    for line in path.read_text().splitlines(keepends=True):
        for platform, name in VENDOR_DEVICES.items():
            if re.search(rf"name:\s*{re.escape(name)}\b", line):
                model = f", model: {models[platform]}" if platform in (models or {}) else ""
                line = re.sub(r"platform:\s*\w+", f"platform: {platform}{model}", line)
        lines.append(line)
    path.write_text("".join(lines))
    return target / "estate"


@pytest.fixture(scope="session")
def vendor_estate(tmp_path_factory: pytest.TempPathFactory) -> Estate:
    """The lab estate with one device per platform (VENDOR_DEVICES), loaded once."""
    return load_estate(vendor_estate_copy(tmp_path_factory.mktemp("vendor")))


@pytest.fixture(scope="session")
def vendor_intended(vendor_estate: Estate) -> dict[str, str]:
    """The rendered intent of each VENDOR_DEVICES device, by platform."""
    from govops.network.render import render_all

    configs = render_all(vendor_estate, list(VENDOR_DEVICES.values()), validate=True)
    return {platform: configs[name] for platform, name in VENDOR_DEVICES.items()}
