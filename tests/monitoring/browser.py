"""Headless Chromium for page tests: the DOM after rendering, a screenshot, a tiny DOM reader."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: LAB-NOTES flags, plus no background traffic: the machine has no internet.
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-default-apps",
         "--disable-sync", "--hide-scrollbars"]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def artifacts_dir() -> Path:
    """Where tests leave screenshots (`GOVOPS_TEST_ARTIFACTS`, default build/test-artifacts)."""
    path = Path(os.environ.get("GOVOPS_TEST_ARTIFACTS", ROOT / "build" / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    binary = chromium_path()
    assert binary, "chromium is not installed: apt-get install -y --no-install-recommends chromium"
    with tempfile.TemporaryDirectory(prefix="govops-chromium-") as profile:
        return subprocess.run([binary, *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout)


def dump_dom(url: str) -> str:
    proc = _run(["--virtual-time-budget=3000", "--dump-dom", url])
    assert proc.returncode == 0 and "<html" in proc.stdout, proc.stderr[-2000:]
    return proc.stdout


def screenshot(url: str, path: Path, size: str = "1400,1100") -> Path:
    proc = _run([f"--screenshot={path}", f"--window-size={size}", url])
    assert path.is_file() and path.stat().st_size > 10_000, proc.stderr[-2000:]
    return path


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        out = []
        for child in self.children:
            if (tag is None or child.tag == tag) and all(
                    child.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()):
                out.append(child)
            out += child.find_all(tag, **attrs)
        return out

    def by_id(self, ident: str) -> Element:
        hits = self.find_all(id=ident)
        assert len(hits) == 1, f"#{ident}: {len(hits)} elements"
        return hits[0]

    def rows(self, attr: str) -> dict[str, Element]:
        """Table rows carrying `data-<attr>`, by its value."""
        return {e.attrs[f"data-{attr}"]: e for e in self.find_all("tr")
                if f"data-{attr}" in e.attrs}


VOID = {"meta", "link", "br", "img", "input", "hr", "col", "source"}


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        for el in self.stack[1:]:
            el.text += data


def parse(html: str) -> Element:
    parser = _Parser()
    parser.feed(html)
    return parser.root
