"""Every error code the domains answer has a meaning the console shows in the user's language
(the zh catalog translates each), beside the API's own message."""

from __future__ import annotations

import enum
import importlib
import pkgutil
import re
from pathlib import Path

import partner_center.domains as domains
from partner_center.domains.associations.errors import FailureReason
from partner_center.http.console.kit.error_messages import MESSAGES, explain
from partner_center.http.console.kit.i18n import translations
from partner_center.kernel.errors import ERROR_STATUS

CODE = re.compile(r"(?:CBC|IAM|APIG)\.\d+")


def domain_codes() -> set[str]:
    """The reference-style codes of every domain: their error-code enums, the association
    failure reasons, the status registry, and codes written out in domain modules."""
    codes = set(ERROR_STATUS) | {reason.code for reason in FailureReason}
    for info in pkgutil.iter_modules(domains.__path__):
        try:
            module = importlib.import_module(f"{domains.__name__}.{info.name}.errors")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, enum.Enum):
                codes |= {m.value for m in value if isinstance(m.value, str)}
    source = Path(domains.__file__).parent
    for path in source.rglob("*.py"):
        codes |= set(re.findall(r'"((?:CBC|IAM|APIG)\.\d+)"', path.read_text()))
    return {c for c in codes if CODE.fullmatch(c)}


def test_every_domain_code_has_a_meaning() -> None:
    missing = sorted(domain_codes() - set(MESSAGES))
    assert missing == []


def test_every_meaning_is_translated_into_chinese() -> None:
    zh = translations("zh")
    untranslated = [m for m in set(MESSAGES.values()) if zh.gettext(m) == m]
    assert untranslated == []


def test_chinese_shows_the_meaning_then_the_apis_message() -> None:
    zh = translations("zh")
    api = "Invalid parameter: budget_amount. Must be greater than 0."
    shown = explain("zh", zh.gettext, "CBC.0100", api)
    assert shown.startswith("参数缺失或无效。")
    assert '<span class="muted" lang="en">' + api + "</span>" in shown
    assert explain("en", translations("en").gettext, "CBC.0100", api) == api
    assert explain("zh", zh.gettext, "XYZ.1", "<b>x</b>") == "&lt;b&gt;x&lt;/b&gt;"
