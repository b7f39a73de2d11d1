"""The background domain's public surface (the only module other domains import)."""

from partner_center.domains.background.models import WorkKind, WorkStatus
from partner_center.domains.background.service import (
    EXPORT_PAGE,
    MAX_UPLOAD_BYTES,
    STEP,
    BackgroundWorkService,
    WorkView,
)

__all__ = [
    "EXPORT_PAGE",
    "MAX_UPLOAD_BYTES",
    "STEP",
    "BackgroundWorkService",
    "WorkKind",
    "WorkStatus",
    "WorkView",
]
