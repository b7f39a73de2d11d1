"""A confirmation step before a destructive action (freeze, unsubscribe, delete an access key,
disassociate …), one mechanism for every such button.

The button names its question: ``<button … {{ confirm("freeze") }}>`` renders
``data-confirm="<the question in the user's language>"``. With JavaScript, ``static/confirm.js``
asks it in a dialog before HTMX sends the form and adds ``confirmed=1``; without JavaScript the
action (``@confirm_first``) answers the unconfirmed form with a confirmation page that carries
every submitted field and posts them again with ``confirmed=1``. The server decides either way:
a form that lacks ``confirmed=1`` never reaches the service.

    @action(pages, "/console/account/keys/change", kind=ANY, form=access_keys)
    @confirm_first(lambda page: "delete_key" if page.field("change") == "delete" else None)
    async def change_access_key(page: Page) -> Response: ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from starlette.datastructures import UploadFile
from starlette.responses import Response

from partner_center.http.console.kit.page import Handler, Page
from partner_center.http.console.kit.questions import QUESTIONS
from partner_center.http.console.kit.session import CSRF_FIELD

CONFIRMED_FIELD = "confirmed"
H = TypeVar("H", bound=Handler)


def confirm_first(ask: Callable[[Page], str | None]) -> Callable[[H], H]:
    """Wrap an action: when ``ask(page)`` names a question (a key of ``QUESTIONS``) and the
    form is not confirmed yet, answer with the confirmation page instead of acting."""

    def wrap(handler: H) -> H:
        async def confirmed(page: Page) -> Response:
            key = ask(page)
            if key is not None and page.field(CONFIRMED_FIELD) != "1":
                return confirmation_page(page, key)
            return await handler(page)

        confirmed.__name__ = handler.__name__
        confirmed.__doc__ = handler.__doc__
        return confirmed  # type: ignore[return-value]

    return wrap


def confirmation_page(page: Page, key: str) -> Response:
    """The question, the submitted fields (hidden), Confirm and Cancel."""
    assert key in QUESTIONS, key
    carried: list[tuple[str, str]] = []
    if page.form is not None:
        for name, value in page.form.multi_items():
            if name in (CSRF_FIELD, CONFIRMED_FIELD) or isinstance(value, UploadFile):
                continue
            carried.append((name, value))
    return page.render(
        "confirm.html",
        question=QUESTIONS[key],
        carried=carried,
        target=page.request.url.path,
        cancel_to=_back(page),
    )


def _back(page: Page) -> str:
    """Where Cancel leads: the page the form came from (same site only), else the console."""
    referer = urlsplit(page.request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != page.request.url.netloc:
        return "/console"
    if not referer.path.startswith("/console") or referer.path == page.request.url.path:
        return "/console"
    return referer.path + (f"?{referer.query}" if referer.query else "")
