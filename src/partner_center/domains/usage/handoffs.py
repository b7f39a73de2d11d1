"""Yearly/monthly resources that switched to pay-per-use (at expiry, or instantly with a
type-10 order) are handed over by the resources domain through its outbox
(``ResourceService.pending_handoffs``). Taking one over starts metering at the switch time."""

from __future__ import annotations

import logging

from partner_center.domains.resources.public import ResourceService
from partner_center.domains.usage.resources import ResourceSpec, UsageService
from partner_center.kernel.errors import DomainError

logger = logging.getLogger(__name__)

#: Hand-overs taken per run; the rest wait for the next run.
BATCH = 500


class HandoffTakeover:
    """Takes the hand-overs of the resources domain into pay-per-use metering."""

    def __init__(self, *, resources: ResourceService, usage: UsageService) -> None:
        self.resources = resources
        self.usage = usage

    async def take_over(self) -> int:
        """Start metering every pending hand-over; returns how many were taken.

        A hand-over the pay-per-use domain cannot take yet — the customer's resources are
        frozen, or it is no longer associated — stays pending and is tried again at the next
        run, so metering starts (from the switch time) once the customer may use pay-per-use
        again.
        """
        return await _take_over(self.resources, self.usage)


async def _take_over(resources: ResourceService, usage: UsageService) -> int:
    taken = 0
    for handoff in await resources.pending_handoffs(limit=BATCH):
        view = await resources.by_resource_id(handoff.customer_id, handoff.resource_id)
        if view is None:
            # The yearly/monthly resource is gone: there is nothing left to meter.
            await resources.accept_handoff(handoff.id)
            continue
        try:
            await usage.start_on_demand(
                handoff.customer_id,
                ResourceSpec(
                    region_code=view.region_code,
                    service_type_code=view.service_type_code,
                    resource_type_code=view.resource_type_code,
                    resource_spec_code=view.resource_spec_code,
                    resource_name=view.resource_name,
                    resource_id=view.resource_id,
                    resource_size=view.spec_size,
                    size_measure_id=view.spec_size_measure_id,
                ),
                since=handoff.switch_at,
                source_id=handoff.resource_ref,
            )
        except DomainError as exc:
            logger.info("hand-over %s waits: %s %s", handoff.id, exc.code, exc.message)
            continue
        await resources.accept_handoff(handoff.id)
        taken += 1
    return taken
