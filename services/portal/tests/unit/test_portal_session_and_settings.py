"""The session cookie keeps the token secret and unaltered for a bounded time; the settings refuse
development secrets and tokens outside development."""

from __future__ import annotations

import pytest

from portal.session import Session, SessionCodec, csrf_ok
from portal.settings import Settings

pytestmark = pytest.mark.unit


def test_a_session_survives_the_cookie_and_nothing_else_does():
    codec = SessionCodec("secret one", max_age=60)
    session = Session(token="dev-auditor-token", role="auditor", name="revisjonen")
    cookie = codec.encode(session)
    assert "dev-auditor-token" not in cookie and codec.decode(cookie) == session
    assert codec.decode(cookie[:-4] + "AAAA") is None
    assert SessionCodec("secret two", max_age=60).decode(cookie) is None
    assert codec.decode("not a cookie") is None and codec.decode(None) is None


def test_a_session_ends_at_its_maximum_age(monkeypatch):
    codec = SessionCodec("secret", max_age=60)
    issued = 1_000_000
    monkeypatch.setattr("time.time", lambda: issued)
    cookie = codec.encode(Session(token="t", role="analyst", name="a"))
    monkeypatch.setattr("time.time", lambda: issued + 59)
    assert codec.decode(cookie) is not None
    monkeypatch.setattr("time.time", lambda: issued + 61)
    assert codec.decode(cookie) is None


def test_the_csrf_token_must_be_the_session_s_own():
    session = Session()
    assert csrf_ok(session, session.csrf)
    assert not csrf_ok(session, Session().csrf) and not csrf_ok(session, None) and not csrf_ok(session, "")


def test_the_portal_listens_on_8004_and_calls_the_services_where_make_run_puts_them():
    settings = Settings()
    assert (settings.portal_host, settings.portal_port) == ("127.0.0.1", 8004)
    assert settings.plan_registry_url.endswith(":8001") and settings.knowledge_url.endswith(":8003")
    assert settings.development and not settings.cookie_secure


def test_outside_development_a_placeholder_secret_or_a_development_token_stops_the_portal():
    real_tokens = '[{"sha256": "%s", "role": "auditor", "name": "revisjonen"}]' % ("a" * 64)
    with pytest.raises(ValueError, match="PORTAL_SESSION_SECRET"):
        Settings(planspor_env="production", planspor_tokens=real_tokens)
    with pytest.raises(ValueError, match="development tokens"):
        Settings(planspor_env="production", portal_session_secret="s" * 40)
    production = Settings(planspor_env="production", planspor_tokens=real_tokens, portal_session_secret="s" * 40)
    assert production.cookie_secure
