"""A form over the portal's limit is refused with 413 before it is read; one under it is read as before."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from portal_fakes import FakePlatform

from portal.bootstrap import MAX_FORM_BYTES, build
from portal.settings import Settings

pytestmark = pytest.mark.unit


def test_a_form_over_the_limit_is_413_and_one_under_it_is_read():
    with TestClient(build(Settings(), transport=FakePlatform().transport()), follow_redirects=False) as client:
        big = client.post("/sign-in", data={"token": "x" * MAX_FORM_BYTES})
        assert big.status_code == 413
        assert big.headers["content-type"] == "application/problem+json"
        assert big.json()["rule"] == "request.body_too_large"
        assert big.headers["X-Frame-Options"] == "DENY", "the portal's headers are on the refusal too"
        small = client.post("/sign-in", data={"token": "x" * 100})
        assert small.status_code != 413
