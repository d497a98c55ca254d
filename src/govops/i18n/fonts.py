"""The CJK font for Chinese labels in matplotlib figures (installed by make: fonts-wqy-microhei).

matplotlib's font cache does not see fonts installed after it was built, so the font file is
found with fontconfig (`fc-match :lang=zh`) or at the Debian packages' paths and added to
matplotlib's font manager by file.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from govops.errors import BadInput

#: Where Debian's CJK font packages put their files, first choice first.
KNOWN = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
         "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
         "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
INSTALL_HINT = "install a CJK font: apt-get install -y --no-install-recommends fonts-wqy-microhei"


def cjk_font_file() -> Path | None:
    """A font file with Chinese glyphs: fontconfig's choice for zh, else a known path."""
    if shutil.which("fc-match"):
        try:
            found = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh"], capture_output=True,
                                   text=True, timeout=10, check=False).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found and Path(found).is_file() and _has_cjk(found):
            return Path(found)
    for path in KNOWN:
        if Path(path).is_file():
            return Path(path)
    return None


def _has_cjk(path: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        return FT2Font(path).get_char_index(ord("中")) != 0
    except (OSError, RuntimeError):
        return False


@functools.cache
def cjk_family() -> str:
    """The family name of the CJK font, added to matplotlib's font manager (BadInput when no
    CJK font is installed)."""
    from matplotlib import font_manager

    path = cjk_font_file()
    if path is None:
        raise BadInput(f"no font with Chinese glyphs: {INSTALL_HINT}")
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


@contextlib.contextmanager
def font_context(lang: str) -> Iterator[None]:
    """matplotlib settings for a figure in `lang`: the CJK font first for Chinese."""
    import matplotlib

    if lang != "zh":
        yield
        return
    with matplotlib.rc_context({"font.family": "sans-serif",
                                "font.sans-serif": [cjk_family(), "DejaVu Sans"],
                                "axes.unicode_minus": False}):
        yield
