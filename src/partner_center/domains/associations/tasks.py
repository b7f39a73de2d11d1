"""Scheduled jobs of this domain: e-mail invitations turn EXPIRED when their link lapses."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from partner_center.domains.associations.service.invitations import EXPIRE_JOB, InvitationService
from partner_center.kernel.jobs import JobContext, JobRegistry


class AssociationJobServices(Protocol):
    """The services these jobs take from their unit of work's container."""

    @property
    def invitations(self) -> InvitationService: ...


_S = TypeVar("_S", bound=AssociationJobServices)


async def expire_invitation(
    ctx: JobContext[AssociationJobServices], payload: dict[str, Any]
) -> None:
    """The link of ``payload["invitation_id"]`` has lapsed: its waiting invitees expire."""
    await ctx.services.invitations.expire_link(str(payload["invitation_id"]))


def register(registry: JobRegistry[_S]) -> None:
    """Register this domain's jobs."""
    registry.register(EXPIRE_JOB, expire_invitation)
