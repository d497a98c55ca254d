"""Every validation rule, each asserting the file, the line and the message."""

from __future__ import annotations

from pathlib import Path

from govops.estate.loader import load_estate
from tests.estate.helpers import assert_problem, line_of, problems, replace


def test_lab_estate_is_valid() -> None:
    estate = load_estate(Path(__file__).resolve().parents[2] / "inventories" / "lab")
    assert estate.levels() == {"province": 2, "city": 4, "county": 8, "town": 8, "egress": 2,
                               "carrier": 2}
    assert sum(1 for c in estate.clouds.values() if c.kind == "provincial") == 1


def test_unknown_field_with_did_you_mean(lab_copy: Path) -> None:
    f = lab_copy / "tenants.yaml"
    line = replace(f, "dr_level: 5", "dr_levl: 5")
    p = assert_problem(problems(lab_copy), f, line, 'unknown field "dr_levl"')
    assert 'did you mean "dr_level"' in p.message


def test_unknown_top_level_section(lab_copy: Path) -> None:
    f = lab_copy / "clouds.yaml"
    with f.open("a") as handle:
        handle.write("\ntenant:\n  - x\n")
    line = line_of(f, "tenant:")
    assert_problem(problems(lab_copy), f, line, 'unknown field "tenant"', 'did you mean "tenants"')


def test_wrong_type(lab_copy: Path) -> None:
    f = lab_copy / "tenants.yaml"
    line = replace(f, "mlps: 2\n    dr_level: 3", "mlps: two\n    dr_level: 3")
    assert_problem(problems(lab_copy), f, line, 'field "mlps": expected an integer', "'two'")


def test_duplicate_name(lab_copy: Path) -> None:
    f = lab_copy / "network.yaml"
    line = replace(f, "{name: town-tianhe-b,", "{name: town-tianhe-a,")
    assert_problem(problems(lab_copy), f, line, 'duplicate node "town-tianhe-a"', "rename one")


def test_uplink_to_unknown_node(lab_copy: Path) -> None:
    f = lab_copy / "network.yaml"
    line = replace(f, "{name: town-yuexiu-b, level: town, platform: frr, city: gz, county: yuexiu, "
                      "uplinks: [cnty-yuexiu-1, cnty-yuexiu-2]}",
                   "{name: town-yuexiu-b, level: town, platform: frr, city: gz, county: yuexiu, "
                   "uplinks: [cnty-yuexiu-1, cnty-yuexiu-3]}")
    p = assert_problem(problems(lab_copy), f, line, 'uplink to unknown node "cnty-yuexiu-3"')
    assert "did you mean" in p.message


def test_link_to_unknown_node(lab_copy: Path) -> None:
    f = lab_copy / "network.yaml"
    line = replace(f, "{a: city-fs-1, b: city-fs-2}", "{a: city-fs-1, b: city-fs-9}")
    assert_problem(problems(lab_copy), f, line, 'unknown node "city-fs-9"')


def test_not_dual_homed(lab_copy: Path) -> None:
    f = lab_copy / "network.yaml"
    line = replace(f, "{name: town-shunde-b, level: town, platform: frr, city: fs, county: shunde, "
                      "uplinks: [cnty-shunde-1, cnty-shunde-2]}",
                   "{name: town-shunde-b, level: town, platform: frr, city: fs, county: shunde, "
                   "uplinks: [cnty-shunde-1]}")
    p = assert_problem(problems(lab_copy), f, line, 'town "town-shunde-b": not dual-homed')
    assert "single_homed" in p.message


def test_same_uplink_twice_is_not_dual_homed(lab_copy: Path) -> None:
    f = lab_copy / "network.yaml"
    line = replace(f, "{name: town-shunde-b, level: town, platform: frr, city: fs, county: shunde, "
                      "uplinks: [cnty-shunde-1, cnty-shunde-2]}",
                   "{name: town-shunde-b, level: town, platform: frr, city: fs, county: shunde, "
                   "uplinks: [cnty-shunde-1, cnty-shunde-1]}")
    found = problems(lab_copy)
    assert_problem(found, f, line, "listed twice")
    assert_problem(found, f, line, "not dual-homed")


