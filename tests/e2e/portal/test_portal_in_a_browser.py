"""The portal in a real browser, against the real services with the Bærum scenario loaded.

An auditor follows the adoption decision back to the council seminar of 29 April 2022; the plan system draws all
41 plans; the register answers as of a day; the follow-up lists every item of the adopted strategy with its status;
an analyst asks the graph in Cypher, downloads the answer and is refused a write; a planner is not offered the
console; every label changes with the language; an operator rebuilds the graph. axe-core checks every page visited,
in bokmål and in English (no serious or critical violation), each page is saved as a screenshot under
var/portal/screenshots, and no page loads anything from outside the machine.
"""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from playwright.sync_api import expect
from portal_browser import SCREENSHOTS, Labels, on_this_machine

from planspor_verify.evidence import read_pack, verify_pack
from planspor_verify.note import VerifierKey

pytestmark = pytest.mark.e2e

SEMINAR = "Kommunestyreseminar om planstrategi og plansystem"


def accessible(browser) -> None:
    found = [f"{f.page}: {f.rule} ({f.impact}) {f.help} at {f.targets}" for f in browser.findings]
    assert not found, "\n".join(found)


def test_01_an_auditor_signs_in_with_a_token_and_is_shown_the_role(browser):
    browser.visit("/", "sign-in")
    assert browser.page.url.startswith(browser.base + "/sign-in")
    assert browser.page.locator("[data-sign-in-as=auditor]").count() == 1, "development tokens are listed"
    browser.sign_in("auditor")
    assert browser.page.locator("[data-role=auditor]").inner_text() == "revisor"
    offered = set(browser.page.locator("nav a[data-page]").evaluate_all("links => links.map(a => a.dataset.page)"))
    assert {"overview", "plan_system", "plans", "strategies", "follow_up", "decisions", "cocreation"} <= offered
    assert not offered & {"cypher", "explore", "operations"}
    browser.checked("overview")
    assert browser.page.locator("[data-count=plans] dd").inner_text() == "41"
    accessible(browser)


def test_02_the_adoption_decision_s_timeline_reaches_the_council_seminar_of_29_april_2022(browser, baerum):
    browser.sign_in("auditor")
    browser.visit("/decisions", "decisions")
    browser.page.locator(f"tr[data-decision-id='{baerum['decision:adoption']}'] a").click()
    browser.page.wait_for_load_state("networkidle")
    browser.checked("decision")
    seminar = browser.page.locator(f"li.timeline-entry[data-label=Workshop][data-id='{baerum['workshop:W1']}']")
    assert seminar.get_attribute("data-effective") == "2022-04-29"
    assert SEMINAR in seminar.inner_text() and "29. april 2022" in seminar.inner_text()
    stages = browser.page.locator("[data-stage]").evaluate_all("items => items.map(i => i.dataset.stage)")
    assert stages[:2] == ["process", "workshops"] and stages[-3:] == ["meeting", "amendments", "votes"]
    assert browser.page.locator(".graph canvas").count() > 0, "the trace is drawn as a graph"
    accessible(browser)


def test_03_the_auditor_downloads_the_evidence_pack_of_the_decision(browser, baerum):
    browser.sign_in("auditor")
    browser.goto(f"/decisions/{baerum['decision:adoption']}")
    assert browser.page.locator("[data-evidence-pack-pending]").count() == 0
    with browser.page.expect_download(timeout=60_000) as download:
        browser.page.locator("a[data-evidence-pack]").click()
    assert download.value.suggested_filename == f"evidence-decision-{baerum['decision:adoption']}.zip"
    pack = read_pack(download.value.path())
    assert pack.subject_id == baerum["decision:adoption"]
    keys = [VerifierKey.parse(k["vkey"]) for part in pack.sources for k in part.keys]
    assert verify_pack(pack, keys).ok, "the pack does not hold together (planspor-verify with its own keys)"
    browser.visit("/integrity", "integrity")
    head = browser.page.locator("[data-integrity=signed-heads] li[data-head=plan-registry]")
    assert head.get_attribute("data-head-state") == "verified", "the head that covers the pack is signed"
    assert int(head.get_attribute("data-head-size")) > 0
    assert browser.page.locator("[data-head-state=unsigned]").count() == 0
    accessible(browser)


