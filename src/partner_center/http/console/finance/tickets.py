"""The operator's view of one service ticket: what the partner declared, its messages, the
transfer certificate to download, and (a bank transfer not yet confirmed) the amount received
to confirm, which posts to the ticket queue's confirm action."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from partner_center.http.auth import CallerKind
from partner_center.http.console.kit.page import Page, view

pages = APIRouter()
OPERATOR = CallerKind.OPERATOR


@view(pages, "/console/operator/tickets/detail", kind=OPERATOR)
async def ticket_detail(page: Page) -> Response:
    found = await page.services.tickets.detail(page.query("ticket_id"), partner_id=None)
    names = await page.services.identity.accounts({found.ticket.partner_id})
    partner = names.get(found.ticket.partner_id)
    return page.render(
        "finance/ticket_detail.html",
        ticket=found.ticket,
        messages=found.messages,
        attachments=found.attachments,
        partner_name=partner.name if partner else found.ticket.partner_id,
    )


@view(pages, "/console/operator/tickets/attachment", kind=OPERATOR)
async def ticket_attachment(page: Page) -> Response:
    """Download an attachment (the transfer certificate) of a ticket."""
    found = await page.services.tickets.attachment(
        page.query("ticket_id"), page.query("attachment_id"), partner_id=None
    )
    name = found.name.replace('"', "")
    return Response(
        content=found.content,
        media_type=found.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
