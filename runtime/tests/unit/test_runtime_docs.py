"""A service's /docs page loads Swagger UI from the service itself, never from a CDN."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from planspor_runtime.docs import SWAGGER_UI, front_end_package, serve_docs_locally

pytestmark = pytest.mark.unit


def swagger_ui_folder(tmp_path):
    folder = tmp_path / "node_modules" / SWAGGER_UI
    folder.mkdir(parents=True)
    (folder / "package.json").write_text('{"name": "swagger-ui-dist"}')
    (folder / "swagger-ui-bundle.js").write_text("window.SwaggerUIBundle = function () {};")
    (folder / "swagger-ui.css").write_text("body {}")
    (folder / "favicon-32x32.png").write_bytes(b"\x89PNG")
    (folder / "swagger-ui-bundle.js.map").write_text("{}")
    return folder


def test_the_docs_page_names_only_files_of_the_service_itself(tmp_path):
    app = serve_docs_locally(FastAPI(title="planspor test"), swagger_ui_folder(tmp_path))
    client = TestClient(app)
    page = client.get("/docs")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    addresses = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert addresses and all(a.startswith("/docs/assets/") for a in addresses), addresses
    assert "cdn." not in page.text and "https://" not in page.text
    assert '"validatorUrl": null' in page.text and '"url": "/openapi.json"' in page.text
    assert client.get("/docs/assets/swagger-ui-bundle.js").text.startswith("window.SwaggerUIBundle")
    assert client.get("/openapi.json").status_code == 200


def test_only_the_listed_swagger_files_are_served_and_redoc_is_gone(tmp_path):
    client = TestClient(serve_docs_locally(FastAPI(), swagger_ui_folder(tmp_path)))
    assert client.get("/docs/assets/swagger-ui-bundle.js.map").status_code == 404
    assert client.get("/docs/assets/package.json").status_code == 404
    assert client.get("/docs/assets/..%2Fpackage.json").status_code == 404
    assert client.get("/redoc").status_code == 404


def test_without_swagger_ui_installed_the_page_says_how_to_install_it(tmp_path):
    client = TestClient(serve_docs_locally(FastAPI(title="planspor test"), tmp_path / "nowhere"))
    page = client.get("/docs")
    assert page.status_code == 503
    assert "make setup" in page.text and "/openapi.json" in page.text and "https://" not in page.text


def test_the_docs_page_keeps_the_root_path_of_a_service_behind_a_proxy(tmp_path):
    client = TestClient(serve_docs_locally(FastAPI(), swagger_ui_folder(tmp_path)), root_path="/knowledge")
    page = client.get("/docs")
    assert 'href="/knowledge/docs/assets/swagger-ui.css"' in page.text
    assert '"url": "/knowledge/openapi.json"' in page.text


def test_an_npm_package_is_found_in_the_nearest_node_modules_above(tmp_path):
    swagger_ui_folder(tmp_path)
    deep = tmp_path / "services" / "x" / "src"
    deep.mkdir(parents=True)
    assert front_end_package(SWAGGER_UI, deep) == tmp_path / "node_modules" / SWAGGER_UI
    assert front_end_package("no-such-package", deep) is None
