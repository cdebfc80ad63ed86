"""A service's ``/docs`` page with Swagger UI served by the service itself, never from a CDN.

FastAPI's own ``/docs`` and ``/redoc`` pages load their scripts, styles and favicon
from cdn.jsdelivr.net and fastapi.tiangolo.com: on a closed municipal network they stay
blank, and anywhere else every visit tells a third party who reads the API.
``serve_docs_locally(app)`` replaces them: ``/docs`` loads Swagger UI from
``/docs/assets/`` (the ``swagger-ui-dist`` package the repository pins in
``package-lock.json`` and ``make setup`` installs with ``npm ci``), with the online
validator badge off; ``/redoc`` is removed (ReDoc is not installed). Without the
package the page says how to install it, and ``/openapi.json`` still answers.

The document declares the bearer scheme and each route's roles (``planspor_runtime.openapi``),
so the page's **Authorize** button takes a token and sends it with every "Try it out"; the
token is kept in the browser's local storage until the page's "Logout" (``persistAuthorization``).

``front_end_package(name)`` finds an installed npm package; the portal serves its own
libraries (htmx, cytoscape.js) from the same place.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.routing import Route

from planspor_runtime.openapi import declare_security

SWAGGER_UI = "swagger-ui-dist"
SWAGGER_UI_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "favicon-16x16.png"})
"""The only files of swagger-ui-dist a service serves (not the package's whole folder)."""


def front_end_package(name: str, start: Path | None = None) -> Path | None:
    """``node_modules/<name>`` of the nearest folder above ``start`` (default: this checkout) that has it."""
    origins = [start] if start is not None else [Path(__file__).resolve().parent, Path.cwd().resolve()]
    for origin in origins:
        for folder in (origin, *origin.parents):
            candidate = folder / "node_modules" / name
            if (candidate / "package.json").is_file():
                return candidate
    return None


def serve_docs_locally(app: FastAPI, assets: Path | None = None) -> FastAPI:
    """Swap FastAPI's CDN-loaded ``/docs`` (and ``/redoc``) for a page whose every file the service serves."""
    docs_url = app.docs_url or "/docs"
    dropped = {docs_url, app.redoc_url}
    app.router.routes[:] = [r for r in app.router.routes if not (isinstance(r, Route) and r.path in dropped)]
    app.docs_url, app.redoc_url = docs_url, None
    folder = assets if assets is not None else front_end_package(SWAGGER_UI)

    async def docs_page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        if folder is None or not (folder / "swagger-ui-bundle.js").is_file():
            return HTMLResponse(_missing_page(app.title, root + (app.openapi_url or "")), status_code=503)
        return HTMLResponse(_docs_page(app, root, docs_url))

    async def docs_asset(name: str) -> FileResponse:
        if folder is None or name not in SWAGGER_UI_FILES or not (folder / name).is_file():
            raise HTTPException(404, detail=f"no Swagger UI file {name!r}")
        return FileResponse(folder / name, headers={"Cache-Control": "public, max-age=86400"})

    declare_security(app)
    app.add_api_route(docs_url, docs_page, methods=["GET"], include_in_schema=False)
    app.add_api_route(f"{docs_url}/assets/{{name}}", docs_asset, methods=["GET"], include_in_schema=False)
    return app


def _docs_page(app: FastAPI, root: str, docs_url: str) -> str:
    assets = f"{root}{docs_url}/assets"
    config = {
        "url": root + (app.openapi_url or "/openapi.json"),
        "dom_id": "#swagger-ui",
        "layout": "BaseLayout",
        "deepLinking": True,
        "showExtensions": True,
        "showCommonExtensions": True,
        "validatorUrl": None,
        "persistAuthorization": True,
        **(app.swagger_ui_parameters or {}),
    }
    if app.swagger_ui_oauth2_redirect_url:
        config["oauth2RedirectUrl"] = root + app.swagger_ui_oauth2_redirect_url
    # </ cannot end the script element from inside the JSON
    settings = json.dumps(config).replace("</", "<\\/")
    title = html.escape(f"{app.title} - Swagger UI")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
</head>
<body>
<main id="swagger-ui"></main>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script>
const settings = {settings};
window.ui = SwaggerUIBundle(Object.assign(settings, {{
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
}}));
</script>
</body>
</html>
"""


def _missing_page(title: str, openapi_url: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{html.escape(title)} - API documentation</title></head>
<body>
<main>
<h1>{html.escape(title)}: API documentation</h1>
<p>Swagger UI is not installed next to this service, and it is never loaded from a CDN.
Install it with <code>make setup</code> (which runs <code>npm ci</code> in the checkout).</p>
<p>The OpenAPI document is at <a href="{html.escape(openapi_url)}">{html.escape(openapi_url)}</a>.</p>
</main>
</body>
</html>
"""
