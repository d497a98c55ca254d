"""Output for the CLI: rich for people, JSON for machines; errors as one line on stderr."""

from __future__ import annotations

import enum
import json
import sys
from typing import Any

from rich.console import Console

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


#: `--unsigned` of every state-changing command (issue 18, ADR 0018).
UNSIGNED_HELP = ("Run with no operator key, the audit record unsigned (chain only): on the lab "
                 "estate only (lab: true in province.yaml).")


class Output(str, enum.Enum):
    """`--output` choices."""

    text = "text"
    json = "json"


LANG_HELP = ("Language of what people read: zh or en (default: GOVOPS_LANG, then LANG zh_CN.* → zh, "
             "then en). JSON output is the same in both.")


def lang_option() -> Any:
    """The `--lang zh|en` option of the commands whose output people read."""
    import typer

    return typer.Option(None, "--lang", help=LANG_HELP, show_default=False)


def language(option: str | None) -> Any:
    """The Translator for `--lang` (or its defaults); BadInput for an unknown language."""
    from govops.i18n import resolve_lang, translator

    return translator(resolve_lang(option))


def emit_json(data: Any) -> None:
    """Print `data` as JSON on stdout (no rich markup, no wrapping); Chinese text stays readable
    (not \\u-escaped), in UTF-8 whatever the terminal's locale."""
    emit_text(json.dumps(data, indent=2, sort_keys=False, default=str, ensure_ascii=False) + "\n")


def emit_text(text: str) -> None:
    """Print a document (Markdown) on stdout as it is, in UTF-8 whatever the locale."""
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:  # a non-UTF-8 locale: JSON is UTF-8 (RFC 8259) anyway
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()


def error(message: str) -> None:
    """Print an error for a person on stderr, one line per problem."""
    for line in str(message).splitlines() or [""]:
        err.print(f"[bold red]error:[/] {line}", markup=True, soft_wrap=True, highlight=False)
