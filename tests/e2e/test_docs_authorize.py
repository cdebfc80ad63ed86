"""The /docs page authorises with a token: Swagger UI in Debian's Chromium against plan-registry served by uvicorn.

Without a token "Try it out" gets 401; after **Authorize** with the planner's token the same request
carries ``Authorization: Bearer ...`` and gets 200; on the page opened again the token is still
there (``persistAuthorization``). Nothing is loaded from outside this machine.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from plan_registry.bootstrap import build
from plan_registry.settings import Settings

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
TOKEN = "dev-planner-token"


@pytest.fixture
def docs_url(tmp_path):
    service = build(
        Settings(
            plan_registry_store="sqlite",
            plan_registry_sqlite_path=str(tmp_path / "plan-registry.sqlite"),
            plan_registry_signing_key_file=str(tmp_path / "plan-registry.key"),
        )
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(service.api, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("plan-registry did not answer /healthz in 20 s")
        time.sleep(0.05)
    yield f"{url}/docs"
    server.should_exit = True
    thread.join(timeout=10)


def test_the_docs_page_authorises_with_a_token_and_keeps_it(docs_url, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser tests need Debian's chromium at {CHROMIUM}: `make browser` installs it (as root)")
    from playwright.sync_api import expect, sync_playwright

    outside: list[str] = []
    sent: list[tuple[str, str | None]] = []

    def guard(route, request) -> None:
        if request.url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        context.route("**/*", guard)
        try:
            page = context.new_page()
            page.on(
                "request",
                lambda r: sent.append((r.url, r.headers.get("authorization"))) if "/api/v1/goals" in r.url else None,
            )
            page.goto(docs_url)

            def try_listing_goals() -> None:
                operation = page.locator("#operations-goals-list_all_api_v1_goals_get")
                expect(operation.locator(".opblock-summary")).to_be_visible()
                if not operation.locator(".try-out__btn").is_visible():
                    operation.locator(".opblock-summary").click()
                button = operation.locator(".try-out__btn")
                if button.inner_text().strip().lower() == "try it out":
                    button.click()
                operation.locator(".execute").click()

            # 1. without a token: 401
            try_listing_goals()
            status = page.locator(
                "#operations-goals-list_all_api_v1_goals_get .live-responses-table tr.response .response-col_status"
            )
            expect(status.first).to_have_text("401", timeout=10_000)
            assert sent[-1][1] is None

            # 2. Authorize with the planner's token: the same request carries it and gets 200
            page.locator(".auth-wrapper .authorize").click()
            page.locator(".auth-container input").fill(TOKEN)
            page.locator(".auth-btn-wrapper .authorize").click()
            page.locator(".auth-btn-wrapper .btn-done, .modal-ux .close-modal").first.click()
            page.locator("#operations-goals-list_all_api_v1_goals_get .execute").click()
            expect(status.first).to_have_text("200", timeout=10_000)
            assert sent[-1][1] == f"Bearer {TOKEN}"

            # 3. on the page opened again the token is still there
            page.goto(docs_url)
            try_listing_goals()
            expect(status.first).to_have_text("200", timeout=10_000)
            assert sent[-1][1] == f"Bearer {TOKEN}"
        finally:
            context.close()
    assert outside == []
