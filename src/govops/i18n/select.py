"""Which language a command speaks: `--lang`, else `GOVOPS_LANG`, else `LANG`, else English."""

from __future__ import annotations

import os

from govops.errors import BadInput

LANGS = ("zh", "en")
ENV = "GOVOPS_LANG"


def normalise(value: str) -> str | None:
    """"zh", "zh_CN", "zh-CN.UTF-8", "zh_TW" → "zh"; "en", "en_US.UTF-8", "C" → "en"; else None."""
    code = value.strip().split(".")[0].split("@")[0].replace("-", "_").lower()
    if code.startswith("zh"):
        return "zh"
    if code.startswith("en") or code in ("c", "posix"):
        return "en"
    return None


def resolve_lang(option: str | None = None) -> str:
    """The language: the option, then GOVOPS_LANG (both must name zh or en), then LANG
    (zh_CN.* → zh, anything else → en)."""
    for source, value in (("--lang", option), (ENV, os.environ.get(ENV))):
        if value:
            lang = normalise(value)
            if lang is None:
                raise BadInput(f"{source} {value!r}: unknown language: use zh or en")
            return lang
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "zh" if normalise(value) == "zh" else "en"
    return "en"
