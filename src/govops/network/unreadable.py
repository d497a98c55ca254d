"""A running config govops cannot read: binary data, a cut file, a structure hier_config refuses.

`UnreadableConfig` carries the line where known; `check_text` catches binary data and cut
files before parsing; `explain` turns a parser's exception into one line.
"""

from __future__ import annotations

import ast
import re

from govops.errors import BadInput


class UnreadableConfig(BadInput):
    """One device's config cannot be read: `str()` is the reason, `line` the place (0: unknown)."""

    def __init__(self, why: str, line: int = 0) -> None:
        super().__init__(why)
        self.why = why
        self.line = line

    def located(self, where: str) -> str:
        """`where:line: why` (or `where: why` when the line is unknown)."""
        return f"{where}:{self.line}: {self.why}" if self.line else f"{where}: {self.why}"


#: Characters a text config never holds (everything below space but tab, CR, LF, ESC).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\ufffd]")


def check_text(text: str, last_line: str | None = None) -> None:
    """UnreadableConfig when `text` is not a saved config: binary data, or (with `last_line`,
    e.g. VRP's `return`) a file that stops before the line every saved config ends with."""
    if not text.strip():
        raise UnreadableConfig("the file is empty")
    bad = _CONTROL.search(text)
    if bad is not None and len(_CONTROL.findall(text)) * 100 > len(text) or "\x00" in text:
        line = text.count("\n", 0, bad.start() if bad else 0) + 1
        raise UnreadableConfig("binary data, not a saved running config", line)
    if last_line is not None:
        tail = text.rstrip().rsplit("\n", 1)[-1].strip()
        if tail != last_line:
            lines = text.rstrip().count("\n") + 1
            raise UnreadableConfig(f"the file is cut short: it ends without `{last_line}`",
                                   lines)


def explain(exc: Exception, text: str) -> UnreadableConfig:
    """A parser's exception (hier_config's DuplicateChildError, …) as one located line."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if type(exc).__name__ == "DuplicateChildError":
        _, _, path = message.partition(": ")
        try:
            parts = ast.literal_eval(path)
            dup = str(parts[-1])
        except (ValueError, SyntaxError, IndexError, TypeError):
            return UnreadableConfig(f"a section is repeated: {message}")
        return UnreadableConfig(f"section `{dup.strip()}` is repeated (a section may appear "
                                "once)", _second(text, dup.strip()))
    return UnreadableConfig(f"cannot read its structure: {type(exc).__name__}: {message}")


def _second(text: str, stripped: str) -> int:
    """The line number of the second line of `text` that reads `stripped` (0: none)."""
    seen = 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() == stripped:
            seen += 1
            if seen == 2:
                return number
    return 0
