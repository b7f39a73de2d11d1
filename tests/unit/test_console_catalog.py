"""The console's message catalog is complete and its committed compiled form is current: every
string of the templates and pages has a Chinese translation, and ``messages.mo`` holds exactly
what ``messages.po`` says (regenerate both with the commands in ``console/babel.cfg``)."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from partner_center.http.console.kit.i18n import LOCALE_DIR, translations
from partner_center.http.console.kit.templating import environment

CONSOLE = LOCALE_DIR.parent
CATALOG = LOCALE_DIR / "zh" / "LC_MESSAGES"


def _extracted() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options = {"**/templates/**.html": {"trim_blocks": "True", "lstrip_blocks": "True"}}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(CONSOLE), method_map, options
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _po() -> dict[str, str]:
    with (CATALOG / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    return {str(m.id): str(m.string) for m in catalog if m.id}


def test_every_console_string_has_a_chinese_translation() -> None:
    po = _po()
    missing = sorted(s for s in _extracted() if not po.get(s))
    assert missing == []


def test_the_compiled_catalog_matches_its_source() -> None:
    with (CATALOG / "messages.mo").open("rb") as handle:
        compiled = {str(m.id): str(m.string) for m in read_mo(handle) if m.id}
    assert compiled == _po()


def test_templates_render_in_chinese() -> None:
    assert translations("zh").gettext("Customer Management") == "客户管理"
    html = environment("zh").from_string('{{ _("Sign in") }}').render()
    assert html == "登录"
