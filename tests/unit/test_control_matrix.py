"""The restriction and freeze matrix of rules.md §4.2–4.4, action by action and state by state.

The expected table is written out here by hand (not derived from control.py), so a change to
what a restricted or frozen customer may do fails a test; a new Action fails until it is placed.
"""

from __future__ import annotations

import pytest

from partner_center.domains.customers.public import (
    Action,
    ControlState,
    FreezeType,
    check_allowed,
)
from partner_center.kernel.errors import DomainError

A = Action
NORMAL = ControlState("c", restricted=False, freeze_type=None, freeze_reason=None, frozen_by=None)
RESTRICTED = ControlState("c", restricted=True, freeze_type=None, freeze_reason="r", frozen_by=None)
ACCOUNT = ControlState(
    "c", restricted=False, freeze_type=FreezeType.ACCOUNT, freeze_reason="r", frozen_by="p"
)
ACCOUNT_AND_RESOURCE = ControlState(
    "c",
    restricted=False,
    freeze_type=FreezeType.ACCOUNT_AND_RESOURCE,
    freeze_reason="r",
    frozen_by="p",
)
RESTRICTED_AND_ACCOUNT = ControlState(
    "c", restricted=True, freeze_type=FreezeType.ACCOUNT, freeze_reason="r", frozen_by="p"
)
RESTRICTED_AND_RESOURCES = ControlState(
    "c",
    restricted=True,
    freeze_type=FreezeType.ACCOUNT_AND_RESOURCE,
    freeze_reason="r",
    frozen_by="p",
)

#: §4.3: yearly/monthly may be unsubscribed and renamed, pay-per-use renamed and viewed, and
#: existing pay-per-use keeps running and billing (§4.2); everything else is denied.
ALLOWED_RESTRICTED = {A.UNSUBSCRIBE, A.RENAME, A.VIEW, A.USE_ON_DEMAND}
#: §4.4: as restricted, but pay-per-use resources stop (enter the retention period).
ALLOWED_RESOURCES_FROZEN = {A.UNSUBSCRIBE, A.RENAME, A.VIEW}

EXPECTED: dict[str, tuple[ControlState, set[Action]]] = {
    "normal": (NORMAL, set(Action)),
    "restricted": (RESTRICTED, ALLOWED_RESTRICTED),
    "account frozen": (ACCOUNT, ALLOWED_RESTRICTED),
    "restricted and account frozen": (RESTRICTED_AND_ACCOUNT, ALLOWED_RESTRICTED),
    "account and resources frozen": (ACCOUNT_AND_RESOURCE, ALLOWED_RESOURCES_FROZEN),
    "restricted, account and resources frozen": (
        RESTRICTED_AND_RESOURCES,
        ALLOWED_RESOURCES_FROZEN,
    ),
}

CASES = [
    pytest.param(state, action, action in allowed, id=f"{label}-{action.value}")
    for label, (state, allowed) in EXPECTED.items()
    for action in Action
]


def test_every_action_is_classified() -> None:
    known = {
        A.PURCHASE,
        A.RENEW,
        A.CHANGE_SPEC,
        A.TO_ON_DEMAND,
        A.TO_PERIOD,
        A.DELETE,
        A.UNSUBSCRIBE,
        A.RENAME,
        A.VIEW,
        A.USE_ON_DEMAND,
    }
    assert set(Action) == known, "place the new action in the matrix of rules.md §4.3"


@pytest.mark.parametrize(("state", "action", "allowed"), CASES)
def test_matrix(state: ControlState, action: Action, allowed: bool) -> None:
    if allowed:
        check_allowed(state, action)
        return
    with pytest.raises(DomainError) as info:
        check_allowed(state, action)
    expected_code = "CBC.99003626" if action == A.TO_ON_DEMAND else "CBC.99003656"
    assert info.value.code == expected_code
    assert info.value.status == 400
    assert info.value.details == {"action": action.value}


def test_pay_per_use_keeps_running_while_restricted_but_stops_with_resources() -> None:
    for state in (RESTRICTED, ACCOUNT, RESTRICTED_AND_ACCOUNT):
        check_allowed(state, A.USE_ON_DEMAND)
    for state in (ACCOUNT_AND_RESOURCE, RESTRICTED_AND_RESOURCES):
        with pytest.raises(DomainError, match="resources are frozen"):
            check_allowed(state, A.USE_ON_DEMAND)


def test_refusals_say_why() -> None:
    with pytest.raises(DomainError, match="purchases are restricted"):
        check_allowed(RESTRICTED, A.PURCHASE)
    with pytest.raises(DomainError, match="the account is frozen"):
        check_allowed(ACCOUNT, A.RENEW)


def test_normal_property() -> None:
    assert NORMAL.normal
    assert not RESTRICTED.normal
    assert not ACCOUNT.normal
