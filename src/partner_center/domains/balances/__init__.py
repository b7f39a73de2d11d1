"""Partner and customer money: partner cash and credit lines, allocations to customers and
resellers, customer balances, charges and refunds, and their statements — all kept in the
ledger (see ``chart.py``).

Other domains import only :mod:`partner_center.domains.balances.public`.
"""
