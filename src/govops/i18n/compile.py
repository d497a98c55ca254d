"""`python -m govops.i18n.compile`: compile every `.po` catalog to its `.mo` (run by make install).

Exits 1 naming the catalog and message when a catalog has errors (Babel's checks: placeholders
of python-format messages, plural forms).
"""

from __future__ import annotations

import sys
from pathlib import Path

from govops.i18n.catalog import DOMAIN, LOCALE_DIR


def compile_all(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Write `govops.mo` beside every `govops.po`; returns the files written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(locale_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parts[-3])
        problems = [f"{po}: {msg.id!r}: {err}" for msg, errors in catalog.check() for err in errors]
        if problems:
            raise SystemExit("\n".join(problems))
        mo = po.with_suffix(".mo")
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as handle:
            write_mo(handle, catalog)
        tmp.replace(mo)
        written.append(mo)
    return written


def main() -> None:
    """Compile the catalogs and say which."""
    written = compile_all()
    print("compiled " + ", ".join(str(p.relative_to(LOCALE_DIR.parent)) for p in written))


if __name__ == "__main__":
    main()
    sys.exit(0)
