"""report.md and report.zh.md: one Jinja2 template (templates/report.md.j2), two languages.

The template reads only report.json's data: a saved report folder is re-rendered in either
language by `govops drill report DIR --lang zh|en`. Times are UTC in English, Beijing time
(UTC+8) in Chinese; report.json keeps epoch seconds.
"""

from __future__ import annotations

from typing import Any

from govops.drills import measure as m
from govops.i18n import Translator
from govops.i18n.templates import render

#: Events that put something back (the "what was restored" list).
RESTORING = ("restored", "link-restored", "restore-centre-network", "rejoined", "rewound",
             "repoint-standby", "reclone", "start", "rollback-done")


def file_name(lang: str, stem: str = "report", suffix: str = ".md") -> str:
    """report.md for English, report.zh.md for Chinese (timeline.zh.png likewise)."""
    return f"{stem}{suffix}" if lang == "en" else f"{stem}.{lang}{suffix}"


def timeline_text(event: dict[str, Any], tr: Translator) -> str:
    """One timeline entry of report.json in the translator's language (the English text kept
    in report.json when the entry has no fields, as in reports written before fields were)."""
    from govops.drills.report import TIMELINE

    template = TIMELINE.get(event.get("event", ""))
    fields = event.get("fields")
    if template is None or fields is None:
        return str(event.get("text", ""))

    class _Missing(dict):
        def __missing__(self, key: str) -> str:
            return "?"

    return tr(template).format_map(_Missing({k: str(v) for k, v in fields.items()}))


def reasons(report: dict[str, Any], tr: Translator) -> list[str]:
    """Why the drill did not pass, in the translator's language."""
    codes = report.get("reason_codes")
    if codes is None:
        return list(report.get("reasons") or [])
    return [m.say_reason(r, tr) for r in codes]


def warnings(report: dict[str, Any], tr: Translator) -> list[str]:
    """The report's warnings in the translator's language (codes when report.json has them)."""
    from govops.drills.report import say_warning

    codes = report.get("warning_codes")
    if codes is None:
        return list(report.get("warnings") or [])
    extra = list(report.get("warnings") or [])[len(codes):]  # added after the report (drill run)
    return [say_warning(w, tr) for w in codes] + extra


def markdown(report: dict[str, Any], tr: Translator) -> str:
    """The whole report as Markdown in the translator's language."""
    timeline = [{**e, "text": timeline_text(e, tr),
                 "when": _clock(e.get("at"), tr)}
                for e in report.get("timeline") or []]
    target = report.get("target") or {}

    def s(value: float | None) -> str:
        return "–" if value is None else f"{value:.3f} s"

    def held(value: bool | None, unknown: str) -> str:
        return tr("held") if value else tr("did not hold") if value is False else unknown

    def rel(outage: dict[str, Any], t: float | None) -> str:
        return "–" if t is None else f"+{t - outage['fault_at']:.3f} s"

    def phase(name: str) -> str:
        return {"method": tr("method"), "rollback": tr("rollback")}.get(name, name)

    def target_cell(key: str) -> str:
        return "–" if target.get(key) is None else f"{target[key]} s"

    return render("drills", "report.md.j2", tr, r=_Obj(report), obj=_Obj(report["objective"]),
                  ss=_Obj(report["steady_state"]), timeline=timeline,
                  restored=[e for e in timeline if e["event"] in RESTORING],
                  reasons=reasons(report, tr), warnings=warnings(report, tr), s=s, held=held, rel=rel,
                  phase=phase, target=target_cell)


def _clock(at: float | None, tr: Translator) -> str:
    """The clock time of an event in the document's zone ("10:30:01.250")."""
    from datetime import UTC, datetime

    from govops.i18n.times import zone

    if at is None:
        return "–"
    return datetime.fromtimestamp(float(at), UTC).astimezone(zone(tr.lang)).strftime(
        "%H:%M:%S.%f")[:-3]


class _Obj(dict):
    """A dict whose keys also read as attributes in templates (missing ones are None)."""

    def __getattr__(self, key: str) -> Any:
        value = self.get(key)
        return _Obj(value) if isinstance(value, dict) else value
