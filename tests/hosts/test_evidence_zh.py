"""`hosts check --lang zh --output md`: the MLPS evidence an assessor files, from recorded probe
output (no hosts needed): per host each control by GB/T 22239-2019 clause and control point,
observed value, pass/fail and time; a summary per MLPS level."""

from __future__ import annotations

from pathlib import Path

import pytest

from govops.hosts import check as check_module
from govops.hosts.check import CheckReport, HostReport, Target
from govops.hosts.controls import evaluate_host
from govops.hosts.evidence import markdown, per_level
from govops.i18n import translator
from tests.hosts.test_controls import ctx, recorded
from tests.i18n.zh_checks import assert_chinese

ROOT = Path(__file__).resolve().parents[2]


def report(fresh: bool = False) -> CheckReport:
    """Three hosts as `hosts check` reports them: level 3 and level 2 converged, and (with
    `fresh`) an unconverged level-3 host."""
    hosts = [("ops-gz-main-1", 3, "level3_converged", "ops", "gz-main"),
             ("app-gz-sec-1", 2, "level2_converged", "app", "gz-sec")]
    if fresh:
        hosts.append(("db-mz-dr-1", 3, "fresh_prepared", "db", "mz-dr"))
    reports = []
    for name, level, case, role, site in hosts:
        context = ctx(level, name, role, site)
        target = Target(name, "198.18.24.10", level, context)
        reports.append(HostReport(target, evaluate_host(level, recorded(case), context), 0.42))
    return CheckReport("inventories/lab", reports, "2026-12-07T02:30:00+00:00", 1.5)


def test_evidence_in_chinese() -> None:
    text = markdown(report(fresh=True), translator("zh"))
    assert_chinese(text, "网络安全等级保护", "身份鉴别", "安全审计", "入侵防范", "集中管控",
                   "按等保级别汇总", "北京时间")
    assert "检查时间：2026-12-07 10:30:00（北京时间，UTC+8）" in text
    assert ("| 8.1.4.1 a) | 身份鉴别 | SSH：禁止口令登录（仅密钥） (`ssh-password-auth`) | 符合 | no | no |"
            in text)
    assert "| 7.1.4.1 a) | 身份鉴别 |" in text                # level 2: chapter 7
    assert "| 8.1.5.4 c) | 集中管控 |" in text
    assert "不符合" in text and "不适用" in text
    assert "## db-mz-dr-1 — 不通过" in text
    assert "| 第3级 | 8 | 2 | 1 |" in text and "| 第2级 | 7 | 1 | 1 |" in text


def test_per_level_summary_counts() -> None:
    rows = {r["level"]: r for r in per_level(report(fresh=True))}
    assert rows[3]["hosts"] == 2 and rows[3]["hosts_passed"] == 1 and rows[3]["failed"] > 0
    assert rows[2]["failed"] == 0 and rows[2]["controls"] == rows[2]["passed"] + rows[2]["na"]


def test_english_evidence_keeps_its_shape() -> None:
    text = markdown(report(), translator("en"))
    assert "Checked: 2026-12-07 02:30:00 UTC" in text and "Identification and authentication" in text
    assert "| 8.1.4.1 a) | Identification and authentication | SSH: no password logins" in text


def test_hosts_check_cli_prints_the_zh_evidence(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_module, "run_check", lambda *a, **k: report())
    code, out, err = cli("hosts", "check", "--estate", ROOT / "inventories" / "lab",
                         "--limit", "ops-gz-main-1", "--lang", "zh", "--output", "md")
    assert code == 0, err
    assert out.startswith("# 主机安全基线合规证据（网络安全等级保护（等保），GB/T 22239-2019）")
    assert_chinese(out, "身份鉴别", "按等保级别汇总")
