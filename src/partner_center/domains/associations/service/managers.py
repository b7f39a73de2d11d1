"""Organization members and customers' account managers (rules.md §1.18–1.20, §2.1.9, §8.5)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from partner_center.domains.associations import errors
from partner_center.domains.associations.errors import AssociationErrorCode
from partner_center.domains.associations.models import CustomerManagerAssignment
from partner_center.domains.associations.service.common import ServiceBase, next_local_midnight
from partner_center.domains.customers.public import (
    PartnerActor,
    check_password,
)
from partner_center.domains.identity.public import (
    AccountStatus,
    IssuedKey,
    MemberView,
    Role,
    validate_roles,
)
from partner_center.kernel.errors import DomainError, access_denied, invalid_parameter
from partner_center.kernel.ids import new_id

_MEMBER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class AssignmentView:
    """One period of a customer's account manager."""

    assignment_id: str
    customer_id: str
    member_id: str
    member_name: str
    assigned_by: str | None
    assigned_at: datetime
    effective_from: datetime
    """Spend and revenue count for the manager from here (next 00:00, billing time zone)."""
    ended_at: datetime | None
    effective_to: datetime | None


def _assignment(row: CustomerManagerAssignment) -> AssignmentView:
    return AssignmentView(
        assignment_id=row.id,
        customer_id=row.customer_id,
        member_id=row.member_id,
        member_name=row.member_name,
        assigned_by=row.assigned_by,
        assigned_at=row.assigned_at,
        effective_from=row.effective_from,
        ended_at=row.ended_at,
        effective_to=row.effective_to,
    )


class MemberService(ServiceBase):
    """Members of a partner's organization, managed by its administrator."""

    async def create_member(
        self, actor: PartnerActor, *, name: str, roles: list[str], password: str | None
    ) -> MemberView:
        """Add a member with 1–3 roles: Admin alone, Account Manager and Director exclusive."""
        self.require_admin(actor, "manage members")
        if not _MEMBER_NAME.match(name):
            raise invalid_parameter(
                "name", "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit."
            )
        validate_roles(roles)
        if Role.ADMIN.value in roles:
            raise invalid_parameter("roles", "The account has one administrator; it is not added.")
        if password is not None:
            check_password(password, account_name=name, email=None, mobile=None)
        member = await self.identity.create_member(
            account_id=actor.partner_id, name=name, roles=roles, password=password
        )
        view = await self.identity.get_member(account_id=actor.partner_id, member_id=member.id)
        assert view is not None
        return view

    async def list_members(self, actor: PartnerActor) -> list[MemberView]:
        self.require_admin(actor, "manage members")
        return await self.identity.list_members(actor.partner_id)

    async def set_roles(self, actor: PartnerActor, member_id: str, roles: list[str]) -> MemberView:
        """Change a member's roles. A member who still manages customers keeps the Account
        Manager role until they are given to someone else (one manager per customer)."""
        self.require_admin(actor, "manage members")
        validate_roles(roles)
        if Role.ADMIN.value in roles:
            raise invalid_parameter("roles", "The account has one administrator.")
        current = await self.identity.get_member(account_id=actor.partner_id, member_id=member_id)
        if current is None:
            raise errors.no_such("member", "member_id")
        if Role.ACCOUNT_MANAGER.value in current.roles and Role.ACCOUNT_MANAGER.value not in roles:
            managed = await self.customer_records.count(
                self.customer_records.ids(owner_id=actor.partner_id, account_manager_id=member_id)
            )
            if managed:
                raise invalid_parameter(
                    "roles",
                    f"The member still manages {managed} customer(s); assign them to another "
                    "account manager first.",
                )
        return await self.identity.set_member_roles(
            account_id=actor.partner_id, member_id=member_id, roles=roles
        )

    async def issue_access_key(self, actor: PartnerActor, member_id: str) -> IssuedKey:
        """A permanent AK/SK for one member; the SK is shown only in this answer."""
        self.require_admin(actor, "manage members")
        member = await self.identity.get_member(account_id=actor.partner_id, member_id=member_id)
        if member is None:
            raise errors.no_such("member", "member_id")
        if member.status != AccountStatus.ACTIVE:
            raise invalid_parameter("member_id", "The member is disabled.")
        return await self.identity.create_access_key(
            account_id=actor.partner_id, member_id=member_id, description="member key"
        )


