"""Device models (issue 13): a VRP or Comware node renders the port names and line order its
model prints. Each model's fixture in tests/network/<platform>/models/ (sources in SOURCES.md
beside them) holds the management port, the first routed uplink port and the vty lines as
that model prints them; the lab's VENDOR_DEVICES are rendered as each model and compared."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from govops.estate.devices import device_model, model_table
from govops.estate.loader import load_estate
from govops.estate.views import port_name
from govops.network.diff import diff_device
from govops.network.render import render_device
from tests.network.conftest import VENDOR_DEVICES, vendor_estate_copy
from tests.network.test_real_configs import as_device_prints

HERE = Path(__file__).resolve().parent
MODELS = [(p, m) for p in ("huawei_vrp", "h3c_comware") for m in sorted(model_table(p).models)]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory):
    """(platform, model) → the rendered intent of that platform's vendor device."""
    cache: dict[tuple[str, str], str] = {}

    def render(platform: str, model: str) -> str:
        if (platform, model) not in cache:
            folder = tmp_path_factory.mktemp(f"{platform}-{model}")
            estate = load_estate(vendor_estate_copy(folder, {platform: model}))
            cache[platform, model] = render_device(estate, VENDOR_DEVICES[platform])
        return cache[platform, model]
    return render


def sections(text: str) -> dict[str, list[str]]:
    """Top-level section → its lines (one-space children), in the order printed."""
    out: dict[str, list[str]] = {}
    head = None
    for line in text.replace("\r\n", "\n").splitlines():
        if not line.strip() or line.startswith("#"):
            head = None
        elif line[0] != " ":
            head = line
            out[head] = []
        elif head is not None:
            out[head].append(line.strip())
    return out


def kind(line: str) -> str:
    """What a line sets, without its values: `undo portswitch`, `ip address`, `ospf`."""
    words = line.split()
    return " ".join(words[:2]) if words[0] in ("undo", "ip", "ipv6", "port", "user-role",
                                               "protocol", "authentication-mode") else words[0]


def order(lines: list[str], kinds: set[str]) -> list[str]:
    return list(dict.fromkeys(kind(ln) for ln in lines if kind(ln) in kinds))


@pytest.mark.parametrize(("platform", "model"), MODELS, ids=lambda x: x)
def test_rendered_ports_match_what_the_model_prints(platform: str, model: str,
                                                    rendered) -> None:
    fixture = sections((HERE / platform / "models" / f"{model}.cfg").read_text())
    ports = [h.removeprefix("interface ") for h in fixture if h.startswith("interface ")]
    routed = next(p for p in ports if any(k.startswith(("ip address", "description"))
                                         for k in fixture[f"interface {p}"][1:]))
    mgmt = next(p for p in ports if p != routed)
    intent = sections(rendered(platform, model))
    hw = device_model(platform, model)
    assert f"interface {routed}" in intent, f"{model}: no {routed} rendered"
    assert f"interface {mgmt}" in intent and hw.mgmt == mgmt
    want, got = fixture[f"interface {routed}"], intent[f"interface {routed}"]
    shared = {kind(ln) for ln in want} & {kind(ln) for ln in got}
    assert order(got, shared) == order(want, shared)
    # the lines that make the port routed and up come first, as the model prints them
    lead = [ln for ln in want if ln in ("undo portswitch", "port link-mode route",
                                        "undo shutdown")]
    assert got[:len(lead)] == lead
    vty = next(h for h in fixture if "vty" in h)
    assert intent[vty] == fixture[vty]


@pytest.mark.parametrize(("platform", "model"), MODELS, ids=lambda x: x)
def test_intent_as_the_model_prints_it_diffs_to_nothing(platform: str, model: str,
                                                        rendered) -> None:
    intent = rendered(platform, model)
    printed = as_device_prints(platform, intent, device_model(platform, model).flavour)
    d = diff_device(platform, printed, intent)
    assert d.changes == [] and not d.error


def test_port_tiers_by_link_speed() -> None:
    assert port_name("huawei_vrp", 1, 100_000, "CE6863") == "100GE1/0/1"
    assert port_name("huawei_vrp", 1, 25_000, "CE6863") == "25GE1/0/1"
    assert port_name("huawei_vrp", 1, 1_000, "CE6863") == "25GE1/0/1"
    assert port_name("huawei_vrp", 1, 1_000, "NE40E") == "GigabitEthernet0/1/0"
    assert port_name("huawei_vrp", 2, 10_000, "NE40E") == "GigabitEthernet0/2/1"
    assert port_name("h3c_comware", 3, 100_000, "S6850") == "HundredGigE1/0/3"
    assert port_name("huawei_vrp", 3, 10_000) == "XGigabitEthernet0/0/3"   # the default


def test_ce_undo_portswitch_comes_before_the_address(tmp_path: Path) -> None:
    """A CE port the site bridged (a trunk) becomes govops' uplink: `undo portswitch` is sent
    before `ip address`, or the CE refuses the address."""
    estate = load_estate(vendor_estate_copy(tmp_path, {"huawei_vrp": "CE6863"}))
    intent = render_device(estate, "egress-1")
    running = (HERE / "huawei_vrp" / "real" / "ce6881_dc_leaf.cfg").read_text()
    assert "interface 25GE1/0/1\n port link-type trunk" in running
    changes = diff_device("huawei_vrp", running, intent).changes
    start = changes.index("interface 25GE1/0/1")
    section = changes[start:changes.index("quit", start)]
    assert section[1:3] == [" undo portswitch", " undo shutdown"]
    assert all(section.index(" undo portswitch") < i for i, line in enumerate(section)
               if re.match(r" (ip|ipv6) ", line))


def test_every_model_has_a_fixture_with_its_sources() -> None:
    for platform, model in MODELS:
        folder = HERE / platform / "models"
        assert (folder / f"{model}.cfg").is_file(), f"{platform} {model}: no fixture"
        assert f"{model}.cfg" in (folder / "SOURCES.md").read_text(), model


@pytest.mark.parametrize(("platform", "model"), MODELS, ids=lambda x: x)
def test_every_real_fixture_stays_in_scope_for_every_model(platform: str, model: str,
                                                           rendered) -> None:
    """The model's port names and leading lines do not make the diff of a real running
    config reach outside managed scope (the deny-list of test_real_configs)."""
    from tests.network.test_real_configs import DENY, OTHER_PROCESS, REAL, _removed_ports

    intent = rendered(platform, model)
    for path in (p for p in REAL if p.parent.parent.name == platform):
        d = diff_device(platform, path.read_text(), intent)
        denied = [c for c in d.changes if DENY[platform].match(c) or OTHER_PROCESS.match(c)]
        assert not denied and not _removed_ports(platform, d.changes), (path.name, denied)
