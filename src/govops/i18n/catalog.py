"""Message catalogs: the compiled `.mo` of a language, `.po` read directly when it is missing.

Catalogs live in `src/govops/locale/<locale>/LC_MESSAGES/govops.po` (in the repository) and
are compiled to `govops.mo` at install time (`python -m govops.i18n.compile`). A checkout
whose `.mo` is missing or older than its `.po` still works: the `.po` is read with Babel.
"""

from __future__ import annotations

import functools
import gettext
import string
from pathlib import Path
from typing import Any

DOMAIN = "govops"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LOCALES = {"en": "en", "zh": "zh_CN"}


def po_path(lang: str) -> Path:
    """The `.po` file of a language ("zh" or "en")."""
    return LOCALE_DIR / LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


def placeholders(message: str) -> set[str]:
    """The `{named}` fields of a str.format message ("{n} devices" → {"n"})."""
    return {field.split(".")[0].split("[")[0].split("!")[0]
            for _, field, _, _ in string.Formatter().parse(message) if field is not None}


class _PoTranslations(gettext.NullTranslations):
    """gettext over a `.po` read by Babel (for checkouts whose catalogs are not compiled)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        from babel.messages.pofile import read_po

        with path.open("rb") as handle:
            catalog = read_po(handle)
        self._plural = catalog.plural_expr
        self._nplurals = catalog.num_plurals
        self._messages: dict[Any, Any] = {}
        for msg in catalog:
            if not msg.id or msg.fuzzy:
                continue
            self._messages[msg.id if isinstance(msg.id, str) else msg.id[0]] = msg.string

    def gettext(self, message: str) -> str:
        found = self._messages.get(message)
        if isinstance(found, str) and found:
            return found
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = self._messages.get(singular)
        default = singular if n == 1 else plural
        if isinstance(found, (list, tuple)) and found:
            index = 0 if self._nplurals == 1 else (0 if n == 1 else 1)
            return found[min(index, len(found) - 1)] or default
        return default


@functools.cache
def _translations(lang: str) -> gettext.NullTranslations:
    po = po_path(lang)
    mo = po.with_suffix(".mo")
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    if po.is_file():
        return _PoTranslations(po)
    return gettext.NullTranslations()


class Translator:
    """Messages of one language: `tr("{n} devices", n=3)`; `tr.ntr(singular, plural, n)`."""

    def __init__(self, lang: str) -> None:
        if lang not in LOCALES:
            raise ValueError(f"unknown language {lang!r}")
        self.lang = lang
        self._t = _translations(lang)
        #: messages asked for that the catalog does not translate (tests assert it is empty)
        self.missing: set[str] = set()

    def _known(self, message: str) -> bool:
        catalog = getattr(self._t, "_catalog", None) or getattr(self._t, "_messages", {})
        return message in catalog or (message, 0) in catalog

    def __call__(self, message: str, **fields: Any) -> str:
        """The translation of `message`, its placeholders filled from `fields`."""
        text = self._t.gettext(message)
        if self.lang != "en" and not self._known(message):
            self.missing.add(message)
        return text.format(**fields) if fields else text

    def ntr(self, singular: str, plural: str, count: int, **fields: Any) -> str:
        """The singular or plural form for `count` (`{n}` is `count`)."""
        if self.lang != "en" and not self._known(singular):
            self.missing.add(singular)
        return self._t.ngettext(singular, plural, count).format(n=count, **fields)

    def named(self, name: str, display_name: str | None) -> str:
        """A name with its display name: "gz-main (广州主中心)", or the name alone."""
        tr = self
        return tr("{name} ({display_name})", name=name, display_name=display_name) \
            if display_name else name


@functools.cache
def translator(lang: str) -> Translator:
    """The translator of "zh" or "en"."""
    return Translator(lang)
