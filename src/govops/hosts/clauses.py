"""GOVOPS's host controls by GB/T 22239-2019 control point: clause number → its name.

Level 2 is chapter 7, level 3 chapter 8; x.1.4 is the security computing environment
(安全计算环境), 8.1.5 the security management centre (安全管理中心). The names are the
standard's control points (控制点), kept in English in the catalog and in Chinese in its
zh_CN translation, as the standard writes them.
"""

from __future__ import annotations

import re

from govops.i18n import N_, Translator

#: control point (clause without the level's chapter) → name
POINTS = {
    "1.4.1": N_("Identification and authentication"),
    "1.4.2": N_("Access control"),
    "1.4.3": N_("Security audit"),
    "1.4.4": N_("Intrusion prevention"),
    "1.4.5": N_("Malicious code prevention"),
    "1.5.4": N_("Centralized management and control"),
}
POLICY = N_("ops policy (not a clause of the standard)")
_CLAUSE = re.compile(r"^[78]\.(\d\.\d\.\d)")


def clause_name(ref: str, tr: Translator) -> str:
    """The control point's name for a reference such as "8.1.4.1 a)" (the first clause of a
    reference naming several); "ops policy" references say so."""
    match = _CLAUSE.match(ref.strip())
    if not match:
        return tr(POLICY) if ref.strip() == "ops policy" else ""
    message = POINTS.get(match.group(1))
    return tr(message) if message else ""


def level_chapter(level: int) -> str:
    """The chapter of GB/T 22239-2019 for an MLPS level ("8" for level 3)."""
    return str(level + 5)
