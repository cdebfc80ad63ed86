"""The portal's pages through FastAPI's TestClient, against answers in the shape of the services' APIs
(``portal_fakes``): sign-in and the session cookie, CSRF, what each role is offered, errors, languages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from portal_fakes import DECISION, INPUT, KDP, NEW, REFUSAL, SAMFUNNSDEL, STRATEGY, WORKSHOP, FakePlatform

from planspor_runtime.access import DEVELOPMENT_TOKENS, Role
from portal.bootstrap import build
from portal.settings import Settings

pytestmark = pytest.mark.unit


@pytest.fixture
def fake() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
def client(fake):
    with TestClient(build(Settings(), transport=fake.transport()), follow_redirects=False) as client:
        yield client


def csrf_of(page) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)


def sign_in(client: TestClient, role: Role) -> str:
    token = csrf_of(client.get("/sign-in"))
    answer = client.post("/sign-in", data={"token": DEVELOPMENT_TOKENS[role], "csrf_token": token, "next": "/"})
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/"))


def navigation(page) -> list[str]:
    return re.findall(r'data-page="([a-z_]+)"', page.text)


def test_a_visitor_is_sent_to_sign_in_and_comes_back_to_the_page_asked_for(client):
    answer = client.get(f"/decisions/{DECISION}")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in?next=%2Fdecisions%2F")
    csrf = csrf_of(client.get("/sign-in"))
    back = client.post(
        "/sign-in",
        data={"token": DEVELOPMENT_TOKENS[Role.AUDITOR], "csrf_token": csrf, "next": f"/decisions/{DECISION}"},
    )
    assert back.headers["location"] == f"/decisions/{DECISION}"


def test_the_session_cookie_is_encrypted_httponly_and_samesite_strict(client):
    sign_in(client, Role.AUDITOR)
    cookie = next(c for c in client.cookies.jar if c.name == "planspor_session")
    assert DEVELOPMENT_TOKENS[Role.AUDITOR] not in cookie.value and "auditor" not in cookie.value
    csrf = csrf_of(client.get("/sign-in"))
    header = client.post("/sign-in", data={"token": DEVELOPMENT_TOKENS[Role.AUDITOR], "csrf_token": csrf}).headers[
        "set-cookie"
    ]
    assert "HttpOnly" in header and "SameSite=strict" in header.replace("Strict", "strict")


def test_an_unknown_token_is_refused_with_a_message_and_no_session(client):
    csrf = csrf_of(client.get("/sign-in"))
    answer = client.post("/sign-in", data={"token": "dev-mayor-token", "csrf_token": csrf})
    assert answer.status_code == 401 and "Nøkkelen er ukjent" in answer.text
    assert client.get("/").status_code == 303


def test_a_form_without_the_session_s_csrf_token_changes_nothing(client, fake):
    sign_in(client, Role.OPERATOR)
    assert client.post("/sign-in", data={"token": DEVELOPMENT_TOKENS[Role.ANALYST]}).status_code == 403
    assert (
        client.post(
            "/operations/rebuild", data={"origin": "stream", "confirm": "yes", "csrf_token": "forged"}
        ).status_code
        == 403
    )
    assert not any(path == "/api/v1/rebuild" for _, _, path, _ in fake.calls)
    assert 'data-role="operator"' in client.get("/operations").text


def test_the_development_tokens_are_listed_only_in_development(fake):
    with TestClient(build(Settings(), transport=fake.transport())) as client:
        assert "dev-auditor-token" in client.get("/sign-in").text
    tokens = '[{"sha256": "%s", "role": "auditor", "name": "revisjonen"}]' % ("0" * 64)
    production = Settings(planspor_env="production", planspor_tokens=tokens, portal_session_secret="x" * 40)
    with TestClient(build(production, transport=fake.transport())) as client:
        page = client.get("/sign-in")
        assert "dev-auditor-token" not in page.text and "dev-" not in page.text


@pytest.mark.parametrize(
    "role, offered, not_offered",
    [
        (
            Role.AUDITOR,
            {"overview", "plan_system", "plans", "decisions", "cocreation"},
            {"cypher", "explore", "operations"},
        ),
        (Role.ANALYST, {"cypher", "explore", "plans"}, {"operations"}),
        (Role.PLANNER, {"plans", "plan_system", "decisions"}, {"cypher", "explore", "operations", "cocreation"}),
        (Role.OPERATOR, {"overview", "operations"}, {"cypher", "plans"}),
        (Role.FACILITATOR, {"cocreation"}, {"cypher", "plans", "operations"}),
    ],
)
def test_the_role_decides_what_is_offered(client, role, offered, not_offered):
    sign_in(client, role)
    shown = set(navigation(client.get("/")))
    assert offered <= shown and not (not_offered & shown), shown


def test_a_planner_is_not_offered_the_cypher_console_nor_served_it(client, fake):
    csrf = sign_in(client, Role.PLANNER)
    assert client.get("/cypher").status_code == 403
    assert client.post("/cypher", data={"query": "MATCH (n) RETURN n", "csrf_token": csrf}).status_code == 403
    assert not any(path == "/api/v1/cypher" for _, _, path, _ in fake.calls)


def test_the_follow_up_page_shows_knowledge_s_follow_up_as_of_the_day_asked_about(client, fake):
    sign_in(client, Role.PLANNER)
    assert "follow_up" in navigation(client.get("/"))
    fake.calls.clear()
    page = client.get("/follow-up?as_of=2026-11-30&known_at=2026-12-01T08:00")
    assert page.status_code == 200
    assert ("/api/v1/follow-up", {"as_of": "2026-11-30", "known_at": "2026-12-01T08:00:00+00:00"}) in fake.params
    assert {service for service, *_ in fake.calls} == {"knowledge"}, "knowledge answers it all"
    assert re.findall(r'<tr data-item-id="([^"]+)" data-status="([a-z_]+)"', page.text) == [("item-1", "late")]
    assert '<li data-step="notice_of_start"><time datetime="2024-11-01">' in page.text
    assert re.findall(r'<li data-plan-id="([^"]+)"', page.text) == [NEW], "started outside the strategy since"
    assert 'data-amendment="1"' in page.text and "Ny temaplan for frivillighet" in page.text
    assert 'data-as-of="2026-11-30"' in page.text
    client.get(f"/follow-up?strategy_id={STRATEGY}")
    assert fake.calls[-1][2] == f"/api/v1/strategies/{STRATEGY}/follow-up"
    assert "data-no-strategy" in client.get("/follow-up?as_of=2024-06-18").text, "adopted on 19 June 2024"
    assert 'aria-invalid="true"' in client.get("/follow-up?as_of=19.06.2024").text
    future = client.get("/follow-up?as_of=2999-01-01")
    assert future.status_code == 200 and 'id="f-as-of-error"' in future.text, "knowledge's 422 marks the field"
    assert 'data-item-id="item-1"' in future.text, "and the page answers for today"


def test_the_decision_page_tells_the_road_from_the_seminar_in_time_order(client):
    sign_in(client, Role.AUDITOR)
    page = client.get(f"/decisions/{DECISION}")
    assert page.status_code == 200
    stages = re.findall(r'data-stage="([a-z_]+)"', page.text)
    assert stages == [
        "workshops",
        "inputs",
        "plan_needs",
        "prioritisation",
        "recommendation",
        "draft",
        "publication",
        "meeting",
        "amendments",
        "votes",
    ]
    assert 'data-label="Workshop" data-id="ws-1" data-effective="2022-04-29"' in page.text
    assert "29. april 2022" in page.text and "43 for, 8 mot, 0 blanke" in page.text
    assert "data-evidence-pack-pending" not in page.text
    assert f'href="/decisions/{DECISION}/evidence.zip"' in page.text and "data-evidence-pack" in page.text
    assert 'id="trace-graph-data"' in page.text


def test_a_planner_sees_the_decision_but_not_the_trace_only_knowledge_readers_get(client, fake):
    sign_in(client, Role.PLANNER)
    page = client.get(f"/decisions/{DECISION}")
    assert page.status_code == 200 and "data-stage" not in page.text
    assert "analytikere og revisorer" in page.text
    assert not any(service == "knowledge" for service, *_ in fake.calls)


def test_the_plan_system_draws_every_plan_once_with_the_unplaced_apart(client):
    sign_in(client, Role.AUDITOR)
    page = client.get("/plan-system")
    assert sorted(re.findall(r'data-plan-id="([^"]+)"', page.text)) == sorted(
        [KDP, NEW, "11111111-0000-4000-8000-000000000001"]
    )
    assert page.text.index(KDP) < page.text.index("Ikke plassert i hierarkiet") < page.text.index(NEW)
    assert "plan- og bygningsloven § 11-2" in page.text


def test_the_register_filters_by_the_knowledge_service_s_answers_as_of_a_date(client, fake):
    sign_in(client, Role.AUDITOR)
    page = client.get("/plans", params={"outside": "1", "as_of": "2024-12-31"})
    assert re.findall(r'<tr data-plan-id="([^"]+)"', page.text) == [NEW]
    assert ("knowledge", "GET", "/api/v1/plans/outside-strategy", Role.AUDITOR) in fake.calls
    assert "31. desember 2024" in page.text
    overdue = client.get("/plans", params={"overdue": "1"}, headers={"HX-Request": "true"})
    assert overdue.text.lstrip().startswith('<div id="plan-results"')
    assert re.findall(r'<tr data-plan-id="([^"]+)"', overdue.text) == [KDP]


def test_the_register_as_of_a_day_shows_each_plan_s_status_then_and_leaves_out_plans_not_yet_begun(client):
    sign_in(client, Role.PLANNER)
    page = client.get("/plans", params={"as_of": "2019-06-01"})
    rows = re.findall(r'<tr data-plan-id="([^"]+)">.*?<td data-status="([a-z_]+)"', page.text, re.S)
    assert sorted(rows) == sorted([(SAMFUNNSDEL, "in_force"), (KDP, "in_preparation")])
    assert 'id="f-as-of"' in page.text, "a planner picks the day too"
    then = client.get("/plans", params={"as_of": "2019-06-01", "status": "in_preparation"})
    assert re.findall(r'<tr data-plan-id="([^"]+)"', then.text) == [KDP]
    today = client.get("/plans")
    assert len(re.findall(r"<tr data-plan-id=", today.text)) == 3


def test_the_register_sends_as_of_as_a_day_and_known_at_only_when_it_is_filled_in(client, fake):
    sign_in(client, Role.AUDITOR)
    client.get("/plans", params={"as_of": "2024-12-31"})
    sent = dict(fake.params)["/api/v1/plans/not-anchored"]
    assert sent == {"as_of": "2024-12-31", "limit": "1000"}
    fake.params.clear()
    page = client.get("/plans", params={"as_of": "2024-12-31", "known_at": "2025-01-15T08:30"})
    assert 'id="f-known-at"' in page.text and 'value="2025-01-15T08:30"' in page.text
    assert dict(fake.params)["/api/v1/plans/overdue-revision"] == {
        "as_of": "2024-12-31",
        "known_at": "2025-01-15T08:30:00+00:00",
        "limit": "1000",
    }
    wrong = client.get("/plans", params={"known_at": "i går"})
    assert wrong.status_code == 200 and 'id="f-known-at-error"' in wrong.text
    sign_in(client, Role.PLANNER)
    assert 'id="f-known-at"' not in client.get("/plans").text, "a planner's page asks knowledge nothing"


def test_a_date_that_is_not_a_date_is_said_beside_its_field(client):
    sign_in(client, Role.AUDITOR)
    page = client.get("/plans", params={"as_of": "30.06.2024"})
    assert page.status_code == 200 and 'aria-invalid="true"' in page.text and "åååå-mm-dd" in page.text


def test_an_input_page_says_in_words_what_became_of_it(client):
    sign_in(client, Role.AUDITOR)
    page = client.get(f"/inputs/{INPUT}")
    assert "Innspillet ble tatt med i den vedtatte planstrategien." in page.text
    assert "rangerte det som nummer 1" in page.text and "Vedtatt av kommunestyret 19. juni 2024." in page.text
    assert f'href="/decisions/{DECISION}"' in page.text


def test_a_workshop_page_counts_who_attended_by_party_and_body(client):
    sign_in(client, Role.FACILITATOR)
    page = client.get(f"/workshops/{WORKSHOP}")
    assert page.status_code == 200 and 'data-attendees="3"' in page.text
    assert "Folkevalgte etter parti" in page.text and "formannskapet" in page.text
    assert f'href="/inputs/{INPUT}"' in page.text


def test_cypher_results_are_a_table_a_csv_and_refusals_are_shown_with_their_reason(client):
    csrf = sign_in(client, Role.ANALYST)
    result = client.post(
        "/cypher",
        data={"query": "MATCH (p:Plan) RETURN p.title AS plan", "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert result.status_code == 200 and 'data-rows="1"' in result.text and '<th scope="col">plan</th>' in result.text
    refused = client.post("/cypher", data={"query": "MATCH (n) DETACH DELETE n", "csrf_token": csrf})
    assert refused.status_code == 400 and REFUSAL in refused.text and 'role="alert"' in refused.text
    csv = client.post("/cypher.csv", data={"query": "MATCH (p:Plan) RETURN p", "csrf_token": csrf})
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    assert csv.content.decode("utf-8-sig").splitlines() == ["plan,goals", '"Kommunedelplan, klima","[""a"", ""b""]"']
    bad = client.post("/cypher", data={"query": "RETURN $x", "params": "[1]", "csrf_token": csrf})
    assert bad.status_code == 400 and "JSON-objekt" in bad.text


def test_an_operator_sees_dead_letters_and_a_refused_replay_with_its_reason(client):
    csrf = sign_in(client, Role.OPERATOR)
    page = client.get("/operations")
    assert 'data-dead-letter="cocreation:7"' in page.text and "payload invalid" in page.text
    replay = client.post("/operations/dead-letters/cocreation:7/replay", data={"csrf_token": csrf})
    assert replay.status_code == 409 and "still cannot be applied" in replay.text


def test_a_rebuild_needs_its_confirmation(client, fake):
    csrf = sign_in(client, Role.OPERATOR)
    refused = client.post("/operations/rebuild", data={"origin": "stream", "csrf_token": csrf})
    assert refused.status_code == 400 and not any(p == "/api/v1/rebuild" for _, _, p, _ in fake.calls)


def test_a_service_that_cannot_be_reached_is_named_and_the_rest_of_the_page_stays(client, fake):
    sign_in(client, Role.AUDITOR)
    fake.down.add("knowledge")
    page = client.get(f"/decisions/{DECISION}")
    assert page.status_code == 200 and "Kunnskapstjenesten svarte ikke" in page.text
    fake.down.add("plan-registry")
    assert "plan-registry" in client.get(f"/decisions/{DECISION}").text


def test_an_unknown_id_is_the_portal_s_404(client):
    sign_in(client, Role.AUDITOR)
    assert client.get("/plans/not-a-uuid").status_code == 404
    assert client.get(f"/strategies/{STRATEGY[:-1]}0").status_code == 404
    assert client.get("/no/such/page").status_code == 404


def test_english_is_a_choice_that_changes_the_language_of_the_page(client):
    sign_in(client, Role.AUDITOR)
    assert '<html lang="nb">' in client.get("/").text
    chosen = client.get("/language/en", params={"next": "/plan-system"})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/plan-system"
    page = client.get("/plan-system")
    assert '<html lang="en">' in page.text and "The plan hierarchy" in page.text and "Planhierarkiet" not in page.text
    assert client.get("/language/en", params={"next": "https://example.org/"}).headers["location"] == "/"


def test_every_page_forbids_loading_from_elsewhere_and_reports_its_api_time(client):
    sign_in(client, Role.AUDITOR)
    page = client.get("/")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert re.fullmatch(
        r'api;dur=[\d.]+;desc="\d+ calls", render;dur=[\d.]+, total;dur=[\d.]+', page.headers["server-timing"]
    )


def test_the_integrity_section_shows_each_role_what_the_api_tells_it(client):
    sign_in(client, Role.OPERATOR)
    operator = client.get("/integrity", headers={"HX-Request": "true"}).text
    assert 'data-integrity="dead-letters">1' in operator and "plan-registry: posisjon 369" in operator
    assert "vises for analytikere" in operator
    sign_in(client, Role.ANALYST)
    analyst = client.get("/integrity").text
    assert "plan-registry: 369 hendelser, 0 brudd" in analyst and "vises for driftsrollen" in analyst
    assert "over 862 noder og 1\u00a0890 relasjoner" in analyst


def test_a_read_whose_kept_alive_connection_the_server_closed_is_asked_again_once(client, fake):
    sign_in(client, Role.AUDITOR)
    fake.drops = 1
    page = client.get(f"/inputs/{INPUT}")
    assert "Innspillet ble tatt med i den vedtatte planstrategien." in page.text
    assert fake.drops == 0


def test_a_command_is_never_sent_twice_when_its_connection_drops(client, fake):
    csrf = sign_in(client, Role.OPERATOR)
    fake.drops = 1
    client.post("/operations/dead-letters/cocreation:7/replay", data={"csrf_token": csrf})
    assert sum(1 for _, method, path, _ in fake.calls if method == "POST" and path.endswith("/replay")) == 1


def test_the_integrity_section_shows_each_source_s_signed_head_and_whether_its_signature_holds(client, fake):
    sign_in(client, Role.AUDITOR)
    page = client.get("/integrity").text
    heads = dict(re.findall(r'data-head="([a-z-]+)" data-head-state="([a-z]+)"', page))
    assert heads == {"plan-registry": "verified", "cocreation": "none"}
    assert 'data-head-size="42"' in page and "signaturen holder" in page
    fake.forged_head = True
    forged = client.get("/integrity").text
    assert dict(re.findall(r'data-head="([a-z-]+)" data-head-state="([a-z]+)"', forged))["plan-registry"] == "unsigned"
    assert "signaturen holder ikke" in forged
    sign_in(client, Role.PLANNER)
    assert "data-head=" not in client.get("/integrity").text, "the sources' logs are not a planner's to read"