def test_04_the_plan_system_page_draws_the_baerum_hierarchy_with_all_41_plans(browser, baerum):
    browser.sign_in("auditor")
    browser.visit("/plan-system", "plan-system")
    drawn = browser.page.locator(".hierarchy li[data-plan-id]").evaluate_all(
        "items => items.map(i => i.dataset.planId)"
    )
    plans = {value for key, value in baerum.items() if key.startswith("plan:")}
    assert len(plans) == 41 and len(drawn) == 41 and set(drawn) == plans
    root = browser.page.locator(f".tree-root > li[data-plan-id='{baerum['plan:P01']}']")
    assert root.get_attribute("data-plan-type") == "kommuneplan_samfunnsdel"
    assert root.locator("li[data-plan-type=kommunedelplan]").count() >= 5
    assert browser.page.locator(".plan-type-entry[data-plan-type=kommunedelplan]").inner_text().count("§ 11-1") == 1
    assert browser.page.locator("figure.chart svg rect.bar").count() >= 10
    accessible(browser)


def test_05_the_register_filters_the_plans_and_a_plan_tells_its_history(browser, baerum):
    browser.sign_in("auditor")
    browser.visit("/plans", "plans")
    assert browser.page.locator("#plan-table tbody tr[data-plan-id]").count() == 41
    browser.page.locator("#f-outside").check()
    expect(browser.page.locator("[data-shown]")).to_have_attribute("data-shown", "5")
    shown = set(browser.page.locator("#plan-table tr[data-plan-id]").evaluate_all("r => r.map(x => x.dataset.planId)"))
    assert baerum["plan:P41"] in shown and baerum["plan:P24"] in shown and baerum["plan:P40"] not in shown
    assert "outside=1" in browser.page.url, "the filtered register has an address of its own"
    browser.checked("plans-outside-strategy")
    browser.goto("/plans?as_of=2024-06-18")
    before = set(browser.page.locator("#plan-table tr[data-plan-id]").evaluate_all("r => r.map(x => x.dataset.planId)"))
    assert baerum["plan:P01"] in before and not before & {baerum[f"plan:P{n}"] for n in (39, 40, 41)}, (
        "the register on the day before the adoption has none of the plans proposed after it"
    )
    browser.visit(f"/plans/{baerum['plan:P06']}", "plan")
    steps = browser.page.locator("ol.timeline li.timeline-entry")
    assert steps.count() >= 5 and "Registrert" in steps.last.inner_text()
    accessible(browser)


def test_06_a_strategy_shows_its_items_with_their_origin_the_compliance_table_and_its_trace(browser, baerum):
    browser.sign_in("auditor")
    browser.visit(f"/strategies/{baerum['strategy']}", "strategy")
    checks = browser.page.locator("#compliance-table tr[data-check]")
    assert checks.count() == 5 and browser.page.locator("#compliance-table tr[data-status=fail]").count() == 0
    assert "PBL §10-1" in browser.page.locator("#compliance-table").inner_text()
    assert "kommunestyrets endringsforslag" in browser.page.locator("#items-title + div table").inner_text()
    assert browser.page.locator("[data-timeline] li.timeline-entry").count() > 10
    accessible(browser)


def test_06b_the_follow_up_page_lists_every_item_of_the_adopted_strategy_with_its_status(browser, baerum, platform):
    auditor = {"Authorization": "Bearer dev-auditor-token"}
    strategy = httpx.get(
        f"{platform.urls['plan-registry']}/api/v1/strategies/{baerum['strategy']}", headers=auditor, timeout=30
    ).json()
    items = strategy["items"].values() if isinstance(strategy["items"], dict) else strategy["items"]
    browser.sign_in("auditor")
    browser.visit("/follow-up", "follow-up")
    assert browser.page.locator("[data-strategy-id]").get_attribute("data-strategy-id") == baerum["strategy"]
    rows = browser.page.locator("#follow-up-table tbody tr[data-item-id]").evaluate_all(
        "rows => rows.map(r => [r.dataset.itemId, r.dataset.status])"
    )
    status = dict(rows)
    assert len(rows) == len(status) == len(items) >= 9 and set(status) == {i["item_id"] for i in items}
    assert set(status.values()) <= {"adopted", "continued", "late", "planprogram", "work_started", "not_started"}
    assert status[baerum["item:P01"]] == "continued", "the samfunnsdel is continued unchanged"
    amendment_row = browser.page.locator(f"tr[data-item-id='{baerum['item:amendment']}']")
    assert amendment_row.locator(f"a[href='/plans/{baerum['plan:P40']}']").count() == 1, "the plan started for it"
    assert amendment_row.locator("[data-step=proposed] time").get_attribute("datetime") == "2024-10-02"
    outside = browser.page.locator("#follow-up-outside li[data-plan-id]").evaluate_all(
        "l => l.map(x => x.dataset.planId)"
    )
    assert outside == [baerum["plan:P41"]], "only the AI strategy was started outside it after 19 June 2024"
    assert "inkludering i idretten" in browser.page.locator("#follow-up-amendments li[data-amendment='1']").inner_text()
    browser.visit("/follow-up?as_of=2024-12-31", "follow-up-2024")
    assert browser.page.locator(f"tr[data-item-id='{baerum['item:N1']}']").get_attribute("data-status") == (
        "work_started"
    ), "the plan system's description was proposed on 4 September 2024; its timing (2024) is not over"
    assert browser.page.locator("#follow-up-outside li[data-plan-id]").count() == 1
    browser.goto("/follow-up?as_of=2024-06-18")
    then = browser.page.locator("[data-strategy-id]")
    assert then.get_attribute("data-strategy-id") != baerum["strategy"], "adopted on 19 June 2024, not before"
    assert "Planstrategi 2020-2023" in then.inner_text(), "the day before, the previous strategy was in force"
    browser.goto("/follow-up?as_of=2016-01-01")
    assert browser.page.locator("[data-no-strategy]").count() == 1, "none adopted before 15 June 2016"
    accessible(browser)


