"""SM3 digests of what a command read and wrote: files, folders, the estate; portable paths."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from govops.audit.sm3 import Hasher, file_sm3
from govops.paths import REPO_ROOT

#: Folders never part of an estate hash.
SKIP_DIRS = {".git", "__pycache__", ".pytest_cache", ".ruff_cache"}


def display(path: Path) -> str:
    """How a path is written in the log: relative to the checkout when inside it, else absolute."""
    resolved = Path(os.path.abspath(path))
    try:
        return resolved.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return resolved.as_posix()


def resolve(text: str) -> Path:
    """The file a logged path names."""
    path = Path(text)
    return path if path.is_absolute() else REPO_ROOT / path


def files_under(path: Path) -> list[Path]:
    """`path` itself when a file; every file below it (sorted, skipping caches) when a folder."""
    if not path.is_dir():
        return [path]
    found = []
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        found.extend(Path(root) / n for n in sorted(names))
    return sorted(found)


def file_digests(paths: Iterable[Path]) -> dict[str, dict]:
    """`{display path: {"sm3": hex, "size": bytes}}` for each file (folders expanded)."""
    out: dict[str, dict] = {}
    for given in paths:
        for path in files_under(Path(given)):
            digest, size = file_sm3(path)
            out[display(path)] = {"sm3": digest, "size": size}
    return out


def tree_digest(folder: Path) -> tuple[str, int]:
    """The estate hash: SM3 over `relative path NUL sm3(file) LF` for every file, sorted; and
    the number of files. Independent of where the folder is and of file times."""
    folder = Path(folder)
    hasher = Hasher()
    count = 0
    for path in files_under(folder):
        digest, _ = file_sm3(path)
        hasher.update(f"{path.relative_to(folder).as_posix()}\0{digest}\n".encode())
        count += 1
    return hasher.hexdigest(), count
