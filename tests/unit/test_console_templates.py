"""The console's templates write the CSRF token one way: every form that posts carries the
``csrf_input`` macro of ``macros.html``, and no template spells the hidden input by hand (a
hand-written copy is where a renamed field or a missing token would hide). The sentence after
an action comes from one table (``kit/notices.py``) that knows every key the pages give."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from partner_center.http.console.kit.notices import NOTICES, notice_text
from partner_center.http.console.kit.templating import environment

CONSOLE = Path(__file__).resolve().parents[2] / "src" / "partner_center" / "http" / "console"
TEMPLATES = CONSOLE / "templates"
_CSRF_FIELD = re.compile(r"{{\s*csrf_field\s*}}")
_POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']post[\"'][^>]*>(.*?)</form>", re.I | re.S)


def hand_written_csrf(source: str) -> list[int]:
    """Lines that print the CSRF field's name themselves instead of calling ``csrf_input``."""
    return [source.count("\n", 0, m.start()) + 1 for m in _CSRF_FIELD.finditer(source)]


def posts_without_csrf(source: str) -> list[int]:
    """Lines of the forms that post without the ``csrf_input`` macro."""
    return [
        source.count("\n", 0, m.start()) + 1
        for m in _POST_FORM.finditer(source)
        if "csrf_input(" not in m.group(1)
    ]


def _templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*.html") if p.name != "macros.html")


def test_no_template_writes_the_csrf_input_by_hand() -> None:
    offenders = {
        str(p.relative_to(TEMPLATES)): lines
        for p in _templates()
        if (lines := hand_written_csrf(p.read_text()))
    }
    assert offenders == {}


def test_every_form_that_posts_carries_the_csrf_input() -> None:
    offenders = {
        str(p.relative_to(TEMPLATES)): lines
        for p in _templates()
        if (lines := posts_without_csrf(p.read_text()))
    }
    assert offenders == {}


def test_the_macro_writes_the_hidden_input() -> None:
    macros = (TEMPLATES / "macros.html").read_text()
    assert hand_written_csrf(macros), "csrf_input is where the hidden input is written"


@pytest.mark.parametrize(
    ("source", "by_hand", "unprotected"),
    [
        ('<form method="post"><input type="hidden" name="{{ csrf_field }}"></form>', [1], [1]),
        ('<form method="post">\n{{ csrf_input(csrf_field, csrf) }}</form>', [], []),
        ('<form method="get"><input name="q"></form>', [], []),
        ("<form method='POST' action='/x'>\n<button>Go</button>\n</form>", [], [1]),
    ],
)
def test_the_checks_see_what_they_look_for(
    source: str, by_hand: list[int], unprotected: list[int]
) -> None:
    assert hand_written_csrf(source) == by_hand
    assert posts_without_csrf(source) == unprotected


def _notice_literals() -> set[str]:
    """The notice keys the console's pages redirect with, where the source spells them: the
    strings in a ``notice=`` argument or assigned to ``notice``; an f-string's leading text
    ends with ``…``."""
    found: set[str] = set()
    for path in CONSOLE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            named = (
                {t.id for t in node.targets if isinstance(t, ast.Name)}
                if isinstance(node, ast.Assign)
                else set()
            )
            if isinstance(node, ast.keyword | ast.Assign) and "notice" in {
                getattr(node, "arg", None),
                *named,
            }:
                found |= _strings(node.value)
    return found


def _strings(value: ast.expr) -> set[str]:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return {value.value}
    if isinstance(value, ast.JoinedStr) and isinstance(head := value.values[0], ast.Constant):
        return {f"{head.value}…"}
    if isinstance(value, ast.IfExp):
        return _strings(value.body) | _strings(value.orelse)
    return set()


def test_every_notice_the_pages_give_has_its_sentence() -> None:
    literals = _notice_literals()
    assert {"budget_set", "acting.started", "associations.request_…"} <= literals
    unknown = sorted(
        key
        for key in literals
        if not (
            any(k.startswith(key[:-1]) for k in NOTICES) if key.endswith("…") else key in NOTICES
        )
    )
    assert unknown == []


@pytest.mark.parametrize(("key", "zh"), [("budget_set", "预算"), ("no-such-notice", "完成")])
def test_a_notice_reads_in_the_visitors_language(key: str, zh: str) -> None:
    html = environment("zh").from_string("{{ _(notice_text(notice)) }}").render(notice=key)
    assert zh in html
    assert notice_text(key) == NOTICES.get(key, "Done.")
