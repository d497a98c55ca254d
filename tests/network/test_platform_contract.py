"""One contract, every platform (as napalm runs one getter suite over all its drivers): each
platform found by the registry renders, normalises, diffs and reads its displays the same
way. A new vendor folder in govops/network/platforms/ is tested here without a new test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from govops.errors import BadInput
from govops.estate.model import OwnedSection
from govops.estate.views import mgmt_port, port_name
from govops.network.diff import diff_device, driver_for, normalise
from govops.network.platforms import PlatformSpec, platform_spec, platforms
from govops.network.render import templates_dir
from govops.network.scope import physical
from tests.network.conftest import VENDOR_DEVICES

PLATFORMS = sorted(platforms())


@pytest.fixture(params=PLATFORMS)
def spec(request: pytest.FixtureRequest) -> PlatformSpec:
    return platform_spec(request.param)


def test_the_four_platforms_are_registered() -> None:
    assert {"frr", "huawei_vrp", "h3c_comware", "cisco_ios"} <= set(PLATFORMS)
    with pytest.raises(BadInput, match='platform "ruijie" is not supported: use one of'):
        platform_spec("ruijie")


def test_spec_is_complete(spec: PlatformSpec) -> None:
    assert (templates_dir() / spec.templates / "device.j2").is_file()
    assert spec.negation.endswith(" ") and spec.section_exit
    for pattern in spec.views.values():
        re.compile(pattern)
    assert set(spec.scope.prunable) <= set(OwnedSection.__args__)
    assert driver_for(spec.name) is driver_for(spec.name)  # one instance per process


def test_every_model_names_its_ports_for_the_estate(spec: PlatformSpec) -> None:
    """The estate names ports from the same table (models.toml); every name a model gives is
    a physical port to the managed scope (never removed), and never the management port."""
    assert spec.default_model.name in spec.models
    assert port_name(spec.name, 3, 10_000) == spec.default_model.port(3, 10_000)
    assert mgmt_port(spec.name) == spec.default_model.mgmt
    for model in spec.models.values():
        names = {port_name(spec.name, i, mbps, model.name)
                 for i in (1, 2, 3) for mbps in (100, 1_000, 10_000, 100_000)}
        assert model.mgmt not in names, model.name
        assert mgmt_port(spec.name, model.name) == model.mgmt
        if not spec.scope.owns_all:
            assert all(physical(spec.scope, n) for n in names | {model.mgmt}), model.name
    if not spec.scope.owns_all:
        assert not physical(spec.scope, "LoopBack0")


def test_rendered_config_is_in_sync_with_itself(spec: PlatformSpec, vendor_intended) -> None:
    text = vendor_intended[spec.name]
    assert normalise(spec.name, normalise(spec.name, text)) == normalise(spec.name, text)
    d = diff_device(spec.name, text, text, device="x")
    assert d.changes == [] and d.unmanaged == 0 and not d.error


def test_blank_device_gets_the_whole_intent(spec: PlatformSpec, vendor_intended) -> None:
    intended = vendor_intended[spec.name]
    d = diff_device(spec.name, "", intended)
    wanted = {ln.strip() for ln in normalise(spec.name, intended).splitlines()}
    removals = {c.strip() for c in d.changes if c.strip().startswith(spec.negation)}
    assert d.changes and removals <= wanted  # only the intent's own `no …`/`undo …` lines


def test_a_removed_physical_port_is_never_deleted(spec: PlatformSpec, vendor_intended) -> None:
    """A port the intent no longer has keeps existing: govops' lines in it are negated."""
    name = spec.default_model.port(9, 10_000)
    extra = (f"interface {name}\n description uplink to gone (10G)\n"
             f" ip address 198.18.99.1 255.255.255.254\n")
    intended = vendor_intended[spec.name]
    running = _insert_section(spec, intended, extra)
    changes = diff_device(spec.name, running, intended).changes
    assert f"{spec.negation}interface {name}" not in [c.strip() for c in changes]
    assert f"interface {name}" in changes


def _insert_section(spec: PlatformSpec, text: str, section: str) -> str:
    separator = "!" if spec.section_exit == "exit" else "#"
    if spec.name == "frr":
        section = section.replace(" 255.255.255.254", "/31") + "exit\n"
    head, _, tail = text.partition(f"\n{separator}\n")
    return f"{head}\n{separator}\n{section}{separator}\n{tail}"


#: Platforms whose configs hold site lines govops leaves alone (the others, FRR and IOS-like
#: lab routers, are owned whole); platforms with display parsers (the others' live drivers
#: read their state themselves). Every platform is asked for what it declares: no skips.
SCOPED = [p for p in PLATFORMS if not platform_spec(p).scope.owns_all]
WITH_DISPLAYS = [p for p in PLATFORMS if platform_spec(p).displays]


def test_a_live_driver_without_parsers_reads_state_itself() -> None:
    import importlib

    for name in set(PLATFORMS) - set(WITH_DISPLAYS):
        live = platform_spec(name).live_driver
        if live is None:  # render and diff only: nothing to verify on a device yet
            continue
        module, cls = live.split(":")
        assert callable(getattr(importlib.import_module(module), cls).get_state), name


@pytest.mark.parametrize("name", SCOPED)
def test_unmanaged_site_lines_are_left_alone(name: str, vendor_intended) -> None:
    spec = platform_spec(name)
    site = "#\nsnmp-agent community read cipher x\ninfo-center loghost 10.9.9.9\n" \
           "ntp-service unicast-server 10.9.9.8\n"
    running = vendor_intended[spec.name].replace("\nreturn", site + "return")
    d = diff_device(spec.name, running, vendor_intended[spec.name])
    assert d.changes == [] and d.unmanaged == 2  # the community is a secret: not compared


@pytest.mark.parametrize("name", WITH_DISPLAYS)
def test_displays_have_templates_and_recorded_outputs(name: str) -> None:
    spec = platform_spec(name)
    recorded = Path(__file__).parent / spec.name / "displays"
    for display in spec.displays:
        folder = recorded / display.command.replace(" ", "_")
        assert sorted(folder.glob("*.txt")), f"{display.command}: no recorded output"


def test_live_driver_is_importable_when_declared(spec: PlatformSpec) -> None:
    from govops.network.drivers.registry import driver_for as live

    if spec.live_driver is None:
        with pytest.raises(BadInput, match="no live driver"):
            live(spec.name)
    else:
        assert live(spec.name).__name__ == spec.live_driver.split(":")[1]


def test_vendor_devices_cover_every_platform() -> None:
    assert set(VENDOR_DEVICES) == set(PLATFORMS)
