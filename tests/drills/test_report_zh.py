"""Drill reports in Chinese, from a saved drill result (tests/drills/saved/site-loss, written by
make_saved_report.py): `drill report DIR --lang zh|en`, what `drill run --lang zh` adds, and the
timeline PNG drawn with Chinese labels in the installed CJK font."""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from pathlib import Path

import pytest

from govops.drills.commands import _print_run, _translate
from govops.i18n import translator
from tests.i18n.zh_checks import assert_chinese

SAVED = Path(__file__).resolve().parent / "saved" / "site-loss"
DR_TERMS = ("灾备演练", "灾难恢复等级", "恢复时间目标", "恢复点目标", "稳态", "回滚", "回切", "北京时间")


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SAVED, tmp_path / "site-loss"))


def test_drill_report_re_renders_a_saved_run_in_chinese(saved: Path, cli) -> None:
    code, out, err = cli("drill", "report", saved, "--lang", "zh")
    assert code == 0, err
    text = (saved / "report.zh.md").read_text(encoding="utf-8")
    assert_chinese(text, *DR_TERMS)
    assert text.startswith("# 灾备演练 `site-loss` — 通过")
    assert "人社厅社保系统" in text                       # the display name, as written
    assert "| 恢复时间目标（RTO） | 0.410 s | 300 s | 30 s |" in text  # measured vs DR level 6
    assert "18:10:00.000 | 故障：loss of dc-a" in text   # Beijing time: the fault was 10:10 UTC
    assert "台账：记录了 392 笔已确认写入" in text         # ledger counts
    assert "## 已恢复的内容" in text and "dc-a 的流量已恢复" in text
    assert (saved / "timeline.zh.png").stat().st_size > 10_000
    report = json.loads((saved / "report.json").read_text(encoding="utf-8"))
    assert report["started_at"] == pytest.approx(1796638180.0)  # JSON keeps epoch seconds (UTC)


def test_drill_report_in_english_matches_what_the_run_wrote(saved: Path, cli) -> None:
    before = (saved / "report.md").read_text(encoding="utf-8")
    code, _, err = cli("drill", "report", saved, "--lang", "en", "--output", "json")
    assert code == 0, err
    assert (saved / "report.md").read_text(encoding="utf-8") == before
    assert "10:10:00.000 | FAULT: loss of dc-a" in before and "UTC" in before


def test_drill_report_of_a_folder_without_a_report_is_bad_input(tmp_path: Path, cli) -> None:
    code, _, err = cli("drill", "report", tmp_path, "--lang", "zh")
    assert code == 2 and "no drill report here" in err


def test_drill_run_in_chinese_writes_report_zh_beside_the_english(saved: Path, capsys) -> None:
    report = json.loads((saved / "report.json").read_text(encoding="utf-8"))
    report["report_dir"] = str(saved)
    tr = translator("zh")
    _translate(report, tr)            # what `drill run --lang zh` does after each run
    _print_run(report, "", tr)
    out = capsys.readouterr().out
    assert (saved / "report.zh.md").is_file() and (saved / "report.md").is_file()
    assert report["report_zh"] == str(saved / "report.zh.md")
    assert "site-loss：通过" in out and "恢复时间目标 300 秒" in out and "report.zh.md" in out
    assert_chinese(out, "恢复时间目标", "恢复点目标")


def test_reasons_are_said_in_the_readers_language(saved: Path) -> None:
    from govops.drills.report_md import reasons

    report = json.loads((saved / "report.json").read_text(encoding="utf-8"))
    report["reason_codes"] = [{"code": "rto-missed", "rto": "301.000", "objective": "300", "level": 6}]
    assert reasons(report, translator("en")) == ["RTO 301.000 s > objective 300 s (DR level 6)"]
    assert reasons(report, translator("zh")) == [
        "RTO 301.000 秒，超过恢复时间目标 300 秒（灾难恢复等级 6 级）"]


def test_timeline_png_uses_the_cjk_font_without_fallback(saved: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    from matplotlib import font_manager

    from govops.drills.report import plot_timeline
    from govops.drills.workdir import WorkDir
    from govops.i18n.fonts import cjk_family, cjk_font_file

    path = cjk_font_file()
    assert path is not None, "no CJK font installed (make install: fonts-wqy-microhei)"
    report = json.loads((saved / "report.json").read_text(encoding="utf-8"))
    png = saved / "timeline.zh.png"
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        plot_timeline(WorkDir(saved), report, png, translator("zh"))
    glyphs = [str(w.message) for w in caught if "missing from" in str(w.message)
              or "Glyph" in str(w.message)]
    assert not glyphs, f"matplotlib drew missing-glyph boxes: {glyphs[:3]}"
    assert not [r for r in caplog.records if "findfont" in r.getMessage()], "font fallback"
    found = font_manager.findfont(font_manager.FontProperties(family=cjk_family()),
                                  fallback_to_default=False)
    assert Path(found) == path
    assert png.stat().st_size > 10_000
