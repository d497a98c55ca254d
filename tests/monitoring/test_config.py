"""prometheus.yml and blackbox.yml generated from the estate."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from govops.estate.loader import load_estate
from govops.monitoring.config import Targets, render

ROOT = Path(__file__).resolve().parents[2]


def jobs(text: str) -> dict[str, dict]:
    return {j["job_name"]: j for j in yaml.safe_load(text)["scrape_configs"]}


def test_lab_estate_config(tmp_path: Path) -> None:
    estate = load_estate(ROOT / "inventories" / "lab")
    files = render(estate, Targets.for_estate(estate))
    scrape = jobs(files["prometheus.yml"])
    assert set(scrape) == {"prometheus", "govops", "frr", "postgres", "blackbox", "icmp-town"}
    towns = [n for n, node in estate.nodes.items() if node.level == "town"]
    groups = scrape["icmp-town"]["static_configs"]
    assert len(groups) == 2 * len(towns)
    by_node = {(g["labels"]["node"], g["labels"]["family"]): g for g in groups}
    g6 = by_node[("town-tianhe-a", "ipv6")]
    assert g6["labels"]["__param_module"] == "icmp6_core"
    assert g6["labels"]["city"] == "gz" and g6["labels"]["county"] == "tianhe"
    assert ":" in g6["targets"][0] and g6["targets"][0].startswith("2001:db8:")
    # every router but the carriers has an FRR exporter on its management address
    frr = {g["labels"]["node"] for g in scrape["frr"]["static_configs"]}
    assert frr == {n for n, node in estate.nodes.items() if node.managed}
    modules = yaml.safe_load(files["blackbox.yml"])["modules"]
    assert modules["icmp6_core"]["icmp"]["source_ip_address"] == "2001:db8::1"
    assert modules["icmp4_core"]["icmp"]["preferred_ip_protocol"] == "ip4"


def test_promtool_accepts_the_generated_config(tmp_path: Path) -> None:
    if not shutil.which("promtool"):
        pytest.fail("promtool is not installed: apt-get install -y prometheus")
    estate = load_estate(ROOT / "inventories" / "lab")
    for name, text in render(estate, Targets.for_estate(estate)).items():
        (tmp_path / name).write_text(text)
    proc = subprocess.run(["promtool", "check", "config", str(tmp_path / "prometheus.yml")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    blackbox = shutil.which("prometheus-blackbox-exporter")
    if blackbox:
        proc = subprocess.run([blackbox, f"--config.file={tmp_path / 'blackbox.yml'}",
                               "--config.check"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_guangdong_probes_every_town_and_dc(guangdong: Path) -> None:
    estate = load_estate(guangdong)
    targets = Targets.for_estate(estate)
    counts = targets.counts()
    assert counts["icmp-town"] == 2 * 1600
    assert counts["icmp-dc"] == 2 * 3
    assert all(p.blackbox == targets.blackboxes[0].address for p in targets.probes)


def test_cli_writes_both_files(tmp_path: Path) -> None:
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "govops"), "monitoring", "config",
                           "--estate", str(ROOT / "inventories" / "lab"), "--out", str(tmp_path),
                           "--output", "json"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "prometheus.yml").is_file() and (tmp_path / "blackbox.yml").is_file()


def test_cli_bad_estate_is_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "govops"), "monitoring", "config",
                           "--estate", str(tmp_path / "none"), "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "no such directory" in proc.stderr
