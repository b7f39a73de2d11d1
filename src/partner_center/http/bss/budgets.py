"""Routes (see the module's operations)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
