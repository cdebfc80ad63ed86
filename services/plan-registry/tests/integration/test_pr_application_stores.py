"""The application suite on SQLite and on PostgreSQL (real servers, own schema per test)."""

from uuid import uuid4

import psycopg
import pytest
from pr_app_suite import META, ApplicationSuite

from plan_registry.application import PlanRegistry

pytestmark = pytest.mark.integration


class TestApplicationOnSQLite(ApplicationSuite):
    @pytest.fixture(autouse=True)
    def _db(self, tmp_path):
        self.path = tmp_path / "plan-registry.sqlite"

    def make_app(self) -> PlanRegistry:
        return PlanRegistry(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(self.path)})

    def test_events_survive_a_restart(self, app):
        goal = app.define_goal(title="Mål", meta=META, idempotency_key="restart-key")
        app.close()
        reopened = self.make_app()
        try:
            assert reopened.state("goal", goal.id)["title"] == "Mål"
            assert reopened.define_goal(title="Mål", meta=META, idempotency_key="restart-key") == goal
        finally:
            reopened.close()


class TestApplicationOnPostgres(ApplicationSuite):
    @pytest.fixture(autouse=True)
    def _schema(self, postgres_dsn):
        self.dsn = postgres_dsn
        self.schema = f"pr_test_{uuid4().hex[:12]}"
        conninfo = psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in postgres_dsn.items()})
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self.schema}"')
        yield
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')

    def make_app(self) -> PlanRegistry:
        d = self.dsn
        return PlanRegistry(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": d["dbname"],
                "POSTGRES_HOST": d["host"],
                "POSTGRES_PORT": str(d["port"]),
                "POSTGRES_USER": d["user"],
                "POSTGRES_PASSWORD": d["password"],
                "POSTGRES_SCHEMA": self.schema,
            }
        )
