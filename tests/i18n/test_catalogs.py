"""The message catalogs: complete, placeholders intact, glossary terms used consistently,
compilable; and the language a command speaks (--lang, GOVOPS_LANG, LANG)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from govops.errors import BadInput
from govops.i18n import resolve_lang, translator
from govops.i18n.catalog import LOCALE_DIR, Translator, placeholders, po_path
from govops.i18n.compile import compile_all
from govops.i18n.extract import extract

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "docs" / "glossary.md"


def catalog(lang: str):
    with po_path(lang).open("rb") as handle:
        return read_po(handle, locale={"en": "en", "zh": "zh_CN"}[lang])


def entries(lang: str) -> dict:
    return {m.id if isinstance(m.id, str) else tuple(m.id): m.string for m in catalog(lang) if m.id}


def test_every_message_the_code_uses_is_in_both_catalogs() -> None:
    used = set(extract())
    for lang in ("en", "zh"):
        missing = used - set(entries(lang))
        assert not missing, (f"{po_path(lang)} lacks {sorted(map(str, missing))[:10]}: run "
                             "python -m govops.i18n.update, then translate")
    stale = set(entries("en")) - used
    assert not stale, f"messages no code uses (python -m govops.i18n.update drops them): {stale}"


def test_every_english_message_has_a_chinese_translation_with_the_same_placeholders() -> None:
    zh = entries("zh")
    problems = []
    for msgid in entries("en"):
        text = zh.get(msgid)
        ids = [msgid] if isinstance(msgid, str) else list(msgid)
        forms = [text] if isinstance(text, str) else list(text or [])
        if not forms or not all(forms):
            problems.append(f"{msgid!r}: no Chinese translation")
            continue
        want = set().union(*(placeholders(i) for i in ids))
        for form in forms:
            if placeholders(form) != want:
                problems.append(f"{msgid!r}: placeholders {sorted(placeholders(form))} in zh, "
                                f"{sorted(want)} in en")
    assert not problems, "\n".join(problems)


def test_the_check_notices_a_changed_placeholder(tmp_path: Path) -> None:
    assert placeholders("{n} devices in {seconds} s") == {"n", "seconds"}
    assert placeholders("{n} 台设备，用时 {secs} 秒") != placeholders("{n} devices in {seconds} s")
    assert placeholders("no fields") == set()


def glossary() -> list[tuple[str, str]]:
    """(zh, en) rows of docs/glossary.md whose English column is a term checked in the catalog."""
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[2] == "checked":
            rows.append((cells[0], cells[1]))
    return rows


def test_glossary_terms_are_used_consistently_in_the_catalog() -> None:
    rows = glossary()
    assert len(rows) >= 15
    zh_terms = {zh for zh, _ in rows}
    for want in ("两地三中心", "同城灾备中心", "异地灾备中心", "恢复时间目标", "恢复点目标", "灾难恢复等级",
                 "网络安全等级保护", "电子政务外网", "集约化率", "演练", "回切", "切换", "回滚"):
        assert any(want in z for z in zh_terms), f"{want} is not in docs/glossary.md"
    zh = entries("zh")
    problems = []
    for zh_term, en_term in rows:
        for en in (t.strip() for t in en_term.split("/")):
            pattern = re.compile(rf"(?<![\w-]){re.escape(en)}(?![\w-])", re.IGNORECASE)
            for msgid, text in zh.items():
                ids = [re.sub(r"\{[^}]*\}", "", i)  # placeholders are not words
                       for i in ([msgid] if isinstance(msgid, str) else list(msgid))]
                forms = " ".join([text] if isinstance(text, str) else list(text))
                alternatives = [z.strip() for z in re.split(r"[/、]", zh_term)]
                if any(pattern.search(i) for i in ids) and not any(a in forms for a in alternatives):
                    problems.append(f"{msgid!r} uses {en!r} but its translation lacks {zh_term}")
    assert not problems, "\n".join(problems)


def test_catalogs_compile(tmp_path: Path) -> None:
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    written = compile_all(copy)
    assert {p.parts[-3] for p in written} == {"en", "zh_CN"}
    assert all(p.stat().st_size > 100 for p in written)


def test_translator_reads_the_po_when_no_mo_is_compiled(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    from govops.i18n import catalog as module

    copy = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy, ignore=shutil.ignore_patterns("*.mo"))
    monkeypatch.setattr(module, "LOCALE_DIR", copy)
    module._translations.cache_clear()
    try:
        tr = Translator("zh")
        assert tr("estate is valid") == "资产清单校验通过"
        assert tr.ntr("exceptions: {n} waived rule", "exceptions: {n} waived rules", 3) == "豁免：3 条规则"
    finally:
        module._translations.cache_clear()


def test_english_plural_and_fields() -> None:
    tr = translator("en")
    assert tr.ntr("exceptions: {n} waived rule", "exceptions: {n} waived rules", 1) == \
        "exceptions: 1 waived rule"
    assert tr.ntr("exceptions: {n} waived rule", "exceptions: {n} waived rules", 2) == \
        "exceptions: 2 waived rules"
    assert tr.named("gz-main", "广州主中心") == "gz-main (广州主中心)"
    assert translator("zh").named("gz-main", "广州主中心") == "gz-main（广州主中心）"


@pytest.mark.parametrize(("option", "env", "want"), [
    ("zh", {}, "zh"), ("en", {"GOVOPS_LANG": "zh"}, "en"), (None, {"GOVOPS_LANG": "zh"}, "zh"),
    (None, {"GOVOPS_LANG": "zh_CN"}, "zh"), (None, {"LANG": "zh_CN.UTF-8"}, "zh"),
    (None, {"LANG": "en_US.UTF-8"}, "en"), (None, {"LANG": "C.UTF-8"}, "en"), (None, {}, "en"),
    (None, {"GOVOPS_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
])
def test_language_selection(option, env, want, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GOVOPS_LANG", "LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert resolve_lang(option) == want


def test_unknown_language_is_bad_input(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(BadInput, match="--lang 'fr'"):
        resolve_lang("fr")
    monkeypatch.setenv("GOVOPS_LANG", "klingon")
    with pytest.raises(BadInput, match="GOVOPS_LANG"):
        resolve_lang(None)


def test_times_in_documents() -> None:
    from govops.i18n.times import stamp

    assert stamp(0, "en") == "1970-01-01 00:00:00 UTC"
    assert stamp(0, "zh") == "1970-01-01 08:00:00（北京时间，UTC+8）"
    assert stamp("2026-12-07T10:30:00+00:00", "zh").startswith("2026-12-07 18:30:00")