class AccountManagerService(ServiceBase):
    """One account manager per customer, with the history attribution reads (rules.md §8.5)."""

    @staticmethod
    def _require_assigner(actor: PartnerActor) -> None:
        caller = actor.caller
        if not (caller.is_admin or Role.ACCOUNT_DIRECTOR.value in caller.roles):
            raise access_denied(
                "Access denied: only the administrator or an account director assigns account "
                "managers."
            )

    async def assign(self, actor: PartnerActor, customer_id: str, member_id: str) -> AssignmentView:
        """Make ``member_id`` (an account manager of the partner) the customer's manager.
        Visibility changes at once; attribution starts at the next 00:00 (billing time zone)."""
        self._require_assigner(actor)
        customer = await self.owned_customer(actor, customer_id, lock=True)
        member = await self.identity.get_member(account_id=actor.partner_id, member_id=member_id)
        if member is None:
            raise errors.no_such("member", "member_id")
        if member.status != AccountStatus.ACTIVE:
            raise invalid_parameter("member_id", "The member is disabled.")
        if Role.ACCOUNT_MANAGER.value not in member.roles:
            raise invalid_parameter(
                "member_id", "The member does not hold the Account Manager role."
            )
        current = await self._current(customer_id)
        if current is not None and current.member_id == member_id:
            return _assignment(current)
        return await self.open_assignment(
            customer_id=customer.customer_id,
            partner_id=actor.partner_id,
            member_id=member.member_id,
            member_name=member.name,
            assigned_by=actor.caller.member_id,
        )

    async def withdraw(self, actor: PartnerActor, customer_id: str) -> AssignmentView:
        """Take the customer's account manager away; attribution ends at the next 00:00."""
        self._require_assigner(actor)
        await self.owned_customer(actor, customer_id, lock=True)
        current = await self._current(customer_id)
        if current is None:
            raise DomainError(
                AssociationErrorCode.INVALID_PARAMETER,
                "Invalid parameter: customer_id. The customer has no account manager.",
            )
        self._close(current)
        await self.associations.set_account_manager(
            customer_id, partner_id=actor.partner_id, member_id=None
        )
        await self.session.flush()
        return _assignment(current)

    async def history(self, actor: PartnerActor, customer_id: str) -> list[AssignmentView]:
        """Every account manager the customer had with this partner, newest first."""
        await self.owned_customer(actor, customer_id)
        stmt = (
            select(CustomerManagerAssignment)
            .where(
                CustomerManagerAssignment.tenant_id == actor.partner_id,
                CustomerManagerAssignment.customer_id == customer_id,
            )
            .order_by(
                CustomerManagerAssignment.assigned_at.desc(), CustomerManagerAssignment.id.desc()
            )
        )
        return [_assignment(r) for r in (await self.session.execute(stmt)).scalars()]

    async def attributed_manager(self, customer_id: str, at: datetime) -> str | None:
        """The member whose figures the customer's spend at ``at`` counts towards, if any."""
        stmt = (
            select(CustomerManagerAssignment.member_id)
            .where(
                CustomerManagerAssignment.customer_id == customer_id,
                CustomerManagerAssignment.effective_from <= at,
                or_(
                    CustomerManagerAssignment.effective_to.is_(None),
                    CustomerManagerAssignment.effective_to > at,
                ),
            )
            .order_by(
                CustomerManagerAssignment.assigned_at.desc(), CustomerManagerAssignment.id.desc()
            )
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    # -- used by invitations and disassociation ------------------------------------------------

    async def open_assignment(
        self,
        *,
        customer_id: str,
        partner_id: str,
        member_id: str,
        member_name: str,
        assigned_by: str | None,
    ) -> AssignmentView:
        """Close the current assignment (if any) and start ``member_id``'s."""
        now = self.clock.now()
        current = await self._current(customer_id)
        if current is not None:
            self._close(current)
        row = CustomerManagerAssignment(
            id=new_id(),
            tenant_id=partner_id,
            customer_id=customer_id,
            member_id=member_id,
            member_name=member_name,
            assigned_by=assigned_by,
            assigned_at=now,
            effective_from=next_local_midnight(self.policy.zone, now),
        )
        self.session.add(row)
        await self.associations.set_account_manager(
            customer_id, partner_id=partner_id, member_id=member_id
        )
        await self.session.flush()
        return _assignment(row)

    async def close_current(self, customer_id: str) -> None:
        current = await self._current(customer_id)
        if current is not None:
            self._close(current)
            await self.session.flush()

    async def _current(self, customer_id: str) -> CustomerManagerAssignment | None:
        stmt = select(CustomerManagerAssignment).where(
            CustomerManagerAssignment.customer_id == customer_id,
            CustomerManagerAssignment.ended_at.is_(None),
        )
        return (await self.session.execute(stmt)).scalars().first()

    def _close(self, row: CustomerManagerAssignment) -> None:
        now = self.clock.now()
        row.ended_at = now
        # An assignment replaced on the day it was made never counts: it ends where it starts.
        row.effective_to = max(next_local_midnight(self.policy.zone, now), row.effective_from)
