"""Console sessions and CSRF protection.

A session is an IAM token of the member who signed in with a password (the same sign-in and
lockout as ``POST /v3/auth/tokens``): the cookie holds the token, the database its hash and
wall-clock expiry, logging out deletes it. The cookie is ``HttpOnly``, ``SameSite=Lax``, and
``Secure`` when the console is served over HTTPS.

Every form carries a CSRF token: for a signed-in member the SHA-256 of the session token under
a purpose prefix (unguessable without the cookie, so a cross-site page cannot forge it); the
sign-in form, before there is a session, a random value also set as a cookie (double submit).
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response

from partner_center.domains.identity.public import hash_token, same_secret

SESSION_COOKIE = "pc_session"
SIGN_IN_CSRF_COOKIE = "pc_signin"
ACTING_COOKIE = "pc_acting"
"""The delegated token of the customer a partner acts as (``acting/``), beside its session."""
CSRF_FIELD = "csrf"


def csrf_for_session(token: str) -> str:
    return hash_token("console-csrf:" + token)


def new_sign_in_csrf() -> str:
    return secrets.token_urlsafe(24)


def csrf_matches(expected: str | None, presented: str | None) -> bool:
    if not expected or not presented:
        return False
    return same_secret(hash_token(expected), hash_token(presented))


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=_secure(request))