def test_07_an_input_says_in_plain_words_what_became_of_it_and_the_workshop_who_was_there(browser, baerum):
    browser.sign_in("auditor")
    browser.visit(f"/inputs/{baerum['input:IN07']}", "input")
    assert browser.page.locator("[data-outcome]").get_attribute("data-outcome") == "adopted"
    adopted = browser.page.locator("[data-milestone=adoption][data-state=done]")
    assert adopted.count() >= 1 and "19. juni 2024" in adopted.first.inner_text()
    browser.page.locator("a[href^='/workshops/']").first.click()
    browser.page.wait_for_load_state("networkidle")
    browser.checked("workshop")
    assert SEMINAR in browser.page.locator("h1").inner_text()
    assert int(browser.page.locator("[data-attendees]").get_attribute("data-attendees")) == 11
    browser.visit("/cocreation", "cocreation")
    accessible(browser)


def test_08_switching_to_english_changes_every_label_on_the_page(browser, baerum):
    labels = Labels.load()
    browser.sign_in("auditor")
    pages = [
        ("/", "overview"),
        ("/plan-system", "plan-system"),
        ("/plans", "plans"),
        (f"/strategies/{baerum['strategy']}", "strategy"),
        ("/follow-up", "follow-up"),
        (f"/decisions/{baerum['decision:adoption']}", "decision"),
        (f"/inputs/{baerum['input:IN07']}", "input"),
        (f"/workshops/{baerum['workshop:W1']}", "workshop"),
    ]
    in_bokmål = {}
    for path, name in pages:
        browser.goto(path)
        assert browser.page.locator("html").get_attribute("lang") == "nb"
        in_bokmål[name] = labels.found("nb", browser.texts())
        english_in_bokmål = labels.found("en", browser.texts())
        assert len(in_bokmål[name]) >= 10 and not english_in_bokmål, (name, sorted(english_in_bokmål))
    try:
        browser.choose_language("en")
        assert browser.page.url == browser.base + pages[-1][0], "the page stays, in the other language"
        for path, name in pages:
            browser.goto(path)
            assert browser.page.locator("html").get_attribute("lang") == "en"
            left = labels.found("nb", browser.texts())
            assert not left, f"{name}: bokmål left in English: {sorted(left)}"
            missing = labels.untranslated(in_bokmål[name], labels.found("en", browser.texts()))
            assert not missing, f"{name}: labels not in English: {sorted(missing)}"
            browser.checked(f"{name}-en")
            if name == "overview":
                browser.picture("main", SCREENSHOTS / "overview.png")
            if name == "decision":
                browser.picture("section:has(#timeline-title)", SCREENSHOTS / "decision-timeline.png")
    finally:
        if browser.page.locator("html").get_attribute("lang") != "nb":
            browser.choose_language("nb")
    assert browser.page.locator("html").get_attribute("lang") == "nb"
    accessible(browser)


