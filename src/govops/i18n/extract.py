"""Which messages the code and templates use: `tr(...)`, `tr.ntr(...)`, `N_(...)` in Python,
`tr(...)` in Jinja2 templates. The catalog test and `python -m govops.i18n.update` use it."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
KEYWORDS = {"tr": None, "N_": None, "ntr": (1, 2)}
METHOD_MAP = [("**.py", "python"), ("**/templates/**.j2", "jinja2.ext:babel_extract")]


def extract(package: Path = PACKAGE) -> dict[str | tuple[str, str], list[str]]:
    """msgid (a tuple for plural messages) → the places it is used ("drills/report.py:42")."""
    from babel.messages.extract import extract_from_dir

    found: dict[str | tuple[str, str], list[str]] = {}
    options = {"**/templates/**.j2": {"trim_blocks": "True", "lstrip_blocks": "True"}}
    for filename, line, message, _comments, _context in extract_from_dir(
            str(package), METHOD_MAP, options_map=options, keywords=KEYWORDS,
            comment_tags=("TRANSLATORS:",), strip_comment_tags=True):
        if isinstance(message, tuple):
            if len(message) < 2 or not message[0] or not message[1] or not isinstance(message[1], str):
                continue  # ntr(...) with one argument: not a plural message
            message = (message[0], message[1])
        elif not message:
            continue
        found.setdefault(message, []).append(f"{filename}:{line}")
    return found
