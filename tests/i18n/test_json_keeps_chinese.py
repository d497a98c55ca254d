"""Every `--output json` that runs without the lab, fed an estate with Chinese display names:
the names come out as written (UTF-8), never as \\uXXXX, keys and codes stay English, and the
JSON is the same whatever --lang says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.i18n.chinese_estate import NAMES, add_chinese_names

ESCAPED = re.compile(r"\\u[4-9][0-9a-f]{3}")


@pytest.fixture
def chinese(lab_copy: Path) -> Path:
    return add_chinese_names(lab_copy)


def _json(cli, *args: object) -> tuple[str, object]:
    code, out, err = cli(*args, "--output", "json")
    assert code == 0, err
    assert not ESCAPED.search(out), f"{args}: \\u-escaped Chinese in JSON"
    return out, json.loads(out)


def test_estate_json_keeps_display_names_raw(chinese: Path, cli) -> None:
    out, data = _json(cli, "estate", "show", chinese)
    for name in NAMES.values():
        assert name in out
    assert data["province"]["display_name"] == NAMES["province"]
    out_zh, _ = _json(cli, "estate", "show", chinese, "--lang", "zh")
    assert out_zh == out  # JSON is language-neutral
    out, data = _json(cli, "estate", "validate", chinese, "--lang", "zh")
    assert data["province_display_name"] == NAMES["province"] and "sites" in data
    assert set(data["sites"]) == {"primary", "same-city", "remote-dr"}  # codes, not terms


def test_estate_lock_json(chinese: Path, cli) -> None:
    _json(cli, "estate", "lock", chinese)


def test_net_render_and_diff_json(chinese: Path, cli, tmp_path: Path) -> None:
    _json(cli, "net", "render", "--estate", chinese, "--out", tmp_path / "cfg",
          "--device", "town-tianhe-a")
    out, diffs = _json(cli, "net", "diff", "--estate", chinese, "--running", tmp_path / "cfg",
                       "--limit", "town-tianhe-a", "--lang", "zh")
    assert diffs[0]["device"] == "town-tianhe-a"


def test_monitoring_config_json(chinese: Path, cli, tmp_path: Path) -> None:
    _json(cli, "monitoring", "config", "--estate", chinese, "--out", tmp_path / "mon")


def test_drill_list_and_audit_json(chinese: Path, cli, tmp_path: Path) -> None:
    _json(cli, "drill", "list")
    _json(cli, "audit", "show", "--lang", "zh")
    _json(cli, "audit", "verify")


def test_prometheus_labels_and_rollout_journal_keep_chinese(chinese: Path, tmp_path: Path) -> None:
    from govops.network.journal import Journal

    journal = Journal(tmp_path, "r1")
    journal.write("apply", device="town-tianhe-a", display_name=NAMES["node"])
    text = journal.path.read_text(encoding="utf-8")
    assert NAMES["node"] in text and not ESCAPED.search(text)


def test_cloud_stacks_and_plan_json(chinese: Path, cli, tmp_path: Path) -> None:
    out, _ = _json(cli, "cloud", "stacks", "--estate", chinese, "--out", tmp_path / "stacks")
    out, plan = _json(cli, "cloud", "plan", "--estate", chinese)
    assert plan["stacks"]
