"""The double-entry ledger: immutable transfers between accounts, TigerBeetle-style.

Other domains import only :mod:`partner_center.domains.ledger.public`.
"""
