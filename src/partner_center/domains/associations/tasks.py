"""Scheduled jobs of this domain: e-mail invitations turn EXPIRED when their link lapses."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from partner_center.domains.associations.errors import FailureReason
from partner_center.domains.associations.models import (
    Invitation,
    InvitationRecord,
    InvitationStatus,
)
from partner_center.domains.associations.service.invitations import EXPIRE_JOB
from partner_center.kernel.jobs import JobContext, JobRegistry


async def expire_invitation(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Mark the e-mail invitation's waiting invitee EXPIRED once the link has lapsed (the job
    runs at the expiry time; reads also show it EXPIRED before the job has run)."""
    invitation = await ctx.session.get(Invitation, str(payload["invitation_id"]))
    if invitation is None or invitation.expires_at is None:
        return
    now = ctx.clock.now()
    if now < invitation.expires_at:
        return
    rows = await ctx.session.scalars(
        select(InvitationRecord)
        .where(
            InvitationRecord.invitation_id == invitation.id,
            InvitationRecord.status == InvitationStatus.PENDING,
        )
        .with_for_update()
    )
    for record in rows.all():
        record.status = InvitationStatus.EXPIRED
        record.failure_reason = FailureReason.LINK_EXPIRED.value
        record.updated_at = now
    await ctx.session.flush()


def register(registry: JobRegistry) -> None:
    """Register this domain's periodic and one-off jobs."""
    registry.register(EXPIRE_JOB, expire_invitation)
