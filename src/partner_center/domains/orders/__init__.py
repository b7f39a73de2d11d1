"""Yearly/monthly orders: created on a customer's behalf, paid, renewed and unsubscribed."""
