"""Edit estate files in tests and read back located problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from govops.estate.errors import EstateError, Problem
from govops.estate.loader import load_estate


def replace(path: Path, old: str, new: str) -> int:
    """Replace the one occurrence of `old` with `new`; return the 1-based line where it starts."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} found {text.count(old)} times in {path}"
    start = text.index(old)
    path.write_text(text.replace(old, new))
    return text.count("\n", 0, start) + 1


def line_of(path: Path, text: str) -> int:
    """1-based line of the one line containing `text`."""
    hits = [i + 1 for i, line in enumerate(path.read_text().splitlines()) if text in line]
    assert len(hits) == 1, f"{text!r} found {len(hits)} times in {path}"
    return hits[0]


def problems(directory: Path) -> list[Problem]:
    """The problems load_estate reports (fails the test when it loads fine)."""
    with pytest.raises(EstateError) as caught:
        load_estate(directory)
    return caught.value.problems


def assert_problem(found: list[Problem], file: Path, line: int, *fragments: str) -> Problem:
    """Exactly one problem at file:line holding every fragment."""
    matching = [p for p in found if Path(p.file).name == file.name and p.line == line
                and all(f in p.message for f in fragments)]
    assert matching, f"no problem at {file.name}:{line} with {fragments}; got:\n" + "\n".join(
        str(p) for p in found)
    return matching[0]
