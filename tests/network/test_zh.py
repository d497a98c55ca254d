"""`net diff` and `net push` summaries in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest

from govops.console import Output
from govops.i18n import translator
from govops.network.push_commands import ProgressHooks, _report
from govops.network.render import render_all
from govops.network.rollout import DeviceResult, RolloutSummary
from tests.i18n.zh_checks import assert_chinese

ROOT = Path(__file__).resolve().parents[2]


def test_diff_summary_in_chinese(cli, tmp_path: Path, lab_estate) -> None:
    configs = render_all(lab_estate, ["town-tianhe-a", "town-tianhe-b"])
    running = tmp_path / "running"
    running.mkdir()
    (running / "town-tianhe-a.cfg").write_text(configs["town-tianhe-a"].replace(
        "ip ospf cost 1000", "ip ospf cost 10"))
    (running / "town-tianhe-b.cfg").write_text(configs["town-tianhe-b"])
    code, out, err = cli("net", "diff", "--estate", ROOT / "inventories" / "lab", "--running",
                         running, "--limit", "town-tianhe-a,town-tianhe-b", "--lang", "zh")
    assert code == 0, err
    assert "2 台设备：1 台有差异，1 台一致" in out and "修复命令：" in out
    assert_chinese(out, min_cjk=10)


def test_push_summary_in_chinese(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    summary = RolloutSummary("20261207-101500-ab12", [
        DeviceResult("town-tianhe-a", "changed", ["interface eth1"], seconds=1.2),
        DeviceResult("town-tianhe-b", "unchanged", seconds=0.8),
        DeviceResult("town-nanhai-a", "skipped")], seconds=3.4)
    tr = translator("zh")
    _report(summary, Output.text, tr)
    out = capsys.readouterr().out
    assert "3 台设备，用时 3.4 秒" in out and "已变更" in out and "未变更" in out
    assert_chinese(out, "回滚", "配置下发")
    hooks = ProgressHooks(tr)
    assert hooks.tr("canary") == "金丝雀（灰度）批次"
