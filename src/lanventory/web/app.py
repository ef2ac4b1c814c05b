"""The ASGI application of ``lanventory serve``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.status import HTTP_303_SEE_OTHER

from lanventory import __version__
from lanventory.service import lifecycle
from lanventory.web import (
    adopt_api,
    auth_routes,
    devices_api,
    history_api,
    live,
    metrics_api,
    observations_api,
    pages,
    pages_login,
    pages_prefixes,
    scan_api,
    settings_api,
    transfer_api,
)
from lanventory.web.csp import SecurityHeaders
from lanventory.web.request_body import RequestBodies
from lanventory.web.security import LoginRequired, require_owner
from lanventory.web.services import Services

#: Routers behind the owner gate; every route they hold refuses anonymous requests.
PROTECTED = (
    devices_api,
    adopt_api,
    history_api,
    scan_api,
    live,
    metrics_api,
    transfer_api,
    settings_api,
)
OPENAPI_URL = "/api/openapi.json"
DOCS_URL = "/api/docs"
#: Where the pages' CSS and JavaScript are served (open: they hold no data).
STATIC_URL = "/static"


def _add_docs(app: FastAPI) -> None:
    """The OpenAPI document and its Swagger UI, behind the owner gate like the API itself."""
    gate = [Depends(require_owner)]

    @app.get(OPENAPI_URL, include_in_schema=False, dependencies=gate)
    async def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get(DOCS_URL, include_in_schema=False, dependencies=gate)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=OPENAPI_URL, title="lanventory API")


def _add_pages(app: FastAPI) -> None:
    """The HTML pages, their static files, their security headers and the login redirect."""
    static = resources.files("lanventory.web").joinpath("static")
    app.mount(STATIC_URL, StaticFiles(directory=str(static)), name="static")
    app.include_router(pages_login.router)
    app.include_router(pages.router)
    app.include_router(pages_prefixes.router)
    app.add_middleware(SecurityHeaders, docs_path=DOCS_URL)

    @app.exception_handler(LoginRequired)
    async def login_required(_request: Request, error: Exception) -> RedirectResponse:
        assert isinstance(error, LoginRequired)
        return RedirectResponse(error.location, status_code=HTTP_303_SEE_OTHER)


def create_app(services: Services, *, background: bool = True) -> FastAPI:
    """The app for ``services``; ``background`` runs the scheduler, live tail and alerts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if background:
            await lifecycle.start(app, services)
        try:
            yield
        finally:
            if background:
                await lifecycle.stop(app, services)

    app = FastAPI(
        title="lanventory",
        version=__version__,
        openapi_url=None,  # served by _add_docs, behind the gate
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = services

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness probe: the only route open to anyone."""
        return {"status": "ok"}

    _add_docs(app)
    app.add_middleware(
        RequestBodies, limits={"/api/observations": observations_api.MAX_BATCH_BYTES}
    )
    app.include_router(auth_routes.router)
    app.include_router(observations_api.router)
    for module in PROTECTED:
        app.include_router(module.router, dependencies=[Depends(require_owner)])
    _add_pages(app)
    return app
