"""Access keys of the signed-in member (create: the SK is shown once; disable; delete) and the
account's members with their roles."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.http.auth import CallerKind
from partner_center.http.console.kit.page import Page, action, view

pages = APIRouter()
ANY = CallerKind.ANY


def _member(page: Page) -> str:
    member_id = page.caller.member_id
    assert member_id is not None, "a console session belongs to a member"
    return member_id


async def _keys_page(page: Page, issued: object | None = None) -> Response:
    keys = await page.services.identity.access_keys(
        account_id=page.caller.account_id, member_id=_member(page)
    )
    return page.render("account/keys.html", keys=keys, issued=issued)


@view(pages, "/console/account/keys", kind=ANY)
async def access_keys(page: Page) -> Response:
    return await _keys_page(page)


@action(pages, "/console/account/keys", kind=ANY, form=access_keys, fields=("description",))
async def create_access_key(page: Page) -> Response:
    description = page.field("description") or None
    issued = await page.services.identity.create_access_key(
        account_id=page.caller.account_id, member_id=_member(page), description=description
    )
    return await _keys_page(page, issued)


@action(pages, "/console/account/keys/change", kind=ANY, form=access_keys, fields=("access_key",))
async def change_access_key(page: Page) -> Response:
    identity = page.services.identity
    key = page.field("access_key")
    what = page.field("change")
    if what == "delete":
        await identity.delete_access_key(
            account_id=page.caller.account_id, member_id=_member(page), access_key=key
        )
        return page.redirect("/console/account/keys", notice="key_deleted")
    await identity.set_access_key_status(
        account_id=page.caller.account_id,
        member_id=_member(page),
        access_key=key,
        active=what == "enable",
    )
    return page.redirect(
        "/console/account/keys", notice="key_enabled" if what == "enable" else "key_disabled"
    )


@view(pages, "/console/account/members", kind=ANY)
async def members(page: Page) -> Response:
    rows = await page.services.identity.list_members(page.caller.account_id)
    return page.render("account/members.html", rows=rows)
