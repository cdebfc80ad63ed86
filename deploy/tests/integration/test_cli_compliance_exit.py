"""`planspor compliance` exits 1 when a check fails, 0 when none does (README, "exit codes"), with and
without --json. The knowledge service's answer is served by a local HTTP server on a free port."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from planspor_cli.main import main

pytestmark = pytest.mark.integration


def report(fail: int) -> dict:
    checks = [{"id": "published_30_days_before", "paragraph": "PBL §10-1", "status": "pass", "detail": ""}]
    checks += [{"id": "adopted_within_a_year", "paragraph": "PBL §10-1", "status": "fail", "detail": "late"}] * fail
    return {"checks": checks, "summary": {"pass": 1, "fail": fail, "unknown": 0}}


@pytest.fixture
def knowledge() -> Iterator[str]:
    """Answers /api/v1/strategies/<fails>/compliance with a report of that many failed checks."""

    class Compliance(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fails = int(self.path.split("/")[4])
            body = json.dumps(report(fails)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Compliance)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def exit_code(monkeypatch, tmp_path, *args: str) -> int:
    monkeypatch.setattr("sys.argv", ["planspor", "--ids-file", str(tmp_path / "ids.json"), *args])
    with pytest.raises(SystemExit) as done:
        main()
    return done.value.code


@pytest.mark.parametrize("as_json", [(), ("--json",)])
def test_a_failed_check_exits_1_and_none_failed_exits_0(monkeypatch, tmp_path, knowledge, capsys, as_json):
    url = ("--knowledge-url", knowledge)
    assert exit_code(monkeypatch, tmp_path, *url, "compliance", "1", *as_json) == 1
    assert "fail" in capsys.readouterr().out
    assert exit_code(monkeypatch, tmp_path, *url, "compliance", "0", *as_json) == 0
