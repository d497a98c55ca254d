"""Planes (issue 15 point 3): declared or implicit, carried up to the core, one logical link
per plane per physical link in the lock, and located errors with a did-you-mean."""

from __future__ import annotations

import shutil
from pathlib import Path

from govops.estate import lockfile
from govops.estate.loader import load_estate
from tests.conftest import ROOT
from tests.estate.helpers import assert_problem, line_of, problems, replace


def test_lab_planes_are_declared_and_carried_to_the_core(lab_copy: Path) -> None:
    estate = load_estate(lab_copy)
    assert list(estate.planes) == ["extranet", "isolated"]
    assert estate.default_plane == "extranet"
    carry = {name: planes for name, planes in estate.carried.items() if "isolated" in planes}
    # the two isolated towns, their counties, those counties' cities, the core pair
    assert sorted(carry) == sorted([
        "town-tianhe-a", "town-nanhai-a", "cnty-tianhe-1", "cnty-tianhe-2", "cnty-nanhai-1",
        "cnty-nanhai-2", "city-gz-1", "city-gz-2", "city-fs-1", "city-fs-2",
        "prov-core-1", "prov-core-2"])
    assert estate.carried["town-tianhe-b"] == ("extranet",)
    link = next(x for x in estate.links if x.id == "cnty-tianhe-1~town-tianhe-a")
    assert link.planes == ("extranet", "isolated")
    ebgp = next(x for x in estate.links if x.kind == "ebgp")
    assert ebgp.planes == ("extranet",)


def test_adding_planes_moves_no_address(lab_copy: Path) -> None:
    """The lab locked without any plane gives every default-plane key the prefix the committed
    lock (with planes) pins: plane keys only ever come after."""
    (lab_copy / "planes.yaml").unlink()
    net = lab_copy / "network.yaml"
    net.write_text(net.read_text().replace("planes: [extranet, isolated],", "")
                   .replace(", planes: [extranet, isolated]", ""))
    (lab_copy / lockfile.LOCK_NAME).unlink()
    plain = load_estate(lab_copy).allocation.prefixes
    committed = lockfile.read(ROOT / "inventories" / "lab" / lockfile.LOCK_NAME).prefixes
    for pool, table in plain.items():
        for key, prefix in table.items():
            assert committed[pool][key] == prefix, (pool, key)
    extra = {k for pool in committed.values() for k in pool} - {
        k for pool in plain.values() for k in pool}
    assert extra and all("@" in k or k.startswith("town-") for k in extra)


def test_implicit_planes_without_a_planes_section(lab_copy: Path) -> None:
    (lab_copy / "planes.yaml").unlink()
    estate = load_estate(lab_copy)
    assert list(estate.planes) == ["extranet", "isolated"]
    assert not any(p.declared for p in estate.planes.values())
    assert estate.planes["isolated"].id == 200
    assert estate.planes["isolated"].pool("lan-v4") == "isolated-v4"


def test_unknown_plane_on_a_node_is_located_with_a_suggestion(lab_copy: Path) -> None:
    net = lab_copy / "network.yaml"
    replace(net, "uplinks: [cnty-nanhai-1, cnty-nanhai-2], planes: [extranet, isolated]",
            "uplinks: [cnty-nanhai-1, cnty-nanhai-2], planes: [extranet, isolatd]")
    found = problems(lab_copy)
    assert_problem(found, net, line_of(net, "planes: [extranet, isolatd]"),
                   'unknown plane "isolatd"', 'did you mean "isolated"')


def test_plane_declaration_mistakes_are_each_located(lab_copy: Path) -> None:
    planes = lab_copy / "planes.yaml"
    replace(planes, "pools: {lan-v4: isolated-v4, lan-v6: isolated-v6}",
            "pools: {lan-v4: isolatd-v4, lan-v6: isolated-v6}")
    replace(planes, "{at: prov-core-1, to: extranet,", "{at: town-tianhe-b, to: extranett,")
    replace(planes, "    default: true\n", "    default: true\n    id: 7\n")
    found = problems(lab_copy)
    assert_problem(found, planes, line_of(planes, "isolatd-v4"), 'pool "isolatd-v4"',
                   'did you mean "isolated-v4"')
    assert_problem(found, planes, line_of(planes, "town-tianhe-b"), '"extranett" is not another '
                   'plane', 'did you mean "extranet"')
    assert_problem(found, planes, line_of(planes, "default: true"), "the default plane is the "
                   "global routing table")


def test_two_defaults_and_a_leak_at_a_router_without_the_plane(lab_copy: Path) -> None:
    planes = lab_copy / "planes.yaml"
    replace(planes, "    mlps: 3\n    id: 200", "    mlps: 3\n    default: true\n    id: 200")
    found = problems(lab_copy)
    assert any("a second default plane" in p.message for p in found)
    shutil.copy(ROOT / "inventories" / "lab" / "planes.yaml", planes)
    replace(planes, "{at: prov-core-1,", "{at: town-tianhe-b,")
    found = problems(lab_copy)
    assert_problem(found, planes, line_of(planes, "town-tianhe-b"),
                   '"town-tianhe-b" does not carry plane isolated')


def test_a_link_restricted_to_one_plane(lab_copy: Path) -> None:
    """The older `plane: isolated` on a link now means what it says: only that plane rides it."""
    net = lab_copy / "network.yaml"
    replace(net, "{a: cnty-tianhe-1, b: cnty-tianhe-2}",
            "{a: cnty-tianhe-1, b: cnty-tianhe-2, plane: isolated}")
    estate = load_estate(lab_copy)
    link = next(x for x in estate.links if x.id == "cnty-tianhe-1~cnty-tianhe-2")
    assert link.planes == ("isolated",) and link.only == ("isolated",)
    from govops.network.render import render_device, render_plane

    extranet = render_device(estate, "cnty-tianhe-1")
    assert "peer to cnty-tianhe-2" not in extranet  # the default plane does not ride it
    assert "peer to cnty-tianhe-2 (10G), plane isolated" in render_plane(
        estate, "cnty-tianhe-1", "isolated")
    replace(net, "plane: isolated}", "plane: isolated, planes: [isolated]}")
    assert any("either plane: NAME or planes" in p.message for p in problems(lab_copy))


def test_a_declared_plane_a_link_end_does_not_carry(lab_copy: Path) -> None:
    net = lab_copy / "network.yaml"
    replace(net, "{a: cnty-yuexiu-1, b: cnty-yuexiu-2}",
            "{a: cnty-yuexiu-1, b: cnty-yuexiu-2, planes: [isolated]}")
    found = problems(lab_copy)
    assert_problem(found, net, line_of(net, "planes: [isolated]}"),
                   'plane "isolated" is not carried by cnty-yuexiu-1 and cnty-yuexiu-2')