def test_09_an_analyst_runs_a_cypher_query_downloads_the_csv_and_a_write_query_is_refused_inline(browser):
    browser.sign_in("analyst")
    browser.visit("/cypher", "cypher")
    query = "MATCH (p:Plan) RETURN p.title AS plan, p.plan_type AS type ORDER BY plan"
    browser.page.fill("#query", query)
    browser.page.locator("#cypher-form .buttons button").first.click()
    browser.page.wait_for_selector("#cypher-table")
    assert browser.page.locator("[data-rows]").get_attribute("data-rows") == "41"
    assert browser.page.locator("#cypher-table tbody tr").count() == 41
    browser.checked("cypher-result")
    with browser.page.expect_download() as download:
        browser.page.locator("#cypher-form button[formaction='/cypher.csv']").click()
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["plan", "type"] and len(rows) == 42 and download.value.suggested_filename.endswith(".csv")
    browser.page.fill("#query", "MATCH (n) DETACH DELETE n")
    browser.page.locator("#cypher-form .buttons button").first.click()
    refusal = browser.page.locator("#cypher-result [role=alert]")
    refusal.wait_for()
    assert "refused DETACH" in refusal.inner_text() and "read-only" in refusal.inner_text()
    assert browser.page.url == browser.base + "/cypher", "refused in place"
    browser.checked("cypher-refused")
    accessible(browser)


def test_10_the_analyst_explores_a_node_s_neighbourhood_and_expands_it_by_click(browser, baerum):
    browser.sign_in("analyst")
    browser.visit(f"/explore?label=Decision&id={baerum['decision:adoption']}", "explore")
    assert browser.page.locator("#neighbourhood tr[data-neighbour]").count() >= 3
    before = browser.page.evaluate("document.querySelectorAll('#neighbourhood tr[data-neighbour]').length")
    browser.page.locator("#neighbourhood tr[data-neighbour] a").first.click()
    browser.page.wait_for_load_state("networkidle")
    assert "label=" in browser.page.url and browser.page.locator("#neighbourhood").count() == 1
    assert browser.page.evaluate("document.querySelectorAll('#neighbourhood tr[data-neighbour]').length") != 0
    answer = browser.page.evaluate(
        "(id) => fetch('/explore/neighbourhood.json?label=Decision&id=' + id).then(r => r.json())",
        baerum["decision:adoption"],
    )
    assert answer["count"] == before and any(e["data"].get("label") == "ADOPTED" for e in answer["elements"])
    browser.visit(f"/explore?label=Strategy&id={baerum['strategy']}&labels=StrategyItem", "explore-filtered")
    kinds = browser.page.locator("#neighbourhood tr[data-neighbour] th a").all_inner_texts()
    assert kinds and all(k.startswith("Punkt i strategien") for k in kinds)
    accessible(browser)


def test_11_a_planner_s_token_is_not_offered_the_cypher_console(browser):
    browser.sign_in("planner")
    assert browser.page.locator("[data-role=planner]").count() == 1
    assert browser.page.locator("nav a[data-page=cypher]").count() == 0
    assert browser.page.locator("nav a[data-page=explore]").count() == 0
    assert browser.visit("/cypher", "cypher-planner").status == 403
    assert browser.page.locator("[data-error='error.role']").count() == 1
    accessible(browser)


def test_12_an_operator_rebuilds_the_graph_with_progress_and_gets_the_same_checksum(browser, platform):
    operator = {"Authorization": "Bearer dev-operator-token"}
    before = httpx.get(f"{platform.urls['knowledge']}/api/v1/checksum", headers=operator, timeout=30).json()
    browser.sign_in("operator")
    browser.visit("/operations", "operations")
    assert browser.page.locator("[data-dead-letters='0']").count() == 1
    browser.page.locator("#rebuild-confirm").check()
    browser.page.locator("form[action='/operations/rebuild'] button").click()
    browser.page.wait_for_selector("[data-rebuild=done]", timeout=180_000)
    assert browser.page.locator("[data-checksum]").inner_text() == before["checksum"]
    browser.checked("operations-rebuilt")
    accessible(browser)


def test_13_the_services_api_pages_serve_swagger_ui_themselves(browser, platform):
    for name, url in platform.urls.items():
        browser.page.goto(f"{url}/docs")
        title = browser.page.locator(".swagger-ui .info .title")
        title.wait_for(timeout=30_000)
        assert "planspor" in title.inner_text(), name


def test_14_no_page_loaded_anything_from_outside_the_machine(browser):
    assert on_this_machine("http://127.0.0.1:8004/") and on_this_machine("http://[::1]:8001/docs")
    assert not on_this_machine("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css")
    assert not on_this_machine("http://192.168.1.10/")
    assert len(browser.visited) >= 15 and browser.guard.allowed > 100
    assert browser.axe_rules_passed > 100, "axe-core ran on the pages"
    print(
        f"\n{len(browser.visited)} pages checked by axe-core in {browser.axe_seconds:.1f} s; "
        f"{browser.guard.allowed} requests, all to this machine"
    )
    assert browser.guard.blocked == []
