"""Projects, minimally: a ratings call names one of the caller's projects (``project_id``).

Each account has one project per catalogue region, named after the region (as IAM names
projects), whose id is derived from the account id and the region: stable, 32 hex characters,
and computable by anyone who knows the account — no table is needed until projects gain state
of their own.
"""

from __future__ import annotations

import uuid

_PROJECT_NAMESPACE = uuid.UUID("6f3a0c9e-4d2b-5a8e-9c71-0b5e2d4f8a13")


def project_id_for(account_id: str, region: str) -> str:
    """The id of ``account_id``'s project in ``region``."""
    return uuid.uuid5(_PROJECT_NAMESPACE, f"{account_id}/{region}").hex
