"""The identity domain's public surface (the only module other domains import)."""

from partner_center.domains.identity.crypto import SecretCipher, hash_token, same_secret
from partner_center.domains.identity.keycache import KeyCache
from partner_center.domains.identity.models import AccountKind, AccountStatus
from partner_center.domains.identity.permissions import (
    Permission,
    Role,
    sees_only_own_customers,
    validate_roles,
)
from partner_center.domains.identity.service import (
    AccessKeyView,
    AccountView,
    AgencyView,
    Caller,
    IdentityService,
    IssuedKey,
    IssuedToken,
    KeyMaterial,
    MemberView,
)
from partner_center.domains.identity.signin import SignInGuard, SignInPolicy, SignInSubject

__all__ = [
    "AccessKeyView",
    "AccountKind",
    "AccountStatus",
    "AccountView",
    "AgencyView",
    "Caller",
    "IdentityService",
    "IssuedKey",
    "IssuedToken",
    "KeyCache",
    "KeyMaterial",
    "MemberView",
    "Permission",
    "Role",
    "SecretCipher",
    "SignInGuard",
    "SignInPolicy",
    "SignInSubject",
    "hash_token",
    "same_secret",
    "sees_only_own_customers",
    "validate_roles",
]
