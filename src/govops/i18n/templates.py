"""Jinja2 templates shared by both languages: one template, the translator passed in as `tr`.

Every area keeps its templates in `src/govops/<area>/templates/`; messages in them are
`{{ tr("...", name=value) }}` and `{{ ntr(singular, plural, n) }}` calls, extracted into the
catalog like the Python ones.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2

from govops.i18n.catalog import Translator
from govops.i18n.terms import term
from govops.i18n.times import stamp

PACKAGE = Path(__file__).resolve().parents[1]


@functools.cache
def environment(area: str) -> jinja2.Environment:
    """The template environment of an area ("drills", "hosts", "monitoring")."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PACKAGE / area / "templates")),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined)
    return env


def render(area: str, name: str, tr: Translator, **data: Any) -> str:
    """Render template `name` of `area` in the translator's language."""
    return environment(area).get_template(name).render(
        tr=tr, ntr=tr.ntr, lang=tr.lang, term=functools.partial(term, tr),
        stamp=lambda when, seconds=True: stamp(when, tr.lang, seconds), **data)
