"""Translations of the console: a gettext catalog per language compiled with Babel
(``locale/<lang>/LC_MESSAGES/messages.po`` → ``.mo``, committed; ``tests/unit`` checks the
``.mo`` matches its ``.po`` and that every string of the templates is in the catalog)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

LANGUAGES: dict[str, str] = {"en": "English", "zh": "中文"}
"""Language code → its name in itself (the switch shows these)."""
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGE_COOKIE = "pc_lang"


@cache
def translations(language: str) -> NullTranslations:
    """The catalog of ``language`` (English is the source language: no catalog)."""
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language], domain="messages")


def choose_language(cookie: str | None, accept_language: str | None) -> str:
    """The user's choice (cookie), else the browser's first supported language."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag[:2] in LANGUAGES:
            return tag[:2]
    return DEFAULT_LANGUAGE
