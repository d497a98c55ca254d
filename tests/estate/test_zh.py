"""`estate validate` / `estate show` in Chinese: --lang, GOVOPS_LANG and LANG select it, English
stays English, display names are shown as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.i18n.chinese_estate import NAMES, add_chinese_names
from tests.i18n.zh_checks import assert_chinese

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "inventories" / "lab"


def cjk(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


@pytest.fixture(autouse=True)
def _no_language_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GOVOPS_LANG", "LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)


def test_validate_in_chinese(cli) -> None:
    code, out, err = cli("estate", "validate", LAB, "--lang", "zh")
    assert code == 0, err
    assert_chinese(out, "同城灾备中心", "异地灾备中心", "省级政务云", "资产清单校验通过")


def test_language_comes_from_govops_lang_then_lang(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert cjk(cli("estate", "validate", LAB)[1]) > 20
    monkeypatch.setenv("GOVOPS_LANG", "en")
    assert cjk(cli("estate", "validate", LAB)[1]) == 0
    monkeypatch.setenv("GOVOPS_LANG", "zh")
    assert cjk(cli("estate", "validate", LAB)[1]) > 20
    assert cjk(cli("estate", "validate", LAB, "--lang", "en")[1]) == 0  # the option wins


def test_unknown_language_is_one_line_exit_2(cli) -> None:
    code, out, err = cli("estate", "validate", LAB, "--lang", "fr")
    assert code == 2 and "--lang 'fr'" in err and len(err.strip().splitlines()) == 1


def test_show_in_chinese_with_display_names(cli, lab_copy: Path) -> None:
    add_chinese_names(lab_copy)
    code, out, err = cli("estate", "show", lab_copy, "--lang", "zh")
    assert code == 0, err
    assert_chinese(out, "同城灾备中心", "显示名称", "乡镇")
    for name in NAMES.values():
        assert name in out
