"""Times in documents: Asia/Shanghai (UTC+8) in Chinese, UTC in English; JSON keeps epochs/UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

#: China Standard Time has no daylight saving: a fixed offset needs no tz database.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def zone(lang: str) -> timezone:
    """The zone a document in `lang` shows times in."""
    return SHANGHAI if lang == "zh" else UTC


def local(when: float | str | datetime, lang: str, seconds: bool = True) -> str:
    """The time in the document's zone without the zone's name ("2026-12-07 18:30:00")."""
    moment = _moment(when).astimezone(zone(lang))
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def _moment(when: float | str | datetime) -> datetime:
    if isinstance(when, str):
        moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if isinstance(when, datetime):
        return when
    return datetime.fromtimestamp(float(when), UTC)


def stamp(when: float | str | datetime, lang: str, seconds: bool = True) -> str:
    """"2026-12-07 18:30:00 (UTC+8)" for zh, "2026-12-07 10:30:00 UTC" for en; `when` is an
    epoch, an ISO string or an aware datetime."""
    text = local(when, lang, seconds)
    from govops.i18n.catalog import translator

    tr = translator(lang)
    # TRANSLATORS: the time shown is already in Asia/Shanghai (UTC+8) in Chinese documents
    return tr("{time} UTC", time=text)
