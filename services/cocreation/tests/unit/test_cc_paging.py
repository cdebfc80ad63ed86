"""Co-creation's lists page (``planspor_runtime.paging``): processes, and a process's workshops, every item once.

A process only adds workshops (and inputs, plan needs, prioritisations), so the cursor is the id of
the last one served: one added meanwhile comes at the end. A cursor names its list: that of one
process's workshops is refused for another process, or for the list of processes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from cc_app_suite import Clock
from fastapi.testclient import TestClient

from cocreation.application import in_memory
from cocreation.bootstrap import build
from cocreation.settings import Settings
from planspor_runtime.access import DEVELOPMENT_TOKENS, Role
from planspor_runtime.paging import encode_cursor

pytestmark = pytest.mark.unit

F = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.FACILITATOR]}"}
A = {"Authorization": f"Bearer {DEVELOPMENT_TOKENS[Role.ANALYST]}"}
PROCESS = {
    "title": "Strategy 2024-2027",
    "purpose": "Prioritise",
    "election_period": "2024-2027",
    "roles_and_limits": "Officials decide",
    "all_officials_invited": True,
    "follow_up_days": 14,
}


@pytest.fixture
def client():
    app = in_memory(clock=Clock(datetime(2024, 3, 1, 9, tzinfo=UTC)))
    with TestClient(build(Settings(cocreation_store="memory"), application=app).api) as client:
        yield client


def post(client: TestClient, url: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = client.post(url, json=body, headers=F)
    assert response.status_code == status, response.text
    return dict(response.json())


def process_with_workshops(client: TestClient, count: int) -> tuple[str, list[str]]:
    pid = post(client, "/api/v1/processes", PROCESS)["process_id"]
    official = {
        "name": "Official",
        "kind": "elected_official",
        "role": "member",
        "party": "H",
        "body": "municipal_council",
    }
    post(client, f"/api/v1/processes/{pid}/participants", official)
    post(client, f"/api/v1/processes/{pid}/phase", {"to": "workshops"}, status=200)
    return pid, [workshop(client, pid, n) for n in range(count)]


def workshop(client: TestClient, pid: str, n: int) -> str:
    body = {"title": f"Seminar {n}", "on": "2024-03-01", "format": "in_person", "agenda": ["Plans"]}
    return str(post(client, f"/api/v1/processes/{pid}/workshops", body)["workshop_id"])


def every_page(client: TestClient, url: str, limit: int, grow: Any = None) -> tuple[list[str], list[int]]:
    response = client.get(url, params={"limit": limit}, headers=A)
    ids: list[str] = []
    sizes: list[int] = []
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        ids += [item.get("workshop_id") or item["process_id"] for item in body["items"]]
        sizes.append(len(body["items"]))
        link = re.fullmatch(r'<([^>]+)>; rel="next"', response.headers.get("Link", ""))
        assert (link is None) == (body["next"] is None)
        if link is None:
            return ids, sizes
        if grow is not None:
            grow()
            grow = None
        response = client.get(link.group(1), headers=A)


def test_a_processes_workshops_page_to_the_end_and_one_added_meanwhile_comes_last(client):
    pid, made = process_with_workshops(client, 5)
    other, _ = process_with_workshops(client, 1)

    def grow() -> None:
        made.append(workshop(client, pid, 99))

    ids, sizes = every_page(client, f"/api/v1/processes/{pid}/workshops", 2, grow)
    assert ids == made and sizes == [2, 2, 2]
    processes, sizes = every_page(client, "/api/v1/processes", 1)
    assert processes == [pid, other] and sizes == [1, 1]


def test_a_cursor_of_another_list_or_naming_no_item_is_422(client):
    pid, _ = process_with_workshops(client, 3)
    other, _ = process_with_workshops(client, 1)
    first = client.get(f"/api/v1/processes/{pid}/workshops", params={"limit": 1}, headers=A).json()
    for url in (f"/api/v1/processes/{other}/workshops", "/api/v1/processes", f"/api/v1/processes/{pid}/inputs"):
        refused = client.get(url, params={"cursor": first["next"]}, headers=A)
        assert refused.status_code == 422 and refused.json()["rule"] == "request.cursor", url
    nowhere = encode_cursor(f"processes/{pid}/workshops", ["not-a-workshop"])
    refused = client.get(f"/api/v1/processes/{pid}/workshops", params={"cursor": nowhere}, headers=A)
    assert refused.status_code == 422 and "names no item" in refused.json()["detail"]
    assert client.get("/api/v1/plans", params={"limit": 0}, headers=A).status_code == 422
