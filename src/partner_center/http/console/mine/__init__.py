"""The customer console: my partner and budget, orders, association and authorization requests."""
