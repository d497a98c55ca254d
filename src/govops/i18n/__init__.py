"""Chinese and English for what people read (ADR 0019).

`resolve_lang(option)` picks the language (`--lang`, then `GOVOPS_LANG`, then `LANG`, then
English); `translator(lang)` gives a `Translator`, a callable that looks a message up in the
compiled catalog (`src/govops/locale/<locale>/LC_MESSAGES/govops.mo`) and fills its `{named}`
placeholders. `N_` marks a message for the catalog where it is only translated later.
JSON never goes through a translator: its keys and codes stay English, names stay as written.
"""

from __future__ import annotations

from govops.i18n.catalog import Translator, translator
from govops.i18n.select import LANGS, resolve_lang


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, do not translate"
    """Mark `message` for the catalog; it is translated where it is shown."""
    return message


__all__ = ["LANGS", "N_", "Translator", "resolve_lang", "translator"]