def test_single_homed_with_reason_is_accepted(lab_copy: Path) -> None:
    f = lab_copy / "network.yaml"
    replace(f, "{name: town-shunde-b, level: town, platform: frr, city: fs, county: shunde, "
               "uplinks: [cnty-shunde-1, cnty-shunde-2]}",
            "{name: town-shunde-b, level: town, platform: frr, city: fs, county: shunde, "
            "uplinks: [cnty-shunde-1], single_homed: 'island town: one fibre route until 2027'}")
    assert "town-shunde-b" in load_estate(lab_copy).nodes


def test_uplink_to_wrong_level(lab_copy: Path) -> None:
    f = lab_copy / "network.yaml"
    line = replace(f, "{name: town-shunde-b, level: town, platform: frr, city: fs, county: shunde, "
                      "uplinks: [cnty-shunde-1, cnty-shunde-2]}",
                   "{name: town-shunde-b, level: town, platform: frr, city: fs, county: shunde, "
                   "uplinks: [cnty-shunde-1, city-fs-2]}")
    assert_problem(problems(lab_copy), f, line, 'uplink to city "city-fs-2"',
                   "a town uplinks to county nodes")


def test_remote_dr_too_close(lab_copy: Path) -> None:
    f = lab_copy / "sites.yaml"
    line = replace(f, "lat: 24.29, lon: 116.12", "lat: 23.20, lon: 113.30")
    p = assert_problem(problems(lab_copy), f, line, 'site "mz-dr": remote-DR site is',
                       "at least 200 km")
    assert "km from primary site \"gz-main\"" in p.message or "same-city site" in p.message


def test_remote_dr_minimum_comes_from_policy(lab_copy: Path) -> None:
    (lab_copy.parent / "policy" / "placement.yaml").write_text("remote_dr_min_km: 500\n")
    f = lab_copy / "sites.yaml"
    assert_problem(problems(lab_copy), f, line_of(f, "mz-dr"), "at least 500 km")


def test_tenant_on_unknown_cloud(lab_copy: Path) -> None:
    f = lab_copy / "tenants.yaml"
    line = replace(f, "cloud: fs-gov", "cloud: fs-gv")
    assert_problem(problems(lab_copy), f, line, 'unknown cloud "fs-gv"', 'did you mean "fs-gov"')


def test_two_provincial_clouds(lab_copy: Path) -> None:
    f = lab_copy / "clouds.yaml"
    line = replace(f, "kind: industry", "kind: provincial")
    assert_problem(problems(lab_copy), f, line, "a second provincial cloud", "exactly one")


def test_no_provincial_cloud(lab_copy: Path) -> None:
    f = lab_copy / "clouds.yaml"
    line = replace(f, "kind: provincial", "kind: industry")
    assert_problem(problems(lab_copy), f, line, "no provincial cloud")


def test_quota_above_capacity_single_tenant(lab_copy: Path) -> None:
    f = lab_copy / "tenants.yaml"
    line = replace(f, "quotas: {vcpu: 16, ram_gb: 64, volume_gb: 1024, floating_ips: 2}",
                   "quotas: {vcpu: 9999, ram_gb: 64, volume_gb: 1024, floating_ips: 2}")
    assert_problem(problems(lab_copy), f, line, "quota vcpu=9999 is above cloud \"fs-gov\" "
                   "capacity 256")


def test_quotas_add_up_above_capacity(lab_copy: Path) -> None:
    f = lab_copy / "clouds.yaml"
    line = replace(f, "capacity: {vcpu: 2048,", "capacity: {vcpu: 150,")
    assert_problem(problems(lab_copy), f, line, 'cloud "gd-gov": tenants\' vcpu quotas add up '
                   "to 176, above the capacity 150")


def test_mlps_out_of_range(lab_copy: Path) -> None:
    f = lab_copy / "tenants.yaml"
    line = replace(f, "mlps: 2\n    dr_level: 2", "mlps: 6\n    dr_level: 2")
    assert_problem(problems(lab_copy), f, line, "MLPS level 6 is out of range: use 1 to 5")


