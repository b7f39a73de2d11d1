"""Our extension endpoints (not in the reference API), one router per area. Every router here
mounts its operations under ``PREFIX`` (``APIRouter(prefix=PREFIX)``) but notifications', which
follow the reference's ``/v1/notifications``."""

PREFIX = "/v1/partner-center"
