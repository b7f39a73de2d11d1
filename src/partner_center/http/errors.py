"""The single place where errors become HTTP responses: ``{"error_code", "error_msg"}`` with
the registry's status, and never a bare 500 for an expected business error."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from partner_center.http.wire import WireResponse
from partner_center.kernel.errors import DomainError

log = logging.getLogger("partner_center.http")

_HTTP_CODES = {404: "APIG.0101", 405: "APIG.0101", 401: "APIG.0301", 403: "CBC.0151"}


def error_response(code: str, message: str, status: int) -> Response:
    return WireResponse({"error_code": code, "error_msg": message}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> Response:
        if exc.status >= 500:
            log.error("domain error %s: %s", exc.code, exc.message)
        return error_response(exc.code, exc.message, exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query"))
        return error_response(
            "CBC.0100", f"Invalid parameter: {field or 'request'}. {first.get('msg', '')}", 400
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, f"CBC.{exc.status_code}")
        message = (
            "The API does not exist or has not been published."
            if exc.status_code
            in (
                404,
                405,
            )
            else str(exc.detail)
        )
        return error_response(code, message, exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return error_response("CBC.0999", "Internal error; retry later or open a ticket.", 500)
