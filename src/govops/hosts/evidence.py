"""The MLPS evidence document of `hosts check --output md` / `--report`, in zh or en.

One Jinja2 template (templates/evidence.md.j2) for both languages: per host, each control with
its GB/T 22239-2019 clause and control point, the observed value, pass/fail and the time of the
check; a summary per MLPS level. Times are Beijing time in Chinese, UTC in English.
"""

from __future__ import annotations

from typing import Any

from govops.hosts.check import CheckReport
from govops.hosts.clauses import clause_name, level_chapter
from govops.hosts.controls import FAIL, NA, PASS
from govops.i18n import Translator
from govops.i18n.templates import render


def per_level(report: CheckReport) -> list[dict[str, Any]]:
    """Per MLPS level: hosts, hosts that passed, controls checked, passed, failed, n/a."""
    rows: dict[int, dict[str, Any]] = {}
    for host in report.hosts:
        level = host.target.level
        row = rows.setdefault(level, {"level": level, "chapter": level_chapter(level), "hosts": 0,
                                      "hosts_passed": 0, "controls": 0, "passed": 0, "failed": 0,
                                      "na": 0})
        row["hosts"] += 1
        row["hosts_passed"] += 0 if host.failed else 1
        for result in host.results:
            row["controls"] += 1
            row[{PASS: "passed", FAIL: "failed", NA: "na"}[result.status]] += 1
    return [rows[level] for level in sorted(rows)]


def markdown(report: CheckReport, tr: Translator) -> str:
    """The evidence document in the translator's language."""
    hosts = [{"name": h.target.name, "address": h.target.address, "site": h.target.context.site,
              "role": h.target.context.role, "level": h.target.level, "seconds": h.seconds,
              "failed": len(h.failed), "results": h.results} for h in report.hosts]
    return render("hosts", "evidence.md.j2", tr, report=report, hosts=hosts,
                  levels=per_level(report), total=sum(len(h.results) for h in report.hosts),
                  failed=sum(len(h.failed) for h in report.hosts),
                  clause=lambda ref: clause_name(ref, tr), md=_md)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
