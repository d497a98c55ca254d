"""`audit show --lang zh`: the table in Chinese, times in Beijing time; JSON unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from govops.audit import record
from tests.i18n.zh_checks import assert_chinese


def test_show_in_chinese(audit_env: Path, cli) -> None:
    record("net push", ["govops", "net", "push"], "ok", devices=["town-tianhe-a"])
    record("drill run", ["govops", "drill", "run", "site-loss"], "failed: verdict fail",
           tenants=["hrss-social-security"])
    code, out, err = cli("audit", "show", "--lang", "zh")
    assert code == 0, err
    assert "时间（北京时间）" in out and "操作人" in out and "2 条记录" in out
    assert "失败：verdict fail" in out and "成功" in out
    assert_chinese(out, min_cjk=10)
    en = json.loads(cli("audit", "show", "--output", "json")[1])
    zh = json.loads(cli("audit", "show", "--output", "json", "--lang", "zh")[1])
    assert en == zh
