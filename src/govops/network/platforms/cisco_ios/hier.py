"""Cisco IOS: the normaliser of `show running-config` (hier_config's own IOS driver)."""

from __future__ import annotations

import re

from govops.network.platforms.common import SECRET
from govops.network.textblocks import fold


def normalise_ios(text: str) -> str:
    """Cisco IOS: drop banners, `!`, `end`, secrets."""
    skip = re.compile(r"^(Building configuration.*|Current configuration.*|!.*|end|version .*)$")
    lines = [ln.rstrip() for ln in fold(text.replace("\r\n", "\n")).splitlines()
             if ln.strip() and not skip.match(ln.strip()) and not SECRET.match(ln)]
    return "\n".join(lines) + "\n"
