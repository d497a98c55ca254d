"""Estate validation problems, each pinned to a file and line."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass

from govops.errors import BadInput


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the estate, at `file:line`."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{display_path(self.file)}:{self.line}: {self.message}"


class EstateError(BadInput):
    """The estate is invalid; carries every problem found, reported all at once."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def display_path(path: str) -> str:
    """Path relative to the working directory when it lies below it, else as given."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean "x"?)' for the closest choice, or '' when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
