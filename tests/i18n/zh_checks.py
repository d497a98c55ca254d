"""Checks on rendered Chinese output: the catalog's English messages must not show through,
the glossary's terms must, and every message the code asked for must be in the catalog."""

from __future__ import annotations

import functools
import re
import string

from babel.messages.pofile import read_po

from govops.i18n import translator
from govops.i18n.catalog import po_path


@functools.cache
def english_fragments() -> tuple[str, ...]:
    """Literal parts (between placeholders) of every message whose zh translation differs from
    the English: at least two words and 10 characters, so that a code ("n/a") or a lone word
    that is also an identifier does not count."""
    with po_path("zh").open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    found = set()
    for msg in catalog:
        if not msg.id:
            continue
        msgid = msg.id if isinstance(msg.id, str) else msg.id[0]
        text = msg.string if isinstance(msg.string, str) else msg.string[0]
        if text == msgid:
            continue
        for literal, *_ in string.Formatter().parse(msgid):
            literal = literal.strip(" :;,.()—`*")
            if len(literal) >= 10 and re.search(r"[A-Za-z]+ [A-Za-z]+", literal):
                found.add(literal)
    return tuple(sorted(found))


def assert_chinese(text: str, *terms: str, min_cjk: int = 10) -> None:
    """`text` is Chinese: no English catalog message in it, the given glossary terms in it, and
    every message the code asked the zh translator for exists in the catalog."""
    leaked = [f for f in english_fragments() if f in text]
    assert not leaked, f"English catalog messages in the zh output: {leaked}"
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    assert cjk >= min_cjk, f"only {cjk} Chinese characters:\n{text[:500]}"
    missing = [t for t in terms if t not in text]
    assert not missing, f"glossary terms missing from the zh output: {missing}"
    asked = translator("zh").missing
    assert not asked, f"messages with no zh translation in the catalog: {sorted(asked)}"
