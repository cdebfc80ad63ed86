"""The browser tier: the portal as a real process (``python -m portal``) in front of the platform of real processes
(``tests/e2e/conftest.py``) with the Bærum scenario loaded through ``planspor_cli.demo``, and Debian's Chromium
driven by Playwright (``portal_browser``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from planspor_cli.client import Platform as Client
from planspor_cli.demo import Loader

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="module")
def baerum(platform) -> dict[str, str]:
    """The scenario's keys (``decision:adoption``, ``plan:P01``, ``input:IN07``, ...) and the services' ids."""
    client = Client(
        plan_registry_url=platform.urls["plan-registry"],
        cocreation_url=platform.urls["cocreation"],
        knowledge_url=platform.urls["knowledge"],
    )
    started = time.monotonic()
    report = Loader(client, ids_file=platform.ids_file, wait_timeout=180).run()
    print(f"Bærum scenario loaded and projected in {time.monotonic() - started:.1f} s")
    return report.ids


@pytest.fixture(scope="module")
def portal(platform, baerum, tmp_path_factory):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("portal") / "portal.log"
    env = {
        **os.environ,
        "PLANSPOR_ENV": "development",
        "PORTAL_HOST": "127.0.0.1",
        "PORTAL_PORT": str(port),
        "PLAN_REGISTRY_URL": platform.urls["plan-registry"],
        "COCREATION_URL": platform.urls["cocreation"],
        "KNOWLEDGE_URL": platform.urls["knowledge"],
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PLANSPOR_TOKENS", None)
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "portal"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the portal exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the portal did not answer /healthz in 30 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser(portal, tmp_path_factory):
    from portal_browser import CHROMIUM, CHROMIUM_ARGS, Browser, NetworkGuard

    if not Path(CHROMIUM).exists():
        pytest.fail(f"the browser tests need Debian's chromium at {CHROMIUM}: `make browser` installs it (as root)")
    from playwright.sync_api import sync_playwright

    guard = NetworkGuard()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
        )
        context.route("**/*", guard.handle)
        try:
            yield Browser(context, portal, guard)
        finally:
            context.close()
