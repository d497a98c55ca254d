"""The estate's codes as people read them: site roles, cloud kinds, node levels, verdicts.

JSON keeps the codes; text, reports and the ops page show `term(tr, "role", "same-city")`
("same-city DR centre" / "同城灾备中心"). Terms follow docs/glossary.md.
"""

from __future__ import annotations

from govops.i18n import N_
from govops.i18n.catalog import Translator

TERMS: dict[str, dict[str, str]] = {
    "role": {
        "primary": N_("primary centre"),
        "same-city": N_("same-city DR centre"),
        "remote-dr": N_("remote DR centre"),
        "standby": N_("standby"),
        "down": N_("down"),
    },
    "cloud": {
        "provincial": N_("provincial government cloud"),
        "industry": N_("industry cloud"),
        "regional": N_("regional cloud"),
    },
    "level": {
        "province": N_("province"),
        "city": N_("city"),
        "county": N_("county"),
        "town": N_("town"),
        "egress": N_("internet egress"),
        "carrier": N_("carrier"),
    },
    "verdict": {
        "pass": N_("PASS"),
        "fail": N_("FAIL"),
        "aborted": N_("ABORTED"),
        "never run": N_("never run"),
    },
    "status": {
        "pass": N_("pass"),
        "fail": N_("fail"),
        "n/a": N_("n/a"),
        "changed": N_("changed"),
        "unchanged": N_("unchanged"),
        "failed": N_("failed"),
        "skipped": N_("skipped"),
        "would-change": N_("would change"),
        "restored": N_("restored"),
        "ok": N_("ok"),
    },
    "scenario": {
        "switchover": N_("planned switchover to the same-city DR centre"),
        "site-loss": N_("loss of the primary centre"),
        "regional-disaster": N_("regional disaster: recovery at the remote DR centre"),
        "link-cut": N_("extranet uplink cut"),
        "failback": N_("failback to the primary centre"),
    },
    "severity": {
        "critical": N_("critical"),
        "warning": N_("warning"),
        "info": N_("info"),
    },
    "alert-state": {
        "firing": N_("firing"),
        "pending": N_("pending"),
    },
    "replication": {
        "same-city": N_("same-city"),
        "remote-dr": N_("remote DR"),
    },
}


def term(tr: Translator, kind: str, code: str | None) -> str:
    """The translated term for a code of `kind`; an unknown code is shown as written."""
    if code is None:
        return ""
    message = TERMS.get(kind, {}).get(code)
    return tr(message) if message else code
