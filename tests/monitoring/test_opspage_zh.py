"""The ops page in Chinese: rendered from the same template as the English one, served with
`ops serve --lang zh` or switched per request (?lang=), and checked in headless Chromium
(Playwright driving the Debian chromium): Chinese headings, no English catalog message, and
CJK glyphs really drawn (the heading differs from a rendering where no CJK font exists)."""

from __future__ import annotations

import os
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from govops.i18n import translator
from govops.monitoring.opspage import make_server, render, summary
from govops.monitoring.prometheus import Prometheus
from tests.i18n.zh_checks import assert_chinese, english_fragments
from tests.monitoring.browser import artifacts_dir, chromium_path
from tests.monitoring.test_opspage import fake_prometheus  # noqa: F401 - a fixture

HEADINGS = ["两地三中心：数据中心与灾备角色", "复制状态与恢复点目标（RPO）", "最近的灾备演练",
            "电子政务外网：省级核心到各地的可达性", "关键指标"]
TERMS = ("两地三中心", "同城灾备中心", "异地灾备中心", "恢复点目标", "恢复时间目标", "灾备演练",
         "电子政务外网", "集约化率", "IPv6 覆盖率", "处置手册", "海岛镇")


@pytest.fixture
def zh_page(fake_prometheus: str) -> Iterator[str]:  # noqa: F811 - the imported fixture
    server = make_server("127.0.0.1:0", fake_prometheus, "zh")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_page_body_in_chinese(fake_prometheus: str) -> None:  # noqa: F811
    data = summary(Prometheus(fake_prometheus))
    html = render(data, translator("zh"))
    assert_chinese(html, *TERMS, *HEADINGS)
    assert 'data-role="down"' in html and 'data-scenario="site-loss"' in html  # codes stay
    english = render(data, translator("en"))
    assert "Two sites, three centres: data centres and DR roles" in english
    assert "intensification rate" in english


def test_served_in_chinese_with_a_language_switch(zh_page: str) -> None:
    with urllib.request.urlopen(zh_page + "/", timeout=10) as resp:
        page = resp.read().decode("utf-8")
    assert '<html lang="zh-CN">' in page and 'href="?lang=en"' in page
    assert "govops 运维中心" in page
    with urllib.request.urlopen(zh_page + "/?lang=en", timeout=10) as resp:
        english = resp.read().decode("utf-8")
    assert '<html lang="en">' in english and 'href="?lang=zh"' in english
    assert "Latest DR drills" in english and "最近的灾备演练" not in english


def _playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (make install)")
    if chromium_path() is None:
        pytest.skip("chromium is not installed (apt-get install -y --no-install-recommends chromium)")
    return sync_playwright


def _no_cjk_fonts(tmp_path: Path) -> dict[str, str]:
    """An environment whose fontconfig knows only DejaVu: no font has Chinese glyphs."""
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    "<dir>/usr/share/fonts/truetype/dejavu</dir>"
                    f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>")
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


def _heading_shot(sync_playwright, url: str, path: Path, env: dict[str, str] | None) -> tuple[str, list[str]]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), env=env,
                                    args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(url, wait_until="load")
            text = page.inner_text("body")
            headings = [h.inner_text() for h in page.query_selector_all("h2")]
            page.locator("#dc h2").screenshot(path=str(path))
            if env is None:
                page.screenshot(path=str(artifacts_dir() / "ops-page-zh.png"), full_page=True)
        finally:
            browser.close()
    return text, headings


def test_zh_page_in_headless_chromium_draws_cjk_glyphs(zh_page: str, tmp_path: Path) -> None:
    from PIL import Image, ImageChops

    sync_playwright = _playwright()
    real, missing = tmp_path / "heading.png", tmp_path / "heading-no-cjk-font.png"
    text, headings = _heading_shot(sync_playwright, zh_page, real, None)
    for want in HEADINGS:
        assert any(want in h for h in headings), f"{want} not among the headings {headings}"
    leaked = [f for f in english_fragments() if f in text]
    assert not leaked, f"untranslated catalog messages on the zh page: {leaked}"
    _heading_shot(sync_playwright, zh_page, missing, _no_cjk_fonts(tmp_path))
    a, b = Image.open(real).convert("L"), Image.open(missing).convert("L")
    if a.size != b.size:
        b = b.resize(a.size)
    diff = ImageChops.difference(a, b)
    changed = sum(1 for v in diff.getdata() if v > 40)
    assert changed > 0.02 * a.size[0] * a.size[1], (
        "the heading looks the same with and without a CJK font: the glyphs were not drawn")
    # drawn glyphs have varied strokes; .notdef boxes are alike: the real heading has more ink
    ink = sum(1 for v in a.getdata() if v > 128)
    assert ink > 0.04 * a.size[0] * a.size[1]
