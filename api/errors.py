"""How errors become HTTP responses; the errors themselves live in `config.errors`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from config.errors import GatekeeperError

logger = logging.getLogger(__name__)


def error_response(error: GatekeeperError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every failure in the contract's shapes; nothing unexpected leaks a traceback."""

    async def on_gatekeeper_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, GatekeeperError)
        if error.status >= 500:
            logger.warning(
                "request failed method=%s path=%s status=%s error=%s",
                request.method,
                request.url.path,
                error.status,
                error.message,
            )
        return error_response(error)

    async def on_http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        headers = getattr(error, "headers", None)
        if error.status_code == 404:
            return JSONResponse({"error": "Not Found"}, status_code=404, headers=headers)
        if error.status_code == 405:
            # As the reference: an empty body and the methods the path does accept.
            return Response(status_code=405, headers=headers)
        return JSONResponse({"error": str(error.detail)}, status_code=error.status_code)

    async def on_validation_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return JSONResponse({"error": "Invalid request"}, status_code=400)

    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.error(
            "unexpected error method=%s path=%s",
            request.method,
            request.url.path,
            exc_info=error,
        )
        return JSONResponse({"error": "Internal Server Error"}, status_code=500)

    app.add_exception_handler(GatekeeperError, on_gatekeeper_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
