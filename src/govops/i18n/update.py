"""`python -m govops.i18n.update`: bring the `.po` catalogs in line with the code.

New messages are added (empty in zh_CN: the catalog test then names them), messages the code
no longer uses are dropped, translations are kept. Run it after changing a message, translate,
then `python -m govops.i18n.compile`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from govops.i18n.catalog import LOCALES, po_path
from govops.i18n.extract import extract

#: a fixed date keeps the catalogs' headers from changing on every update
CREATED = datetime(2026, 12, 7, tzinfo=UTC)
HEADER = "Messages of govops, the ops automation of provincial e-government (see docs/glossary.md)."


def template() -> Catalog:
    """A catalog of every message the code uses, without translations."""
    catalog = Catalog(project="govops", domain="govops", header_comment=f"# {HEADER}",
                      creation_date=CREATED, revision_date=CREATED)
    for message, places in sorted(extract().items(), key=lambda kv: str(kv[0])):
        catalog.add(message, locations=[(f, int(n)) for f, n in (p.rsplit(":", 1) for p in places)],
                    flags=("python-brace-format",) if "{" in str(message) else ())
    return catalog


def update() -> list[str]:
    """Update every language's `.po`; returns the paths written."""
    tmpl = template()
    written = []
    for lang, locale in LOCALES.items():
        path = po_path(lang)
        if path.is_file():
            with path.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="govops", domain="govops",
                              header_comment=f"# {HEADER}")
        catalog.update(tmpl, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False
        catalog.revision_date = CREATED
        catalog.last_translator = "govops"
        catalog.language_team = "govops"
        catalog.msgid_bugs_address = ""
        catalog.version = "0.1"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, sort_output=False, include_previous=False)
        written.append(str(path))
    return written


if __name__ == "__main__":
    print("updated " + ", ".join(update()))
