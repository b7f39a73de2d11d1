"""Yearly/monthly resources: what a paid order provisions, their terms and their lifecycle."""
