"""The Jinja2 environments of the console, one per language, with the i18n extension bound to
that language's catalog (``i18n.py``), and the filters templates use to show money and time."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache, partial
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from partner_center.http.console.kit.error_messages import explain
from partner_center.http.console.kit.i18n import translations
from partner_center.http.console.kit.notices import notice_text
from partner_center.http.console.kit.questions import QUESTIONS
from partner_center.kernel.money import to_cents


def money(value: Decimal | int | str | None) -> str:
    """``1234.5`` → ``1,234.50``: display rounding, ``to_cents`` (half up, as bills round; a
    format's own rounding is half even: 250.125 would show 250.12 beside a bill of 250.13)."""
    if value is None:
        return "-"
    return f"{to_cents(Decimal(value)):,.2f}"


def when(value: datetime | None) -> str:
    """A UTC timestamp as ``YYYY-MM-DD HH:MM UTC``."""
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


@cache
def environment(language: str) -> Environment:
    env = Environment(
        loader=PackageLoader("partner_center.http.console", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    catalog = translations(language)
    env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
    env.filters["money"] = money
    env.filters["when"] = when
    env.globals["confirm_questions"] = QUESTIONS
    env.globals["notice_text"] = notice_text
    env.globals["explain"] = partial(explain, language, catalog.gettext)
    return env


def render_template(language: str, name: str, context: dict[str, Any]) -> str:
    return environment(language).get_template(name).render(context)
