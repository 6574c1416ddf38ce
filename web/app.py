"""The FastAPI application factory (``mediawatch serve``).

``create_app(settings)`` opens the database (migrated), mounts /static (HTMX,
vendored, 0BSD), registers the routers of web/routes/, sets security headers
(a strict Content-Security-Policy: no inline scripts, so injected markup cannot
run) and turns anonymous access into a redirect to /login (pages) or 401 (/api/).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from web.deps import LoginRequired

HERE = Path(__file__).resolve().parent
ROUTERS = ("auth", "queue", "item", "watchlists", "sources", "api", "admin", "tips")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

def _context(request: Request) -> dict[str, Any]:
    """Every page gets the signed-in user and the session (for the CSRF token)."""
    return {"user": getattr(request.state, "user", None), "web_session": getattr(request.state, "web_session", None)}


templates = Jinja2Templates(directory=str(HERE / "templates"), context_processors=[_context])


def create_app(settings: Any, factory: Any = None) -> FastAPI:
    """Build the app for ``settings``; ``factory`` (a sessionmaker) defaults to the configured database."""
    if factory is None:
        from storage.db import make_engine, make_session_factory
        from storage.migrate import upgrade

        upgrade(settings.effective_database_url)
        factory = make_session_factory(make_engine(settings.effective_database_url))
    # no Swagger UI: it needs inline scripts and a CDN, which the CSP refuses; the OpenAPI document is served
    app = FastAPI(title="mediawatch API", version="1", docs_url=None, openapi_url="/api/openapi.json", redoc_url=None)
    app.state.settings, app.state.factory = settings, factory
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for name in ROUTERS:
        app.include_router(importlib.import_module(f"web.routes.{name}").router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.url.path != "/login" and not request.url.path.startswith("/static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "Cần đăng nhập hoặc mã truy cập API"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return templates.TemplateResponse(request, "error.html", {"status": exc.status_code, "message": exc.detail},
                                          status_code=exc.status_code)

    return app
