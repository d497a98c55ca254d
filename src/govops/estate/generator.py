"""Seed-scale estates, generated deterministically (byte-identical on every run).

Profiles follow the seed plans: Guangdong (seed 001: 21 cities, 121 counties, 1,600 towns,
10G/1G/100M), Sichuan (seeds 000/004: 21 cities, 183 counties, about 3,000 towns, 82
departments, 504 systems) and Xianyang (seed 002: one city, 13 counties, dual 2G city→county,
dual 200M county→town). Vendors are mixed per city, as provinces procure them.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govops.errors import BadInput
from govops.paths import repo_path

DEPARTMENTS = [
    "general-office", "development-reform", "education", "science-tech", "industry-it",
    "public-security", "civil-affairs", "justice", "finance", "hrss", "natural-resources",
    "ecology", "housing", "transport", "water", "agriculture", "commerce", "culture-tourism",
    "health", "veterans", "emergency", "audit", "market-regulation", "radio-tv", "sports",
    "statistics", "medical-security", "forestry", "grain-reserves", "prisons", "ethnic-affairs",
    "tax", "customs-liaison", "meteorology", "archives", "gov-affairs", "big-data",
]
SYSTEMS = ["portal", "approval", "records", "data-share", "hotline", "supervision", "payments",
           "registry", "analytics", "gis", "archive", "mobile"]
CARRIERS = [("isp-telecom", 64500), ("isp-unicom", 64501), ("isp-mobile", 64502)]

GUANGDONG_CITIES = [
    ("guangzhou", 23.13, 113.26), ("shenzhen", 22.54, 114.06), ("zhuhai", 22.27, 113.58),
    ("shantou", 23.35, 116.68), ("foshan", 23.02, 113.12), ("shaoguan", 24.81, 113.60),
    ("zhanjiang", 21.27, 110.36), ("zhaoqing", 23.05, 112.47), ("jiangmen", 22.58, 113.08),
    ("maoming", 21.66, 110.92), ("huizhou", 23.11, 114.42), ("meizhou", 24.29, 116.12),
    ("shanwei", 22.79, 115.38), ("heyuan", 23.74, 114.70), ("yangjiang", 21.86, 111.98),
    ("qingyuan", 23.68, 113.06), ("dongguan", 23.02, 113.75), ("zhongshan", 22.52, 113.39),
    ("chaozhou", 23.66, 116.62), ("jieyang", 23.55, 116.37), ("yunfu", 22.92, 112.04),
]
SICHUAN_CITIES = [
    ("chengdu", 30.66, 104.06), ("zigong", 29.34, 104.78), ("panzhihua", 26.58, 101.72),
    ("luzhou", 28.87, 105.44), ("deyang", 31.13, 104.40), ("mianyang", 31.47, 104.68),
    ("guangyuan", 32.44, 105.84), ("suining", 30.53, 105.59), ("neijiang", 29.58, 105.06),
    ("leshan", 29.55, 103.77), ("nanchong", 30.84, 106.11), ("meishan", 30.08, 103.85),
    ("yibin", 28.77, 104.63), ("guangan", 30.46, 106.63), ("dazhou", 31.21, 107.47),
    ("yaan", 29.98, 103.01), ("bazhong", 31.87, 106.75), ("ziyang", 30.13, 104.63),
    ("aba", 31.90, 102.22), ("ganzi", 30.05, 101.96), ("liangshan", 27.88, 102.27),
]


@dataclass(frozen=True)
class Profile:
    """What one generated estate looks like."""

    key: str
    name: str
    code: str
    cities: list[tuple[str, float, float]]
    counties: int
    towns: int
    departments: int
    systems: int
    sites: list[tuple[str, str, float, float]]
    bandwidth: dict[str, str]
    industry_clouds: list[str]


PROFILES = {
    "guangdong": Profile(
        "guangdong", "Guangdong", "GD", GUANGDONG_CITIES, 121, 1600, 37, 120,
        [("gz-main", "primary", 23.13, 113.26), ("gz-sec", "same-city", 23.10, 113.40),
         ("mz-dr", "remote-dr", 24.29, 116.12)],
        {}, ["gd-health", "gd-public-security", "gd-transport"]),
    "sichuan": Profile(
        "sichuan", "Sichuan", "SC", SICHUAN_CITIES, 183, 3000, 82, 504,
        [("cd-main", "primary", 30.66, 104.06), ("cd-sec", "same-city", 30.57, 104.07),
         ("dz-dr", "remote-dr", 31.21, 107.47)],
        {}, ["sc-health", "sc-public-security", "sc-education", "sc-emergency"]),
    "xianyang": Profile(
        "xianyang", "Xianyang", "XY", [("xianyang", 34.33, 108.71)], 13, 195, 24, 60,
        [("xy-main", "primary", 34.33, 108.71), ("xy-sec", "same-city", 34.36, 108.65),
         ("ya-dr", "remote-dr", 36.59, 109.49)],
        {"county": "2G", "town": "200M"}, ["xy-urban"]),
}

POOLS_TEXT = """ipam:
  pools:
    loopback-v4:   {prefix: 198.18.0.0/20,   length: 32}
    isolated-v4:   {prefix: 198.18.16.0/21,  length: 28}
    host-v4:       {prefix: 198.18.24.0/21,  length: 32}
    mgmt-v4:       {prefix: 198.18.32.0/19,  length: 31}
    p2p-v4:        {prefix: 198.18.64.0/18,  length: 31}
    lan-county-v4: {prefix: 198.18.128.0/18, length: 26}
    tenant-v4:     {prefix: 198.18.192.0/18, length: 27}
    lan-town-v4:   {prefix: 198.19.0.0/16,   length: 28}
    loopback-v6:   {prefix: 2001:db8::/64,      length: 128}
    mgmt-v6:       {prefix: 2001:db8:0:1::/64,  length: 127}
    p2p-v6:        {prefix: 2001:db8:0:2::/64,  length: 127}
    host-v6:       {prefix: 2001:db8:0:3::/64,  length: 128}
    lan-county-v6: {prefix: 2001:db8:100::/40,  length: 48}
    lan-town-v6:   {prefix: 2001:db8:1000::/36, length: 56}
    isolated-v6:   {prefix: 2001:db8:e000::/36, length: 64}
    tenant-v6:     {prefix: 2001:db8:f000::/36, length: 64}
