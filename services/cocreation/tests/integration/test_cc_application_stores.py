"""The application suite on SQLite and on PostgreSQL (real servers, own schema per test)."""

from uuid import uuid4

import psycopg
import pytest
from cc_app_suite import ApplicationSuite

from cocreation.application import CocreationApplication

pytestmark = pytest.mark.integration


class TestApplicationOnSQLite(ApplicationSuite):
    @pytest.fixture(autouse=True)
    def _db(self, tmp_path):
        self.path = tmp_path / "cocreation.sqlite"

    def make_app(self, clock):
        return CocreationApplication(
            env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(self.path)}, clock=clock
        )

    def test_events_survive_a_restart(self, app, clock):
        process_id = self.start(app)
        self.enroll(app, process_id)
        app.close()
        reopened = self.make_app(clock)
        try:
            assert len(reopened.get_process(process_id)["participants"]) == 1
            assert [p["process_id"] for p in reopened.list_processes()] == [process_id]
        finally:
            reopened.close()


class TestApplicationOnPostgres(ApplicationSuite):
    @pytest.fixture(autouse=True)
    def _schema(self, postgres_dsn):
        self.dsn = postgres_dsn
        self.schema = f"cc_test_{uuid4().hex[:12]}"
        conninfo = psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in postgres_dsn.items()})
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self.schema}"')
        yield
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')

    def make_app(self, clock):
        d = self.dsn
        return CocreationApplication(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": d["dbname"],
                "POSTGRES_HOST": d["host"],
                "POSTGRES_PORT": str(d["port"]),
                "POSTGRES_USER": d["user"],
                "POSTGRES_PASSWORD": d["password"],
                "POSTGRES_SCHEMA": self.schema,
            },
            clock=clock,
        )
