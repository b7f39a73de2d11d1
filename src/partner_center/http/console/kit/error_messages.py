"""What each error code of the API means, in words the console translates (the zh catalog has
every one): a refused form shows the code and, in Chinese, this meaning followed by the API's
own message (which names the field and the limit, and stays in English as the API answers it).
``tests/unit/test_console_error_messages.py`` checks every code the domains raise is here."""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

from partner_center.http.console.kit.questions import N_

MESSAGES: dict[str, str] = {
    # gateway, authentication, access
    "APIG.0101": N_("The API does not exist."),
    "APIG.0201": N_("The request is too large."),
    "APIG.0301": N_("The credentials could not be verified."),
    "APIG.0302": N_("The credentials could not be verified."),
    "APIG.0303": N_("The temporary credentials have expired."),
    "APIG.0304": N_("The credentials could not be verified."),
    "APIG.0305": N_("The credentials could not be verified."),
    "APIG.0308": N_("Too many attempts from your network address; try again later."),
    "IAM.0001": N_("The account name, user name or password is wrong."),
    "IAM.0002": N_("The sign-in request is incomplete."),
    "IAM.0003": N_("The customer has not authorized you to act on its behalf."),
    "IAM.0004": N_("Too many failed sign-ins: the account is locked for a while."),
    "CBC.0100": N_("A value is missing or invalid."),
    "CBC.0101": N_("A value is not valid."),
    "CBC.0150": N_("This operation is not allowed."),
    "CBC.0151": N_("You do not have permission to do this."),
    "CBC.0154": N_("Your session has expired; sign in again."),
    "CBC.0155": N_("This account or user may not make this request."),
    "CBC.0156": N_("The customer belongs to another site."),
    "CBC.0250": N_("Too many requests; try again in a moment."),
    "CBC.0999": N_("Something went wrong; try again or contact support."),
    # partners, customers, association
    "CBC.5001": N_("The account is not a partner."),
    "CBC.5017": N_("The mobile number is not valid."),
    "CBC.5024": N_("Not possible for the customer's association type."),
    "CBC.18000016": N_("Insufficient permission; contact your distributor."),
    "CBC.99000000": N_("You have no permission on this customer."),
    "CBC.99000004": N_("The customer's authorization could not be recorded."),
    "CBC.99000029": N_("The mobile number is already registered."),
    "CBC.99000030": N_("Too many accounts use this mobile number."),
    "CBC.99000031": N_("The account name is not valid."),
    "CBC.99000035": N_("The customer is not one of your customers."),
    "CBC.99000036": N_("The password does not meet the rules."),
    "CBC.99000037": N_("The reseller is not one of your resellers."),
    "CBC.99000038": N_("The account name is already taken."),
    "CBC.99000039": N_("This external account ID is already used."),
    "CBC.99000050": N_("The association is taking longer than expected; check the customer list."),
    "CBC.99000051": N_("The e-mail address or mobile number is already registered."),
    "CBC.50010059": N_("A tier-1 distributor cannot associate customers directly."),
    "CBC.50010065": N_("The partner has exited; no association is possible."),
    "CBC.50010085": N_("The partner is restricted and cannot acquire customers."),
    "CBC.50010086": N_("The reseller's distributor is restricted and cannot acquire customers."),
    "CBC.50010105": N_("The reseller is exiting."),
    "CBC.99007004": N_("The customer does not meet the conditions for this change."),
    "CBC.99008040": N_("Too many requests of this kind in the period."),
    "CBC.99110001": N_("The system is busy. Try again or contact support."),
    "CBC.99110002": N_("The invitation link does not exist or was withdrawn."),
    "CBC.99110003": N_("The invitation link has expired; ask for a new one."),
    "CBC.99110004": N_("The invitation code has already been used."),
    "CBC.99110005": N_("The invitation link has already been used."),
    "CBC.99110006": N_("Prepaid partners cannot develop reseller-model customers."),
    "CBC.99110007": N_("The customer has been pre-registered by another partner."),
    "CBC.99110008": N_("The account is a partner and cannot become a customer."),
    "CBC.99110009": N_("The customer is already associated with another partner."),
    "CBC.99110010": N_("The customer is already associated with this partner."),
    "CBC.99110011": N_("The customer has a special contract with the cloud."),
    "CBC.99110012": N_("The account is an internal account of the cloud operator."),
    "CBC.99110013": N_("The customer's enterprise already has an independent-accounting member."),
    "CBC.99110014": N_("The customer is registered on another site."),
    "CBC.99110015": N_("The customer needs a manual review (registered long ago or has spent)."),
    "CBC.99110016": N_("The customer has unpaid bills."),
    "CBC.99110017": N_(
        "The customer holds reserved instances; the reseller model is not possible."
    ),
    "CBC.99110018": N_("The customer is an enterprise member account."),
    "CBC.99110019": N_("The customer account is suspended."),
    "CBC.99110020": N_("You may not develop customers in this association model."),
    "CBC.99110030": N_("The request is no longer pending."),
    "CBC.99110031": N_("Another request on this customer is still open."),
    "CBC.99110032": N_("The customer has already authorized you."),
    # verification codes
    "CBC.99004003": N_("The verification code could not be sent."),
    "CBC.99004008": N_("The verification code has expired."),
    "CBC.99004009": N_("The verification code failed too many times."),
    "CBC.99004010": N_("The verification code is wrong."),
    "CBC.99004015": N_("Too many verification codes sent; try again later."),
    # money, balances, budgets
    "CBC.5003": N_("The balance is insufficient."),
    "CBC.99005003": N_("The balance is insufficient."),
    "CBC.99000047": N_("The account does not exist."),
    "CBC.99000049": N_("The customer has no account balance."),
    "CBC.99000084": N_("Not available for your resale customers."),
    "CBC.99003198": N_("The customer's budget is not set or is not enough."),
    "CBC.99003656": N_("The customer's purchases are restricted or the customer is frozen."),
    "CBC.99003626": N_("The customer may not switch to pay-per-use now."),
    "CBC.99007009": N_("This request was already made."),
    # customers' state
    "CBC.30000052": N_("The customer is already frozen."),
    # coupons
    "CBC.50000045": N_("The coupon quota is busy; try again."),
    "CBC.99000012": N_("The coupon quota is not valid."),
    "CBC.99000013": N_("The coupon quota is insufficient."),
    "CBC.99000014": N_("Not possible for this cooperation type."),
    "CBC.99000015": N_("The coupon quota is not in a usable state."),
    "CBC.99000017": N_("The coupon quota is not in effect."),
    "CBC.99000018": N_("The face value is below the minimum."),
    "CBC.99000019": N_("The face value is above the maximum."),
    "CBC.99000020": N_("Too many coupons at once."),
    "CBC.99000022": N_("Only for a customer's first association."),
    "CBC.99000023": N_("The coupon's scope is wider than the quota allows."),
    "CBC.99000024": N_("The coupon's order types are wider than the quota allows."),
    "CBC.99000025": N_("You cannot issue coupons to yourself."),
    "CBC.99003108": N_("The coupon or discount does not apply to this order."),
    "CBC.99003112": N_("The coupon has already been used."),
    "CBC.99003116": N_("The coupon cannot be combined with a discount."),
    "CBC.99003117": N_("The order is below the coupon's minimum after the discount."),
    "CBC.99003147": N_("A cash coupon and a discount coupon cannot be combined."),
    "CBC.99003156": N_("Marketplace and dedicated coupons cannot be combined."),
    "CBC.99006016": N_("The coupons could not be looked up; try again."),
    # orders and resources
    "CBC.30000010": N_("The order does not exist."),
    "CBC.30000067": N_("The resource has been released."),
    "CBC.30010036": N_("Only a primary resource can be operated."),
    "CBC.30010069": N_("The period is not valid."),
    "CBC.30050006": N_("Automatic payment failed."),
    "CBC.30050012": N_("The same resource is named twice."),
    "CBC.99003012": N_("The resource does not exist."),
    "CBC.99003016": N_("The resource has expired and been deleted."),
    "CBC.99003100": N_("The resource is in an unpaid order."),
    "CBC.99003106": N_("The order's status has changed; reload the page."),
    "CBC.99003110": N_("The payment deadline has passed."),
    "CBC.99003128": N_("There is no renewed period to unsubscribe."),
    "CBC.99003154": N_("The total term is too long."),
    "CBC.99003602": N_("Auto-renew is not allowed for this resource."),
    "CBC.99003605": N_("Auto-renew is already off."),
    "CBC.99003610": N_("The resource is in its grace or retention period."),
    "CBC.99003623": N_("The resource is busy with another order."),
    "CBC.99005010": N_("The order cannot be cancelled."),
    "CBC.99005026": N_("The order is not a refund order."),
    # catalog and ratings
    "CBC.99006006": N_("The product is not in the catalog or not sold here."),
    "CBC.99006050": N_("The usage measure is not valid for this product."),
    "CBC.99006055": N_("The amount is too large."),
    "CBC.99006073": N_("The project does not exist."),
    # enterprises, real-name
    "CBC.7001": N_("The account is not linked to an enterprise."),
    "CBC.70300008": N_("Only an enterprise master account can do this."),
    "CBC.70600026": N_("The application cannot be reviewed now."),
    "CBC.99000100": N_("The attachment is not valid."),
    "CBC.99007188": N_("The application has already been submitted."),
    "CBC.99007191": N_("Too many attempts; try again later."),
}
"""Error code → what it means (English msgid)."""


def explain(language: str, gettext: Callable[[str], str], code: str, message: str) -> Markup:
    """The message shown beside a refused field: the API's own in English; in another language
    the code's meaning translated, then the API's message (marked English)."""
    meaning = MESSAGES.get(code)
    if language == "en" or meaning is None:
        return escape(message)
    return Markup('{} <span class="muted" lang="en">{}</span>').format(gettext(meaning), message)
