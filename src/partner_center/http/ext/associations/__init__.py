"""Extension endpoints (ours, not the reference API) for the customer business of the console,
one router per service of the associations domain:

* ``invitations`` — invitations by e-mail, offline link and QR code and their acceptance
  (rules.md §2.1–2.3);
* ``type_changes`` — association-type changes (§2.5);
* ``disassociations`` — disassociation requests either way (§2.6);
* ``authorizations`` — customers authorizing their partner to act on their behalf (§5.1–5.2,
  §1.14), and a distributor letting a reseller do so;
* ``members`` — organization members and customers' account managers (§1.18–1.20, §8.5);
* ``overview`` — the customer's view of its partner and the partner's association settings.

Calls are signed like the SDK's (AK/SK, temporary AK/SK or X-Auth-Token). Partner operations
accept CSPs, distributors and resellers (``CallerKind.ANY_PARTNER``: the console's users; the
reference BSS API is what resellers cannot call); customer operations need the customer's own
credentials — a partner acting through the customer's agency may read but never decide (the
domain checks it). Errors are the reference body ``{"error_code", "error_msg"}``; association
failure reasons have codes ``CBC.9911xxxx``.

Association types on the wire are the reference codes: ``"1"`` referral, ``"3"`` reseller
(``"2"`` on the China site). This module holds what the routers share.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from partner_center.domains.associations.public import RequestStatus
from partner_center.domains.customers.public import AssociationType
from partner_center.http.auth import CallerKind
from partner_center.http.bss.schemas import ASSOCIATION_TYPES_IN, association_code
from partner_center.http.ext import PREFIX
from partner_center.http.operations import OperationContext
from partner_center.http.query import CHOICE, Doc, IntOrBlank
from partner_center.http.wire import WireModel
from partner_center.kernel.errors import invalid_parameter

TAG = "associations (extension)"

PARTNER_SIDE = CallerKind.ANY_PARTNER
"""Who may call a partner's operation: any partner (CSP, distributor or reseller) with its own
credentials."""
EITHER_SIDE = CallerKind.ANY_PARTNER_OR_CUSTOMER
"""Who may call an operation on a request between a partner and a customer: either side of the
association (any partner with its own credentials, or the customer); the domain decides what
each side may do with the request."""

Offset = Annotated[IntOrBlank, Doc("0-based row offset (default 0)", schema={"type": "string"})]
Limit = Annotated[IntOrBlank, Doc("1 to 100 rows (default 10)", schema={"type": "string"})]
StatusFilter = Annotated[
    RequestStatus | None, CHOICE, Doc("PENDING | APPROVED | REJECTED | CANCELLED")
]
"""The state of a request between a partner and a customer (a type change, a disassociation)."""


def area_router() -> APIRouter:
    """A router of this area: its operations under ``PREFIX``, tagged ``TAG``."""
    return APIRouter(prefix=PREFIX, tags=[TAG])


class RequestItem(WireModel):
    """What every request between a partner and a customer starts with (a type change, a
    disassociation)."""

    request_id: str
    partner_id: str
    customer_id: str


def association_type_of(value: str | None) -> AssociationType:
    """A wire association type; absent = reseller."""
    if value is None:
        return AssociationType.RESELLER
    found = ASSOCIATION_TYPES_IN.get(value)
    if found is None:
        raise invalid_parameter("association_type", "Use 1 (referral) or 3 (reseller).")
    return found


def type_code(ctx: OperationContext, kind: AssociationType) -> str:
    return association_code(kind, ctx.state.site)
