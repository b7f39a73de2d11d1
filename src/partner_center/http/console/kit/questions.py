"""The questions of the confirmation step (``confirm.py``), by key: templates name a key
(``{{ confirm("freeze") }}`` in ``macros.html``), actions ask for the same key."""

from __future__ import annotations


def N_(text: str) -> str:
    """Mark a string for the catalog; it is translated where it is shown."""
    return text


QUESTIONS: dict[str, str] = {
    "freeze": N_(
        "Freeze the selected customers? They cannot use or buy cloud services until they are "
        "unfrozen."
    ),
    "unsubscribe": N_(
        "Unsubscribe from this resource? It is released and its data deleted; what is refunded "
        "follows the unsubscription rules."
    ),
    "delete_key": N_(
        "Delete this access key for good? Programs that sign with it stop working at once."
    ),
    "revoke_authorization": N_(
        "Revoke the authorization? Your partner can no longer order or operate on your behalf."
    ),
    "disassociate": N_(
        "Ask to end the association with this customer? A referral association ends at once."
    ),
    "disassociate_partner": N_(
        "Ask to end the association with your partner? A referral association ends at once."
    ),
    "approve_disassociation": N_("Approve the request? The association ends at once."),
    "reclaim_quota": N_(
        "Reclaim what is left of this reseller's coupon quota? The reseller can no longer issue "
        "coupons from it."
    ),
    "withdraw_manager": N_(
        "Withdraw the customer's account manager? Attribution ends at the next midnight."
    ),
}
"""Key → the question (English msgid; the catalog translates it)."""
