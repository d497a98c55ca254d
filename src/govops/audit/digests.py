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


def _with_staged(files: list[Path], staged: dict[Path, Path], folder: Path | None) -> list[Path]:
    """`files` as they will be once each staged file has replaced its final path."""
    if not staged:
        return files
    temps = {Path(t) for t in staged.values()}
    kept = [f for f in files if f not in temps]
    for final in staged:
        final = Path(final)
        inside = folder is None or final.parent == folder or folder in final.parents
        if inside and final not in kept:
            kept.append(final)
    return sorted(kept)


def file_digests(paths: Iterable[Path], staged: dict[Path, Path] | None = None) -> dict[str, dict]:
    """`{display path: {"sm3": hex, "size": bytes}}` for each file (folders expanded).

    `staged` maps a final path to the file that will replace it: the digest is the staged
    content's, under the final path's name (a record written before the move says what the
    file will hold)."""
    staged = {Path(k): Path(v) for k, v in (staged or {}).items()}
    out: dict[str, dict] = {}
    for given in paths:
        for path in _with_staged(files_under(Path(given)), staged, Path(given)):
            digest, size = file_sm3(staged.get(path, path))
            out[display(path)] = {"sm3": digest, "size": size}
    return out


def tree_digest(folder: Path, staged: dict[Path, Path] | None = None) -> tuple[str, int]:
    """The estate hash: SM3 over `relative path NUL sm3(file) LF` for every file, sorted; and
    the number of files. Independent of where the folder is and of file times. `staged` as in
    `file_digests`: the hash of the folder once the staged files are in place."""
    folder = Path(folder)
    staged = {Path(k): Path(v) for k, v in (staged or {}).items()}
    hasher = Hasher()
    count = 0
    for path in _with_staged(files_under(folder), staged, folder):
        digest, _ = file_sm3(staged.get(path, path))
        hasher.update(f"{path.relative_to(folder).as_posix()}\0{digest}\n".encode())
        count += 1
    return hasher.hexdigest(), count
