"""The SMB new-customer tag of ``list_sub_customer_new_tag`` (api-semantics.md §3.2).

The reference only names the values (``Y`` qualified new customer, ``N`` not new,
``UNDETERMINED``); the qualification rule is ours, written down in README:

* ``UNDETERMINED`` while the customer has not passed real-name verification
  (``verified_status`` other than ``0``): newness is judged on the verified identity.
* ``Y`` when the account was registered at most ``NEW_ACCOUNT_DAYS`` before its association with
  the partner (the partner brought it to the cloud) and the tag's window has not ended;
* ``N`` otherwise.

The window runs from the month of association (``effective_time``) for ``WINDOW_MONTHS``
months (``expire_time`` is its last month), both ``YYYY-MM`` in the billing time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from partner_center.kernel.clock import add_months, start_of_month

TAG_TYPE = "SMB"
NEW_ACCOUNT_DAYS = 30
WINDOW_MONTHS = 12
VERIFIED = "0"


@dataclass(frozen=True, slots=True)
class NewCustomerTag:
    customer_id: str
    tag_type: str
    tag: str
    """``Y``, ``N`` or ``UNDETERMINED``."""
    effective_month: str
    expire_month: str


def new_customer_tag(
    customer_id: str,
    *,
    registered_at: datetime,
    associated_on: datetime,
    verified_status: str,
    now: datetime,
    zone: ZoneInfo,
) -> NewCustomerTag:
    first = start_of_month(zone, associated_on)
    last = add_months(zone, first, WINDOW_MONTHS - 1)
    end = add_months(zone, first, WINDOW_MONTHS)
    if verified_status != VERIFIED:
        tag = "UNDETERMINED"
    elif associated_on - registered_at <= timedelta(days=NEW_ACCOUNT_DAYS) and now < end:
        tag = "Y"
    else:
        tag = "N"
    return NewCustomerTag(
        customer_id=customer_id,
        tag_type=TAG_TYPE,
        tag=tag,
        effective_month=first.astimezone(zone).strftime("%Y-%m"),
        expire_month=last.astimezone(zone).strftime("%Y-%m"),
    )
