"""Coupons: a partner issues coupons to its customers within its coupon quotas and reclaims
them; the operator grants coupon quotas to partners."""
