"""Read one estate file as text, or say in one located line why it cannot be read.

Estate files are UTF-8 (a BOM is accepted and dropped). Anything else — another encoding, a
binary file, a file above the size limit, a file the user may not read, a symlink that loops
or dangles — is one `SourceProblem`, never a traceback.
"""

from __future__ import annotations

import codecs
import errno
import os
from pathlib import Path

from govops.estate.errors import Problem

#: Environment variable: the size limit of one estate file, in MB (default 64).
MAX_MB_ENV = "GOVOPS_MAX_FILE_MB"
DEFAULT_MAX_MB = 64
#: Encodings a non-UTF-8 estate file most likely uses, tried in this order for the message.
_GUESSES = (("GBK", "gbk"), ("GB18030", "gb18030"), ("Big5", "big5"), ("Shift-JIS", "shift_jis"))
_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


class SourceProblem(Exception):
    """A file that cannot be read or parsed at all."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def max_bytes() -> int:
    """The size limit of one estate file (`GOVOPS_MAX_FILE_MB`, default 64 MB)."""
    raw = os.environ.get(MAX_MB_ENV, "").strip()
    try:
        mb = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return int(mb * 1_000_000)


def _fail(path: Path, message: str, line: int = 1) -> SourceProblem:
    return SourceProblem(Problem(str(path), line, message))


def _os_problem(path: Path, exc: OSError) -> SourceProblem:
    if exc.errno == errno.ELOOP:
        return _fail(path, "symlink loops (it points, directly or not, at itself): remove it")
    if exc.errno == errno.ENOENT and path.is_symlink():
        return _fail(path, f"symlink to {os.readlink(path)}, which does not exist: remove it "
                     "or restore its target")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return _fail(path, "cannot be read (permission denied): let govops read it (chmod a+r)")
    if exc.errno == errno.EISDIR:
        return _fail(path, "is a folder, not a file: rename it (no .yaml suffix)")
    return _fail(path, f"cannot be read ({exc.strerror or exc}): fix or remove it")


def guess_encoding(data: bytes) -> str:
    """A name for the encoding `data` (not UTF-8) most likely uses, or 'an unknown encoding'."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    suspects = b"\n".join(line for line in data.split(b"\n") if not _is_utf8(line))
    for name, codec in _GUESSES:
        try:
            suspects.decode(codec)
        except UnicodeDecodeError:
            continue
        return name
    return "Latin-1 or another 8-bit encoding"


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_text(path: Path) -> str:
    """The file's text (UTF-8, BOM dropped); SourceProblem with one located line otherwise."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a directory")
        limit = max_bytes()
        if size > limit:
            raise _fail(path, f"{size / 1e6:.1f} MB is above the {limit / 1e6:g} MB limit for one "
                        f"estate file: split it into several files (or raise {MAX_MB_ENV})")
        data = path.read_bytes()
    except OSError as exc:
        raise _os_problem(path, exc) from exc
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif any(data.startswith(bom) for bom, _ in _BOMS):
        raise _fail(path, f"not UTF-8 (looks like {guess_encoding(data)}): save it as UTF-8")
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        raise _fail(path, "binary data (a NUL byte), not YAML text: remove the file or give it "
                    "another suffix", line)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _fail(path, f"not UTF-8 (looks like {guess_encoding(data)}): save it as UTF-8",
                    line) from exc
