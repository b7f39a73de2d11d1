"""Who may call what (api-semantics.md §2): each declared caller kind admits exactly the callers
routes used to re-check by hand, with the same refusal (CBC.0151, the same words)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from partner_center.domains.identity.public import AccountKind, Caller
from partner_center.domains.partners.public import (
    PartnerService,
    PartnerStatus,
    PartnerType,
    PartnerView,
)
from partner_center.http.auth import CallerKind, require_kind
from partner_center.kernel.errors import DomainError


class Partners:
    """The one thing ``require_kind`` asks the partners service."""

    def __init__(self, *views: PartnerView) -> None:
        self.views = {v.partner_id: v for v in views}

    async def get(self, partner_id: str, *, account_name: str | None = None) -> PartnerView | None:
        return self.views.get(partner_id)


def view(partner_id: str, partner_type: PartnerType) -> PartnerView:
    return PartnerView(
        partner_id=partner_id,
        name=partner_id,
        partner_type=partner_type,
        distributor_id=None,
        company_name=partner_id,
        status=PartnerStatus.NORMAL,
        xaccount_type="x",
    )


def caller(account_id: str, kind: AccountKind, *, delegated_by: str | None = None) -> Caller:
    return Caller(
        account_id=account_id,
        account_name=account_id,
        kind=kind,
        member_id=None,
        member_name=None,
        is_admin=True,
        roles=(),
        permissions=frozenset(),
        delegated_by=delegated_by,
    )


PARTNERS = Partners(
    view("csp", PartnerType.CSP),
    view("distributor", PartnerType.DISTRIBUTOR),
    view("reseller", PartnerType.RESELLER),
)
CALLERS = {
    "csp": caller("csp", AccountKind.PARTNER),
    "distributor": caller("distributor", AccountKind.PARTNER),
    "reseller": caller("reseller", AccountKind.PARTNER),
    "customer": caller("customer", AccountKind.CUSTOMER),
    "agency": caller("customer", AccountKind.CUSTOMER, delegated_by="csp"),
    "operator": caller("operator", AccountKind.OPERATOR),
    "unknown partner": caller("gone", AccountKind.PARTNER),
}

PARTNER_ONLY = "Access denied: this API is called with partner credentials."
CSP_OR_DISTRIBUTOR = (
    "Access denied: only a cloud solution provider or a distributor may call this API."
)
DISTRIBUTOR_ONLY = "Access denied: only a distributor may call this API."
ANY_PARTNER_ONLY = "Access denied: this operation is called with partner credentials."
NOT_A_PARTNER = "Access denied: the account is not a partner."
PARTNER_OR_CUSTOMER = "Access denied: call with partner or customer credentials."
OPERATOR_ONLY = "Access denied: only the operator may call this API."
CUSTOMER_ONLY = "Access denied: this API is called with the customer's credentials."

# kind -> caller -> the partner admitted ("-" admitted without one) or the refusal
EXPECTED: dict[CallerKind, dict[str, str]] = {
    CallerKind.PARTNER: {
        "csp": "csp",
        "distributor": "distributor",
        "reseller": CSP_OR_DISTRIBUTOR,
        "customer": PARTNER_ONLY,
        "agency": PARTNER_ONLY,
        "operator": PARTNER_ONLY,
        "unknown partner": CSP_OR_DISTRIBUTOR,
    },
    CallerKind.DISTRIBUTOR: {
        "csp": DISTRIBUTOR_ONLY,
        "distributor": "distributor",
        "reseller": CSP_OR_DISTRIBUTOR,
        "customer": PARTNER_ONLY,
        "operator": PARTNER_ONLY,
    },
    CallerKind.ANY_PARTNER: {
        "csp": "csp",
        "distributor": "distributor",
        "reseller": "reseller",
        "customer": ANY_PARTNER_ONLY,
        "operator": ANY_PARTNER_ONLY,
        "unknown partner": NOT_A_PARTNER,
    },
    CallerKind.PARTNER_OR_CUSTOMER: {
        "csp": "csp",
        "reseller": CSP_OR_DISTRIBUTOR,
        "customer": "-",
        "agency": "-",
        "operator": PARTNER_OR_CUSTOMER,
    },
    CallerKind.ANY_PARTNER_OR_CUSTOMER: {
        "reseller": "reseller",
        "customer": "-",
        "agency": "-",
        "operator": ANY_PARTNER_ONLY,
    },
    CallerKind.DISTRIBUTOR_OR_OPERATOR: {
        "distributor": "distributor",
        "operator": "-",
        "csp": DISTRIBUTOR_ONLY,
        "reseller": CSP_OR_DISTRIBUTOR,
        "customer": PARTNER_ONLY,
    },
    CallerKind.CUSTOMER: {"customer": "-", "agency": "-", "csp": CUSTOMER_ONLY},
    CallerKind.OPERATOR: {"operator": "-", "csp": OPERATOR_ONLY, "customer": OPERATOR_ONLY},
    CallerKind.ANY: {"csp": "-", "reseller": "-", "customer": "-", "operator": "-"},
}


@pytest.mark.parametrize(
    ("kind", "who", "expected"),
    [(k, who, outcome) for k, cases in EXPECTED.items() for who, outcome in cases.items()],
)
async def test_caller_kinds(kind: CallerKind, who: str, expected: str) -> None:
    partners = cast(PartnerService, PARTNERS)
    if expected.startswith("Access denied"):
        with pytest.raises(DomainError) as caught:
            await require_kind(CALLERS[who], kind, partners)
        assert (caught.value.code, caught.value.message) == ("CBC.0151", expected)
        return
    admitted: Any = await require_kind(CALLERS[who], kind, partners)
    assert (admitted.partner_id if admitted else "-") == expected


def test_every_kind_is_covered() -> None:
    assert set(EXPECTED) == set(CallerKind) - {CallerKind.PUBLIC}