def test_dr_level_out_of_range(lab_copy: Path) -> None:
    f = lab_copy / "tenants.yaml"
    line = replace(f, "dr_level: 6", "dr_level: 7")
    assert_problem(problems(lab_copy), f, line, "DR level 7 is out of range")


def test_all_problems_reported_at_once(lab_copy: Path) -> None:
    replace(lab_copy / "tenants.yaml", "cloud: fs-gov", "cloud: nowhere")
    replace(lab_copy / "sites.yaml", "lat: 24.29, lon: 116.12", "lat: 23.20, lon: 113.30")
    replace(lab_copy / "network.yaml", "{a: city-fs-1, b: city-fs-2}", "{a: city-fs-1, b: x}")
    files = {Path(p.file).name for p in problems(lab_copy)}
    assert files == {"tenants.yaml", "sites.yaml", "network.yaml"}


def test_yaml_syntax_error_is_located(lab_copy: Path) -> None:
    f = lab_copy / "sites.yaml"
    line = replace(f, "  - {name: gz-sec,", "  - {name: [gz-sec,")
    found = problems(lab_copy)
    assert found[0].file.endswith("sites.yaml") and "YAML syntax" in found[0].message
    assert abs(found[0].line - line) <= 1


def test_ipam_pool_overlap_names_both_pools(lab_copy: Path) -> None:
    f = lab_copy / "province.yaml"
    line = replace(f, "isolated-v4:   {prefix: 198.18.16.0/21,", "isolated-v4:   {prefix: 198.18.0.0/21,")
    found = problems(lab_copy)
    assert any('overlaps pool "' in p.message and "isolated-v4" in p.message
               and "loopback-v4" in p.message for p in found), found
    assert any(Path(p.file).name == "province.yaml" and p.line in (line, line_of(
        f, "loopback-v4:")) for p in found)


def test_shrunk_pool_names_the_lock_entries_left_outside(lab_copy: Path) -> None:
    replace(lab_copy / "province.yaml", "lan-town-v4:   {prefix: 198.19.0.0/16,",
            "lan-town-v4:   {prefix: 198.19.0.0/26,")
    lock = lab_copy / "ipam.lock.yaml"
    p = assert_problem(problems(lab_copy), lock, line_of(lock, "town-shunde-b: 198.19"),
                       'pool "lan-town-v4" entry "town-shunde-b"', "outside the pool")
    assert "run estate lock" in p.message


def test_ipam_pool_outside_aggregate(lab_copy: Path) -> None:
    f = lab_copy / "province.yaml"
    line = replace(f, "{prefix: 198.19.0.0/16,", "{prefix: 203.0.113.0/24,")
    assert_problem(problems(lab_copy), f, line, 'pool "lan-town-v4"', "outside the province "
                   "aggregate 198.18.0.0/15")


def test_ipam_exhaustion_names_the_pool(lab_copy: Path) -> None:
    (lab_copy / "ipam.lock.yaml").unlink()
    f = lab_copy / "province.yaml"
    line = replace(f, "lan-town-v4:   {prefix: 198.19.0.0/16,   length: 28}",
                   "lan-town-v4:   {prefix: 198.19.0.0/26,   length: 28}")
    assert_problem(problems(lab_copy), f, line, 'pool "lan-town-v4"', "is exhausted")


def test_host_unknown_tenant_and_mlps_range(lab_copy: Path) -> None:
    f = lab_copy / "hosts.yaml"
    line = replace(f, "tenants: [foshan-admin-city-portal,", "tenants: [foshan-city-portal,")
    assert_problem(problems(lab_copy), f, line, 'unknown tenant "foshan-city-portal"',
                   'did you mean "foshan-admin-city-portal"')
    line = replace(f, "role: ops, mlps: 3", "role: ops, mlps: 9")
    assert_problem(problems(lab_copy), f, line, "MLPS level 9 is out of range")


def test_host_mlps_defaults_to_highest_tenant(lab_copy: Path) -> None:
    estate = load_estate(lab_copy)
    assert estate.host_mlps("app-gz-sec-1") == 2
    assert estate.host_mlps("db-gz-main-1") == 3
