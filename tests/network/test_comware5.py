"""H3C Comware 5 gets Comware 5 config (issue 14): a model with `flavour = "comware5"`
(MSR2630) renders the V5.20 dialect, which the normaliser, managed scope and lint read, and
a real Comware 5 box's running config diffs to that intent inside managed scope. Sources of
the dialect: src/govops/network/platforms/h3c_comware/SOURCES.md."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from govops.estate.errors import EstateError
from govops.estate.estate import Estate
from govops.estate.loader import load_estate
from govops.network.diff import applied, diff_device, normalise, peer_networks, remediation
from govops.network.render import render_all
from tests.conftest import ROOT
from tests.network.test_golden import check
from tests.network.test_real_configs import DENY, OTHER_PROCESS, SITE_LINES, as_device_prints

HERE = Path(__file__).resolve().parent
#: Lab routers made MSR 26-30s (Comware 5), and why each is here.
COMWARE5 = {
    "town-tianhe-a": "a town with the isolated plane: VPN instance, plane OSPF, ACL 3900",
    "town-tianhe-b": "a town of the extranet only: LAN origination (the simulated MSR 26-30)",
    "egress-1": "an egress: eBGP to the carriers with BFD, aggregates, next-hop-local",
    "prov-core-2": "a route reflector: peer groups in the BGP view and in `ipv6-family`",
}
#: The real Comware 5 running configs of part 1 (sources in their SOURCES.md).
REAL5 = sorted((HERE / "h3c_comware" / "real").glob("*comware5.cfg"))
#: Lines only Comware 7 knows: a Comware 5 box refuses each (`% Unrecognized command`).
COMWARE7_ONLY = re.compile(
    r"^\s*(address-family |line |acl (ipv6 )?(advanced|basic) |ip prefix-list |"
    r"ipv6 prefix-list |if-match ip address prefix-list |ntp-service enable$|"
    r"ntp-service ipv6 |user-role |authorization-attribute user-role |local-user \S+ class |"
    r"route-replicate |ip public-instance$|ospf \d+ area |ospfv3 bfd |"
    r"info-center source \S+ (?!channel ))", re.M)


def comware5_estate_copy(target: Path, names: list[str]) -> Path:
    """inventories/lab with `names` made H3C MSR 26-30s (Comware 5)."""
    shutil.copytree(ROOT / "inventories" / "lab", target / "estate")
    shutil.copytree(ROOT / "inventories" / "policy", target / "policy")
    path = target / "estate" / "network.yaml"
    lines = []
    for line in path.read_text().splitlines(keepends=True):
        if any(re.search(rf"name:\s*{re.escape(n)}\b", line) for n in names):
            line = re.sub(r"platform:\s*\w+", "platform: h3c_comware, model: MSR2630", line)
        lines.append(line)
    path.write_text("".join(lines))
    return target / "estate"


@pytest.fixture(scope="module")
def estate5(tmp_path_factory: pytest.TempPathFactory) -> Estate:
    return load_estate(comware5_estate_copy(tmp_path_factory.mktemp("c5"), list(COMWARE5)))


@pytest.fixture(scope="module")
def intent5(estate5: Estate) -> dict[str, str]:
    """The rendered (and linted) intent of each COMWARE5 router."""
    return render_all(estate5, list(COMWARE5), validate=True)


@pytest.mark.parametrize("name", sorted(COMWARE5))
def test_golden(intent5, name: str) -> None:
    """tests/network/golden/msr2630-<name>.cfg (GOVOPS_UPDATE_GOLDEN=1 regenerates them)."""
    check(f"msr2630-{name}", intent5[name])


@pytest.mark.parametrize("name", sorted(COMWARE5))
def test_no_comware7_only_line(intent5, name: str) -> None:
    found = [m.group(0).strip() for m in COMWARE7_ONLY.finditer(intent5[name])]
    assert found == [], f"{name}: Comware 7 lines a Comware 5 box refuses: {found}"


def test_the_dialect(intent5) -> None:
    """What Comware 5 gets instead, line by line (a reader's contract; the goldens show all)."""
    town, egress, rr = intent5["town-tianhe-a"], intent5["egress-1"], intent5["prov-core-2"]
    assert town.startswith("#\nsysname town-tianhe-a\n#\nipv6\n#\nfirewall enable\n")
    # OSPF: `network` in the area view; the interfaces carry no `ospf 1 area`
    assert re.search(r"^ospf 1 router-id \S+\n bandwidth-reference 100000\n area 0\.0\.0\.1\n"
                     r"  network 198\.18\.0\.19 0\.0\.0\.0\n  network 198\.18\.64\.56 0\.0\.0\.1\n",
                     town, re.M)
    assert re.search(r"^ospf 200 router-id \S+ vpn-instance isolated\n(?: .*\n)*?"
                     r"  network 198\.18\.16\.0 0\.0\.0\.15\n", town, re.M)
    # a VPN instance without address families, prefix lists and ACLs in V5 spelling
    assert "ip vpn-instance isolated\n route-distinguisher 65000:200\n description " in town
    assert "\nip ip-prefix ISOLATED-V4 index 10 permit" in town
    assert "\nip ipv6-prefix ISOLATED-V6 index 10 permit" in town
    assert " if-match ip-prefix ISOLATED-V4\n" in town
    assert "\nacl number 3900\n" in town and "\nacl ipv6 number 3900\n" in town
    assert " firewall packet-filter 3900 inbound\n firewall packet-filter 3900 outbound\n" in town
    # management
    assert "user-interface vty 0 4\n authentication-mode scheme\n protocol inbound ssh\n" in town
    assert "local-user netops\n service-type ssh\n authorization-attribute level 3\n" in town
    assert "info-center source default channel 2 log level informational\n" in town
    # BGP: IPv4 in the BGP view, IPv6 in `ipv6-family`, no `peer … enable`
    assert re.search(r"^bgp 65000\n router-id \S+\n undo synchronization\n peer 198\.18\.0\.1 "
                     r"as-number 65000\n", town, re.M)
    assert "\n #\n ipv6-family\n  undo synchronization\n  peer 2001:db8::1 as-number 65000\n" in town
    # eBGP: BFD for the IPv4 session only; IPv6 static routes without a description
    assert re.findall(r"^ +peer (\S+) bfd$", egress, re.M) == ["198.18.64.93"]
    assert re.search(r"^  peer 2001:db8::1 next-hop-local$", egress, re.M)
    assert "\nipv6 route-static 2001:db8:: 32 NULL0\n" in egress
    assert " group RR-CLIENTS-V4 internal\n" in rr and "  group RR-CLIENTS-V6 internal\n" in rr
    assert re.search(r"^  peer \S+ group RR-CLIENTS-V6$", rr, re.M)


@pytest.mark.parametrize("name", sorted(COMWARE5))
def test_intent_printed_by_a_comware5_box_is_in_sync(intent5, name: str) -> None:
    printed = as_device_prints("h3c_comware", intent5[name], "comware5")
    d = diff_device("h3c_comware", printed, intent5[name])
    assert d.changes == [] and not d.error, d.changes


@pytest.mark.parametrize("path", REAL5, ids=lambda p: p.stem)
def test_real_comware5_config_diffs_to_the_intent_in_scope(estate5, intent5, path: Path) -> None:
    """A real Comware 5 box's running config as town-tianhe-b's: nothing outside managed
    scope is touched, the intent is added, and applying the changes reaches it with every
    site line still there."""
    intended, running = intent5["town-tianhe-b"], path.read_text()
    networks = peer_networks(estate5)
    d = diff_device("h3c_comware", running, intended, peer_networks=networks)
    assert d.changes and d.unmanaged > 0 and not d.error
    denied = [c for c in d.changes
              if DENY["h3c_comware"].match(c) or OTHER_PROCESS.match(c)]
    assert denied == [], denied
    assert not [c for c in d.changes if re.match(r"^undo interface ", c)]
    assert not [c for c in d.changes if COMWARE7_ONLY.match(c)]
    after = applied("h3c_comware", running, d.changes)
    assert diff_device("h3c_comware", after, intended, peer_networks=networks).changes == []
    site = [" ".join(ln.split()) for ln in normalise("h3c_comware", running).splitlines()
            if SITE_LINES.match(ln)]
    kept = {" ".join(ln.split()) for ln in after.splitlines()}
    assert [ln for ln in site if ln not in kept] == []


def test_ipv6_is_turned_on_before_any_ipv6_line(intent5) -> None:
    """Comware 5 forwards no IPv6 until `ipv6` in system view: the remediation from a blank
    box sends it before the first IPv6 address."""
    blank = (HERE / "h3c_comware" / "real" / "msr2630_comware5.cfg").read_text()
    changes = remediation("h3c_comware", blank, intent5["town-tianhe-b"])
    first6 = next(i for i, c in enumerate(changes) if c.strip().startswith("ipv6 address"))
    assert changes.index("ipv6") < first6


def test_a_removed_ipv6_peer_is_undone_in_ipv6_family(intent5) -> None:
    """Comware 5 defines an IPv6 peer inside `ipv6-family`: it is removed there, with one
    `undo peer X` (which takes its other lines with it)."""
    intended = intent5["town-tianhe-b"]
    stale = intended.replace(
        "  peer 2001:db8::2 description prov-core-2\n",
        "  peer 2001:db8::2 description prov-core-2\n"
        "  peer 2001:db8::99 as-number 65000\n  peer 2001:db8::99 connect-interface LoopBack0\n"
        "  peer 2001:db8::99 route-policy EXTRANET-V6 import\n")
    assert stale != intended
    changes = remediation("h3c_comware", stale, intended)
    assert changes == ["bgp 65000", " ipv6-family", "  undo peer 2001:db8::99", " quit", "quit"]


def test_a_leak_at_a_comware5_router_is_refused(tmp_path: Path) -> None:
    """route-replicate is Comware 7's: the estate names the router, the model and the fix."""
    with pytest.raises(EstateError) as caught:
        load_estate(comware5_estate_copy(tmp_path, ["prov-core-1"]))
    messages = [p.message for p in caught.value.problems]
    assert any('"prov-core-1" is an MSR2630 on H3C Comware 5' in m and "route-replicate" in m
               and "Comware 7 model" in m for m in messages), messages
    assert all(Path(p.file).name == "planes.yaml" for p in caught.value.problems)
