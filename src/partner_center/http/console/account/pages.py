"""Access keys of the signed-in member (create: the SK is shown once; disable; delete) and the
account's members with their roles."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.domains.identity.public import Role
from partner_center.http.auth import CallerKind
from partner_center.http.console.kit.confirm import confirm_first
from partner_center.http.console.kit.page import Page, action, view

pages = APIRouter()
ANY = CallerKind.ANY
PARTNER = CallerKind.ANY_PARTNER


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


@action(pages, "/console/account/keys", form=access_keys, fields="description")
async def create_access_key(page: Page) -> Response:
    description = page.field("description") or None
    issued = await page.services.identity.create_access_key(
        account_id=page.caller.account_id, member_id=_member(page), description=description
    )
    return await _keys_page(page, issued)


@action(pages, "/console/account/keys/change", form=access_keys, fields="access_key")
@confirm_first(lambda page: "delete_key" if page.field("change") == "delete" else None)
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


@view(pages, "/console/account/members", kind=PARTNER)
async def members(page: Page) -> Response:
    """The partner organization's members and their roles (rules.md §1.18-1.21); the
    administrator adds members and changes roles."""
    rows = await page.services.members.list_members(page.actor)
    return page.render("account/members.html", rows=rows, roles=[r.value for r in Role])


@action(pages, "/console/account/members", form=members, fields="name roles password")
async def create_member(page: Page) -> Response:
    await page.services.members.create_member(
        page.actor,
        name=page.field("name"),
        roles=page.fields("roles"),
        password=page.field("password") or None,
    )
    return page.redirect("/console/account/members", notice="member_created")


@action(pages, "/console/account/members/roles", form=members, fields="member_id roles")
async def set_member_roles(page: Page) -> Response:
    await page.services.members.set_roles(page.actor, page.field("member_id"), page.fields("roles"))
    return page.redirect("/console/account/members", notice="roles_set")
