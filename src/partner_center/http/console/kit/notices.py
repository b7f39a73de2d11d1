"""What the console says once an action is done, by key: the action redirects with
``?notice=<key>`` (``Page.redirect``) and ``base.html`` shows the sentence, translated where it
is shown. A key it does not know (the query string is the visitor's to write) reads "Done."."""

from __future__ import annotations

from partner_center.http.console.kit.questions import N_

DONE = N_("Done.")

NOTICES: dict[str, str] = {
    "budget_set": N_("The budget was set."),
    "frozen": N_("The customers were frozen."),
    "unfrozen": N_("The customers were unfrozen."),
    "approved": N_("The request was approved."),
    "rejected": N_("The request was rejected."),
    "invited": N_("The invitations were sent."),
    "key_enabled": N_("The access key was enabled."),
    "revoked": N_("The authorization was revoked."),
    "paid": N_("The order was paid."),
    "key_disabled": N_("The access key was disabled."),
    "key_deleted": N_("The access key was deleted."),
    "clock_advanced": N_("The clock was advanced and the due jobs ran."),
    "transfer_confirmed": N_("The bank transfer was confirmed."),
    "quota_set": N_("The consumption quota was set."),
    "resource_renew": N_("A renewal order was created; pay it below."),
    "resource_unsubscribe": N_("The resource was unsubscribed."),
    "resource_auto_renew_on": N_("Auto-renew was turned on."),
    "resource_auto_renew_off": N_("Auto-renew was turned off."),
    "member_created": N_("The member was added."),
    "roles_set": N_("The roles were saved."),
    "acting.started": N_("You are now acting as the customer."),
    "acting.ended": N_("You have left the customer's mode."),
    "acting.order_placed": N_("The order was placed and waits for payment."),
    "associations.manager_assigned": N_(
        "The account manager was assigned; spend counts towards them from the next midnight."
    ),
    "associations.manager_withdrawn": N_("The account manager was withdrawn."),
    "associations.type_change_requested": N_(
        "The association type change was requested; the customer approves or rejects it."
    ),
    "associations.disassociation_requested": N_("The disassociation was requested."),
    "associations.request_cancel": N_("The request was withdrawn."),
    "associations.request_approve": N_("The request was approved."),
    "associations.request_reject": N_("The request was rejected."),
    "coupons.quota_allocated": N_("The quota was allocated to the resellers."),
    "coupons.quota_reclaimed": N_("What was left of the reseller's quota was reclaimed."),
    "grants_set": N_("The permissions and quotas were saved."),
    "grants_set_revoked": N_(
        "The permissions and quotas were saved; the customers' authorizations of the reseller "
        "were revoked with its permission to act for them."
    ),
    "associations.authorization_requested": N_(
        "The authorization was requested; the customer approves or rejects it."
    ),
    "coupons_issued": N_("The coupons were issued."),
    "coupon_reclaimed": N_("The coupon was reclaimed; its balance returned to the quota."),
    "quota_granted": N_("The coupon quota was granted."),
    "quota_status_set": N_("The coupon quota's status was changed."),
}
"""Key → the sentence (English msgid; the catalog translates it)."""


def notice_text(key: str) -> str:
    """The English sentence of a notice key ("Done." for a key it does not know)."""
    return NOTICES.get(key, DONE)
