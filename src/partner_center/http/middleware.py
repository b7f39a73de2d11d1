"""Pure-ASGI middleware: an ``X-Request-Id`` on every response (honouring a caller-supplied
one), one structured access-log line per request, and a last-resort ``CBC.0999`` body so even an
unexpected failure keeps the reference error shape."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from partner_center.http.wire import dumps
from partner_center.kernel.logging import caller_var, request_id_var
from partner_center.kernel.metrics import REQUEST_SECONDS, REQUESTS

log = logging.getLogger("partner_center.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        rid_token = request_id_var.set(request_id)
        caller_token = caller_var.set(None)
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500, "sent": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["sent"] = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error")
            if not status["sent"]:
                body = dumps({"error_code": "CBC.0999", "error_msg": "Internal error."})
                await send_with_id(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            operation = getattr(route, "name", None) or "unmatched"
            REQUESTS.labels(operation, str(status["code"])).inc()
            REQUEST_SECONDS.labels(operation).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status["code"],
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(rid_token)
            caller_var.reset(caller_token)