"""


def _flow(data: dict[str, Any]) -> str:
    """A one-line YAML flow mapping of plain names, numbers and lists of names."""
    parts = []
    for key, value in data.items():
        if isinstance(value, list):
            value = "[" + ", ".join(str(v) for v in value) + "]"
        parts.append(f"{key}: {value}")
    return "{" + ", ".join(parts) + "}"


def _spread(total: int, buckets: int) -> list[int]:
    """`total` split over `buckets` as evenly as possible, larger shares first."""
    base, extra = divmod(total, buckets)
    return [base + (1 if i < extra else 0) for i in range(buckets)]


def _vendor(city_index: int) -> str:
    return "h3c_comware" if city_index % 3 == 2 else "huawei_vrp"


def network_text(p: Profile) -> str:
    """network.yaml: cores, egress, carriers, DC cores, cities, counties, towns, peer links."""
    nodes: list[str] = []
    links: list[str] = []
    main, sec = p.sites[0][0], p.sites[1][0]
    core = ["prov-core-1", "prov-core-2"]
    nodes += [_flow({"name": core[0], "level": "province", "platform": "huawei_vrp",
                     "site": main}),
              _flow({"name": core[1], "level": "province", "platform": "huawei_vrp",
                     "site": sec})]
    links.append(_flow({"a": core[0], "b": core[1]}))
    for i, site in enumerate((main, sec), start=1):
        nodes.append(_flow({"name": f"egress-{i}", "level": "egress", "platform": "huawei_vrp",
                            "site": site, "uplinks": core}))
    links.append(_flow({"a": "egress-1", "b": "egress-2"}))
    for i, (carrier, asn) in enumerate(CARRIERS):
        nodes.append(_flow({"name": carrier, "level": "carrier", "platform": "huawei_vrp",
                            "asn": asn, "managed": "false"}))
        links.append(_flow({"a": f"egress-{1 if i != 1 else 2}", "b": carrier, "kind": "ebgp"}))
    for site, _role, _lat, _lon in p.sites:
        nodes.append(_flow({"name": f"dc-{site}", "level": "dc", "platform": "huawei_vrp",
                            "site": site, "uplinks": core}))
    counties = _spread(p.counties, len(p.cities))
    towns = _spread(p.towns, p.counties)
    county_no = 0
    town_no = 0
    for ci, (city, _lat, _lon) in enumerate(p.cities):
        vendor = _vendor(ci)
        city_nodes = [f"{city}-core-1", f"{city}-core-2"]
        for name in city_nodes:
            nodes.append(_flow({"name": name, "level": "city", "platform": vendor, "city": city,
                                "uplinks": core}))
        links.append(_flow({"a": city_nodes[0], "b": city_nodes[1]}))
        for k in range(counties[ci]):
            county = f"{city}-c{k + 1:02d}"
            county_nodes = [f"{county}-1", f"{county}-2"]
            for name in county_nodes:
                nodes.append(_flow({"name": name, "level": "county", "platform": vendor,
                                    "city": city, "county": county, "uplinks": city_nodes}))
            links.append(_flow({"a": county_nodes[0], "b": county_nodes[1]}))
            for t in range(towns[county_no]):
                town = {"name": f"{county}-t{t + 1:02d}", "level": "town", "platform": vendor,
                        "city": city, "county": county, "uplinks": county_nodes}
                if town_no % 25 == 24:
                    town["planes"] = ["extranet", "isolated"]
                nodes.append(_flow(town))
                town_no += 1
            county_no += 1
    return ("# Generated by govops estate generate: the extranet, province core to towns.\n"
            "nodes:\n" + "".join(f"  - {n}\n" for n in nodes)
            + "links:\n" + "".join(f"  - {ln}\n" for ln in links))


def tenants_text(p: Profile, clouds: list[str]) -> str:
    """tenants.yaml: `p.systems` systems over `p.departments` departments."""
    rows = []
    per_department = _spread(p.systems, p.departments)
    n = 0
    for d in range(p.departments):
        department = DEPARTMENTS[d] if d < len(DEPARTMENTS) else f"dept-{d + 1:02d}"
        for s in range(per_department[d]):
            system = SYSTEMS[s % len(SYSTEMS)] + (f"-{s // len(SYSTEMS) + 1}"
                                                  if s >= len(SYSTEMS) else "")
            mlps = 3 if n % 3 == 0 else 2
            dr_level = [2, 3, 4, 5, 6, 3][n % 6]
            cloud = clouds[0] if n % 4 else clouds[1 + (n // 4) % (len(clouds) - 1)]
            ports = "[443]" if n % 2 == 0 else "[]"
            rows.append(
                f"  - {{department: {department}, system: {system}, cloud: {cloud}, "
                f"mlps: {mlps}, dr_level: {dr_level}, "
                f"quotas: {{vcpu: 16, ram_gb: 64, volume_gb: 2048, floating_ips: 1}}, "
                f"networks: [{{name: main, public_ports: {ports}}}]}}\n")
            n += 1
    return "# Generated by govops estate generate: department systems as tenants.\n" \
           "tenants:\n" + "".join(rows)


def clouds_text(p: Profile) -> tuple[str, list[str]]:
    """clouds.yaml: 1 provincial, N industry, M regional (one per city)."""
    main, sec, dr = (s[0] for s in p.sites)
    big = "{vcpu: 65536, ram_gb: 262144, volume_gb: 16777216, floating_ips: 4096}"
    mid = "{vcpu: 8192, ram_gb: 32768, volume_gb: 2097152, floating_ips: 1024}"
    rows = [f"  - {{name: {p.key}-gov, kind: provincial, sites: [{main}, {sec}, {dr}], "
            f"capacity: {big}}}\n"]
    names = [f"{p.key}-gov"]
    for name in p.industry_clouds:
        rows.append(f"  - {{name: {name}, kind: industry, sites: [{main}, {dr}], "
                    f"capacity: {mid}}}\n")
        names.append(name)
    for city, _lat, _lon in p.cities:
        rows.append(f"  - {{name: {city}-city, kind: regional, city: {city}, sites: [{sec}], "
                    f"capacity: {mid}}}\n")
        names.append(f"{city}-city")
    return "# Generated: the 1+N+M government cloud.\nclouds:\n" + "".join(rows), names


def province_text(p: Profile) -> str:
    """province.yaml: province, network settings and the address plan."""
    bandwidth = ""
    if p.bandwidth:
        bandwidth = "  bandwidth: " + _flow(p.bandwidth) + "\n"
    return (
        f"# Generated by govops estate generate --profile {p.key}.\n"
        f"province:\n  name: {p.name}\n  code: {p.code}\n"
        "  ipv6_aggregate: 2001:db8::/32\n  ipv4_aggregate: 198.18.0.0/15\n" + bandwidth
        + "\nnetwork:\n  asn: 65000\n"
        f"  domain: {p.key}.gov.example\n"
        "  ntp_servers: [2001:db8:0:ff::123, 198.18.16.123]\n"
        "  syslog_servers: [2001:db8:0:ff::514]\n"
        f"  snmp_location: {p.name}\n\n" + POOLS_TEXT
        + "\n# A rehearsal estate (documentation addresses): --unsigned runs are allowed on it and\n"
        "# its registry may come from GOVOPS_LAB_OPERATORS (ADR 0018). Remove this line, or say\n"
        "# change_approval: required, before it describes a real province.\nlab: true\n"
    )


def sites_text(p: Profile) -> str:
    """sites.yaml: the three centres."""
    rows = "".join(f"  - {{name: {n}, role: {r}, lat: {lat}, lon: {lon}}}\n"
                   for n, r, lat, lon in p.sites)
    return "# Generated: two sites, three centres.\nsites:\n" + rows


def hosts_text(p: Profile) -> str:
    """hosts.yaml: database, application and ops servers in each centre."""
    rows = []
    for site, role, _lat, _lon in p.sites:
        kinds = ["db", "db", "app", "app", "ops"] if role != "remote-dr" else ["db", "db", "ops"]
        for i, kind in enumerate(kinds, start=1):
            mlps = 3 if kind in ("db", "ops") else 2
            rows.append(f"  - {{name: {kind}-{site}-{i}, site: {site}, role: {kind}, "
                        f"mlps: {mlps}}}\n")
    return "# Generated: servers in the three centres.\nhosts:\n" + "".join(rows)


def generate(profile: str, out: Path) -> dict[str, Any]:
    """Write the estate of `profile` into `out` (created; its estate files replaced), lock it."""
    from govops.estate import lockfile
    from govops.estate.loader import load_estate

    if profile not in PROFILES:
        raise BadInput(f"unknown profile {profile!r}: use one of {', '.join(PROFILES)}")
    p = PROFILES[profile]
    out.mkdir(parents=True, exist_ok=True)
    clouds, cloud_names = clouds_text(p)
    files = {
        "province.yaml": province_text(p),
        "sites.yaml": sites_text(p),
        "clouds.yaml": clouds,
        "tenants.yaml": tenants_text(p, cloud_names),
        "network.yaml": network_text(p),
        "hosts.yaml": hosts_text(p),
    }
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    policy = out / "policy"
    if policy.exists():
        shutil.rmtree(policy)
    shutil.copytree(repo_path("inventories", "policy"), policy)
    lock = out / lockfile.LOCK_NAME
    if lock.exists():
        lock.unlink()
    estate = load_estate(out)
    lockfile.write(lock, estate.allocation)
    return {"profile": profile, "out": str(out), "nodes": estate.levels(),
            "links": len(estate.links), "tenants": len(estate.tenants)}
