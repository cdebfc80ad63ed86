"""An application of the relay's test kind, on SQLite or PostgreSQL, in a database or schema of its own."""

from __future__ import annotations

import uuid

import pytest
from relay_app import make_application, postgres_env, sqlite_env


@pytest.fixture(params=["sqlite", "postgres"])
def store_env(request, tmp_path) -> dict[str, str]:
    if request.param == "sqlite":
        return sqlite_env(str(tmp_path / "goals.sqlite"))
    dsn = request.getfixturevalue("postgres_dsn")
    return postgres_env(dsn, f"relay_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def goals(store_env):
    app = make_application(store_env)
    yield app
    app.close()
