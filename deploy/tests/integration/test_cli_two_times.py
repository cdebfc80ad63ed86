"""`planspor trace|plans|compliance --as-of DAY --known-at INSTANT` send both times to the knowledge service.
Its answers come from a local HTTP server on a free port that records what it was asked."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from planspor_cli.main import main

pytestmark = pytest.mark.integration

ANSWERS = {
    "/api/v1/plans/overdue-revision": {"as_of": "2024-01-01", "known_at": "x", "plans": []},
    "/api/v1/strategies/s-1/compliance": {"checks": [], "summary": {"pass": 0, "fail": 0, "unknown": 0}},
    "/api/v1/trace/back/decision/d-1": {
        "start": {"label": "Decision", "id": "d-1"},
        "as_of": "2024-01-01",
        "steps": [],
    },
}


@pytest.fixture
def knowledge() -> Iterator[tuple[str, list[tuple[str, dict]]]]:
    asked: list[tuple[str, dict]] = []

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            asked.append((url.path, parse_qs(url.query)))
            body = json.dumps(ANSWERS[url.path]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "command",
    [("plans", "--overdue"), ("compliance", "s-1"), ("trace", "decision", "d-1")],
)
def test_the_cli_sends_as_of_and_known_at(monkeypatch, tmp_path, knowledge, command):
    url, asked = knowledge
    times = ("--as-of", "2024-01-01", "--known-at", "2024-03-01T12:00:00Z", "--json")
    monkeypatch.setattr(
        "sys.argv", ["planspor", "--ids-file", str(tmp_path / "ids.json"), "--knowledge-url", url, *command, *times]
    )
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 0
    times_asked = [{k: v for k, v in params.items() if k not in ("limit", "cursor")} for _, params in asked]
    assert times_asked == [{"as_of": ["2024-01-01"], "known_at": ["2024-03-01T12:00:00Z"]}]
