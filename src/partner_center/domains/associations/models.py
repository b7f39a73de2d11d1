"""Models of this domain (see service.py)."""
