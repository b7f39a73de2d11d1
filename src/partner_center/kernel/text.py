"""What text the system accepts: no control characters, and only text that can be stored.

PostgreSQL cannot store NUL in ``text``/``varchar`` and UTF-8 cannot encode a lone surrogate
(JSON's ``"\\ud800"``), so either would fail deep in a write as a 500; other control characters
(C0, DEL, C1) have no place in names, ids, e-mail addresses or codes and are a classic way to
smuggle a second line into a log, a mail header or a CSV export. The rule has two kinds of field:

* **single-line** (the default: names, ids, e-mail addresses, codes, query parameters): no
  character of Unicode category ``Cc`` and no surrogate;
* **multi-line** (free text a person writes, such as a remark or a reason): the same, except
  tab, line feed and carriage return.

The HTTP layer applies it to every string of every request body and to every query and path
parameter; domains apply it where their inputs do not come through HTTP (CLI, provisioning).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from partner_center.kernel.errors import invalid_parameter

_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` is refused (a sentence without a final period), or None if it is fine."""
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(value)
    if found is None:
        return None
    char = found.group()
    where = f"U+{ord(char):04X} at position {found.start() + 1}"
    if "\ud800" <= char <= "\udfff":
        return f"Not valid Unicode text (a lone surrogate, {where})"
    allowed = "; only tabs and line breaks are allowed" if multiline else ""
    return f"Control characters are not allowed (found {where}){allowed}"


def check_text(field: str, value: str | None, *, multiline: bool = False) -> None:
    """``CBC.0100`` naming ``field`` when ``value`` holds a character the rule refuses."""
    if value is None:
        return
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise invalid_parameter(field, problem + ".")


def check_texts(fields: Mapping[str, object]) -> None:
    """:func:`check_text` over every string value of ``fields``, all single-line (for a
    dataclass of inputs: ``check_texts(dataclasses.asdict(record))``)."""
    for field, value in fields.items():
        if isinstance(value, str):
            check_text(field, value)
