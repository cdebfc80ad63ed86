"""Wiring: settings -> the services' clients, templates, the session cookie, the pages and the assets.

Tests pass their own settings and an HTTP transport (``httpx.MockTransport`` in unit tests,
nothing in the browser tests, which run the real services).

A form of more than 1 MiB is answered 413 (a problem) before it is read (``BodyLimit``).

Every response carries a Content-Security-Policy that allows nothing but this origin, so no
page can load a script, a style, a font or an image from elsewhere, and ``Server-Timing`` with
the time spent waiting on the services (``api``), rendering the templates (``render``) and in all (``total``).
"""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from planspor_runtime.access import Role
from planspor_runtime.docs import front_end_package
from planspor_runtime.health import Check, CheckResult, probes_router
from planspor_runtime.http import BodyLimit
from planspor_runtime.metrics import Metrics, MetricsPort, install_metrics, metrics_port
from portal.client import COCREATION, KNOWLEDGE, PLAN_REGISTRY, ServiceError, Services, timed_calls, wall_seconds
from portal.pages import ANALYSTS, COCREATION_READERS, KNOWLEDGE_READERS, OPERATORS, PLAN_READERS
from portal.session import COOKIE, Session, SessionCodec
from portal.settings import Settings
from portal.web import analysis, auth, cocreation, context, operations, overview, register, strategies

log = logging.getLogger("portal")
HERE = Path(__file__).parent
VENDOR = {"htmx.min.js": ("htmx.org", "dist/htmx.min.js"), "cytoscape.min.js": ("cytoscape", "dist/cytoscape.min.js")}
"""The npm files the portal serves under /assets/vendor/ (package-lock.json pins them); nothing else of node_modules."""
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
NO_SESSION = ("/assets/", "/healthz", "/readyz", "/metrics")
MAX_FORM_BYTES = 1024 * 1024
"""The largest form the portal reads (a Cypher query is at most 100,000 characters); above it 413."""


def vendor_files(settings: Settings) -> dict[str, Path]:
    found = {}
    for name, (package, inside) in VENDOR.items():
        folder = front_end_package(package, settings.portal_assets_dir)
        if folder is not None and (folder / inside).is_file():
            found[name] = folder / inside
        else:
            log.warning("portal: %s is not installed (make setup runs npm ci); pages work without it", package)
    return found


def build(settings: Settings | None = None, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    settings = settings or Settings()
    services = Services(
        {
            PLAN_REGISTRY: settings.plan_registry_url,
            COCREATION: settings.cocreation_url,
            KNOWLEDGE: settings.knowledge_url,
        },
        timeout=settings.portal_api_timeout,
        rebuild_timeout=settings.portal_rebuild_timeout,
        transport=transport,
    )

    metrics = Metrics("portal")

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI):
        port = metrics_port()
        page = MetricsPort(metrics, port) if port is not None else None
        if page is not None:
            await page.start()
        try:
            yield
        finally:
            if page is not None:
                await page.stop()
            await operations.stop_jobs(app)
            await services.aclose()

    app = FastAPI(title="planspor portal", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.add_middleware(BodyLimit, limit=MAX_FORM_BYTES)
    app.state.settings = settings
    app.state.services = services
    app.state.access = settings.access()
    app.state.codec = SessionCodec(settings.portal_session_secret, settings.portal_session_max_age)
    app.state.templates = templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.trim_blocks = templates.env.lstrip_blocks = True
    templates.env.globals.update(
        development=settings.development,
        analysts=ANALYSTS,
        operators=OPERATORS,
        knowledge_readers=KNOWLEDGE_READERS,
        cocreation_readers=COCREATION_READERS,
        plan_readers=PLAN_READERS,
    )
    vendor = vendor_files(settings)

    @app.middleware("http")
    async def session_and_headers(request: Request, call_next) -> Response:
        started = time.perf_counter()
        calls = timed_calls()
        path = request.url.path
        codec: SessionCodec = app.state.codec
        loaded = None if path.startswith(NO_SESSION) else codec.decode(request.cookies.get(COOKIE))
        request.state.session = loaded or Session()
        request.state.session_changed = loaded is None and not path.startswith(NO_SESSION)
        response = await call_next(request)
        if request.state.session_changed:
            response.set_cookie(
                COOKIE,
                codec.encode(request.state.session),
                max_age=settings.portal_session_max_age,
                httponly=True,
                samesite="strict",
                secure=settings.cookie_secure,
                path="/",
            )
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if not path.startswith("/assets/"):
            response.headers.setdefault("Cache-Control", "no-store")
        total = time.perf_counter() - started
        rendering = getattr(request.state, "render_seconds", 0.0)
        response.headers["Server-Timing"] = (
            f'api;dur={wall_seconds(calls) * 1000:.1f};desc="{len(calls)} calls", '
            f"render;dur={rendering * 1000:.1f}, total;dur={total * 1000:.1f}"
        )
        return response

    @app.exception_handler(context.SignInRequired)
    async def _sign_in(request: Request, error: context.SignInRequired) -> Response:
        if error.reason:
            request.state.session = Session()
            request.state.session_changed = True
        return context.sign_in_redirect(request, error.reason)

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, error: ServiceError) -> Response:
        try:
            context.raise_for(error)
        except context.SignInRequired as sign_in:
            return await _sign_in(request, sign_in)
        except context.PortalError as portal_error:
            return await _portal_error(request, portal_error)
        raise error

    @app.exception_handler(context.PortalError)
    async def _portal_error(request: Request, error: context.PortalError) -> Response:
        template = "partials/error.html" if context.is_htmx(request) else "error.html"
        return context.render(request, template, status_code=error.status, error=error)

    app.include_router(probes_router(lambda: service_checks(services)), include_in_schema=False)

    @app.get("/assets/vendor/{name}", include_in_schema=False)
    async def vendor_asset(name: str) -> Response:
        if name not in vendor:
            raise context.PortalError(404, "error.not_found")
        return FileResponse(vendor[name], headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/assets", StaticFiles(directory=HERE / "static"), name="assets")
    for module in (auth, overview, register, strategies, cocreation, analysis, operations):
        app.include_router(module.router)

    @app.exception_handler(404)
    async def _not_found(request: Request, _: Exception) -> Response:
        return context.render(request, "error.html", status_code=404, error=context.PortalError(404, "error.not_found"))

    install_metrics(app, metrics, app.state.access.require(Role.OPERATOR))  # the outermost middleware: last
    return app


def service_checks(services: Services) -> list[Check]:
    """Ready when each of the three services answers its liveness route (the pages need all three)."""

    def reachable(service: str):
        async def check() -> CheckResult:
            try:
                answer = await services.http(service).get("/healthz", timeout=1.5)
            except httpx.HTTPError as error:
                return f"{services.urls[service]} does not answer: {type(error).__name__}: {error}"
            return None if answer.status_code == 200 else f"{services.urls[service]}/healthz: {answer.status_code}"

        return check

    return [Check(service, reachable(service)) for service in sorted(services.urls)]
