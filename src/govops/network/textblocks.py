"""Multi-line text blocks (VRP `header`, Comware `header motd/legal/login`, IOS `banner`) as one line.

A banner is one command whose argument spans lines, between two delimiters:

    header motd %                      ← Comware: the delimiter is the first character
    ====================================
     Government extranet: authorised use
    ====================================
    %

Read line by line, its lines would look like commands and sections (and a repeated line makes
hier_config raise DuplicateChildError). `fold` joins each block into one line, its line breaks
kept as `SEP`, before anything else reads the config; `unfold` gives the lines back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from govops.network.unreadable import UnreadableConfig

#: What stands for a line break inside a folded block: ␤ (not whitespace, which hier_config
#: would squeeze; never in a real config).
SEP = "\u2424"

_START = re.compile(
    r"^(?P<head>\s*(?:header\s+(?:login|shell|motd|legal|incoming|exec)(?:\s+information)?"
    r"|banner\s+\S+))\s+(?P<rest>\S.*)$"
)


def _delimiter(rest: str) -> str | None:
    """The delimiter a block starts with, or None when the command is not a text block."""
    if rest.startswith(("file ", "file\t")):
        return None
    if rest.startswith("^C"):
        return "^C"
    return rest[0]


def fold(text: str) -> str:
    """`text` with every multi-line text block joined into one line (see module doc).

    UnreadableConfig (with the line number) when a block is never closed: the file was cut.
    """
    if "header" not in text and "banner" not in text:
        return text
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _START.match(line)
        delim = _delimiter(match.group("rest")) if match else None
        if match is None or delim is None or delim in match.group("rest")[len(delim):]:
            out.append(line)
            i += 1
            continue
        start = i
        block = [line.rstrip()]
        i += 1
        while i < len(lines) and delim not in lines[i]:
            block.append(lines[i].rstrip())
            i += 1
        if i >= len(lines):
            raise UnreadableConfig(f"`{match.group('head').strip()}` text block is never "
                                   f"closed with {delim} (the file is cut short)", start + 1)
        block.append(lines[i].rstrip())
        out.append(SEP.join(block))
        i += 1
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def unfold(line: str) -> list[str]:
    """The lines of a folded block (one line for any other command)."""
    return line.split(SEP)


def line_count(line: str) -> int:
    """How many lines of the device's config `line` stands for."""
    return line.count(SEP) + 1


def global_lines(text: str, skip: Callable[[str], bool]) -> Iterator[tuple[int, str]]:
    """(indent, stripped line) of a VRP/Comware config, text blocks folded, `#` separators and
    lines `skip` names dropped, and Comware's indented global block (` sysname X` right after
    a column-0 `#`) brought back to column 0."""
    dedent = 0          # indentation of the global command block we are in (0: none)
    after_hash = True   # the previous non-blank line was a column-0 '#'
    for raw in fold(text.replace("\r\n", "\n").replace("\t", " ")).splitlines():
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or skip(stripped):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if stripped.startswith("#"):
            if indent == 0:
                after_hash, dedent = True, 0
            continue
        if after_hash and indent > 0:
            dedent = indent
        after_hash = False
        if dedent and indent >= dedent:
            indent -= dedent
        elif dedent:
            dedent = 0
        yield indent, stripped
