"""The rules behind the answers, apart from the graph: no Neo4j here, so they are unit-tested without a server.

- the fate of a plan need and of the input it came from (``judge_need``, ``judge_input``);
- the legal checks of a plan strategy (``assess_compliance``: PBL §10-1, folkehelseloven §5, §6);
- the calendar periods of a count (``periods``).

The queries fetch the facts with Cypher and hand them here as plain values; the shapes of
those facts are the ``TypedDict`` classes below.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Literal, NotRequired, TypedDict

from knowledge.errors import QueryRefused

# --- the fate of a plan need and of an input ----------------------------------------------------------

Outcome = Literal["adopted", "pending", "dropped"]


class PrioritisationFact(TypedDict):
    id: str
    rank: int | None
    score: Any
    made: bool


class RecommendationFact(TypedDict):
    id: str
    prioritisation_id: str | None
    recommended: bool
    action: str | None
    rank: int | None


class ItemFact(TypedDict):
    id: str
    strategy_id: str | None
    live: bool
    from_need_live: bool
    removed_by: str | None
    strategy_adopted: bool
    adopted_by: str | None
    action: str | None
    plans: list[str]


class NeedFacts(TypedDict, total=False):
    """What the graph says of one plan need, as of the instant asked about."""

    prioritisations: list[PrioritisationFact]
    process_prioritisation_made: bool
    """A prioritisation of the need's process was made."""
    process_prioritisation_made_id: str | None
    recommendations: list[RecommendationFact]
    strategies_from_recommendations: list[str]
    items: list[ItemFact]


class Judgement(TypedDict):
    stage: str
    outcome: Outcome
    where: dict[str, Any]
    explanation: str


def judge_need(facts: NeedFacts) -> Judgement:
    """What became of one plan need, from the facts as of the instant asked about.

    The need is adopted when a live item drawing on it belongs to an adopted strategy;
    dropped at the first stage it should have passed and did not; pending otherwise.
    """
    items = facts.get("items", [])
    live_items = [i for i in items if i["live"] and i["from_need_live"]]
    adopted = [i for i in live_items if i["strategy_adopted"]]
    if adopted:
        first = adopted[0]
        return {
            "stage": "adopted",
            "outcome": "adopted",
            "where": {"strategy_id": first["strategy_id"], "item_id": first["id"], "decision_id": first["adopted_by"]},
            "explanation": f"item {first['id']} of adopted strategy {first['strategy_id']}",
        }
    if live_items:
        first = live_items[0]
        return {
            "stage": "in_strategy",
            "outcome": "pending",
            "where": {"strategy_id": first["strategy_id"], "item_id": first["id"]},
            "explanation": f"item {first['id']} of strategy {first['strategy_id']}, not adopted yet",
        }
    if items:
        first = items[0]
        if first["removed_by"]:
            why = f"removed from strategy {first['strategy_id']} by decision {first['removed_by']}"
        elif not first["live"]:
            why = f"item {first['id']} was taken out of strategy {first['strategy_id']}"
        else:
            why = f"item {first['id']} of strategy {first['strategy_id']} no longer draws on this need"
        return {
            "stage": "strategy",
            "outcome": "dropped",
            "where": {"strategy_id": first["strategy_id"], "item_id": first["id"], "decision_id": first["removed_by"]},
            "explanation": why,
        }
    recommended = [r for r in facts.get("recommendations", []) if r["recommended"]]
    if recommended:
        best = recommended[0]
        strategies = facts.get("strategies_from_recommendations")
        if strategies:
            strategy = strategies[0]
            return {
                "stage": "strategy",
                "outcome": "dropped",
                "where": {"recommendation_id": best["id"], "strategy_id": strategy},
                "explanation": f"recommended in {best['id']} but strategy {strategy} has no item from it",
            }
        return {
            "stage": "recommended",
            "outcome": "pending",
            "where": {"recommendation_id": best["id"]},
            "explanation": f"recommended in {best['id']} ({best['action']}); no strategy drafted from it yet",
        }
    issued = facts.get("recommendations", [])
    ranked = [p for p in facts.get("prioritisations", []) if p["made"] and p["rank"] is not None]
    if issued:
        first_issued = issued[0]
        return {
            "stage": "recommendation",
            "outcome": "dropped",
            "where": {
                "recommendation_id": first_issued["id"],
                "prioritisation_id": first_issued.get("prioritisation_id"),
            },
            "explanation": f"not recommended in {first_issued['id']}"
            + (f" (ranked {ranked[0]['rank']} in {ranked[0]['id']})" if ranked else ""),
        }
    if ranked:
        return {
            "stage": "prioritised",
            "outcome": "pending",
            "where": {"prioritisation_id": ranked[0]["id"]},
            "explanation": f"ranked {ranked[0]['rank']} in {ranked[0]['id']}; no recommendation issued yet",
        }
    candidate = [p for p in facts.get("prioritisations", []) if not p["made"]]
    if candidate:
        return {
            "stage": "in_prioritisation",
            "outcome": "pending",
            "where": {"prioritisation_id": candidate[0]["id"]},
            "explanation": f"candidate in {candidate[0]['id']}, not yet decided",
        }
    made_without = [p for p in facts.get("prioritisations", []) if p["made"]]
    if made_without or facts.get("process_prioritisation_made"):
        where = made_without[0]["id"] if made_without else facts.get("process_prioritisation_made_id")
        return {
            "stage": "prioritisation",
            "outcome": "dropped",
            "where": {"prioritisation_id": where},
            "explanation": f"not ranked in prioritisation {where}",
        }
    return {
        "stage": "proposed",
        "outcome": "pending",
        "where": {},
        "explanation": "proposed; not yet put to a prioritisation",
    }


_OUTCOME_ORDER: dict[str, int] = {"adopted": 0, "pending": 1, "dropped": 2}


class InputVerdict(TypedDict):
    outcome: Outcome
    stage: str
    explanation: str


def judge_input(needs: Sequence[dict[str, Any]], process_moved_on: str | None) -> InputVerdict:
    """The input's fate is the best fate of the needs derived from it; with none, it stopped at the workshop.

    ``needs``: ``{"plan_need": {"id", ...}, "judgement": Judgement}`` per need derived from it.
    ``process_moved_on``: id of a plan need or prioritisation in the input's process that
    came after it, showing that the process went on without this input.
    """
    if needs:
        best = min(needs, key=lambda n: _OUTCOME_ORDER[n["judgement"]["outcome"]])
        return {
            "outcome": best["judgement"]["outcome"],
            "stage": best["judgement"]["stage"],
            "explanation": f"plan need {best['plan_need']['id']}: {best['judgement']['explanation']}",
        }
    if process_moved_on:
        return {
            "outcome": "dropped",
            "stage": "workshop",
            "explanation": f"no plan need was derived from it; the process went on ({process_moved_on})",
        }
    return {"outcome": "pending", "stage": "input", "explanation": "no plan need derived from it yet"}


# --- plans over time ------------------------------------------------------------------------------------

MAX_PERIODS = 600

Period = tuple[str, date, date]
"""A calendar period: its label (``2024`` or ``2024-06``), its first day, the first day of the next."""


def periods(interval: str, first: date, last: date) -> list[Period]:
    """Calendar periods covering ``first`` .. ``last``."""
    if interval not in ("year", "month"):
        raise QueryRefused("query.interval", f"interval must be 'year' or 'month', not {interval!r}")
    if last < first:
        raise QueryRefused("query.range", f"'to' ({last}) is before 'from' ({first})")
    out: list[Period] = []
    if interval == "year":
        for year in range(first.year, last.year + 1):
            out.append((f"{year}", date(year, 1, 1), date(year + 1, 1, 1)))
    else:
        year, month = first.year, first.month
        while (year, month) <= (last.year, last.month):
            following = (year + (month == 12), 1 if month == 12 else month + 1)
            out.append((f"{year}-{month:02d}", date(year, month, 1), date(following[0], following[1], 1)))
            year, month = following
    if len(out) > MAX_PERIODS:
        raise QueryRefused(
            "query.periods", f"{len(out)} periods asked for; at most {MAX_PERIODS} (narrow 'from'/'to' or use 'year')"
        )
    return out


# --- compliance --------------------------------------------------------------------------------------------

REQUIRED_PARTIES: tuple[str, ...] = ("state", "regional", "neighbour_municipality")
PUBLIC_HEALTH_OVERVIEW_MAX_AGE_YEARS = 4
PUBLICATION_DAYS = 30

CheckStatus = Literal["pass", "fail", "unknown"]


class Dated(TypedDict):
    on: date
    event: str | None


class Published(Dated):
    planned_meeting_on: date | None


class Adopted(Dated):
    decision_id: str | None
    decision_event: str | None
    meeting_date: date | None


class Assessment(TypedDict):
    samfunnsdel: str
    arealdel: str
    event: str | None


class ExternalInputFact(TypedDict):
    party_kind: str
    from_party: str
    received_on: Any
    event: str | None


class ViewRequestFact(TypedDict):
    """A request for views (PBL §10-1 second paragraph) and the inputs that answer it."""

    party_kind: str
    party_name: str
    sent_on: Any
    event: str | None
    answers: list[dict[str, Any]]
    """``from_party``, ``received_on``, ``event`` of each input in reply (by ``in_reply_to``, or the same
    party kind and name)."""


class EvidenceFact(TypedDict):
    kind: str
    dated: date
    title: str
    events: list[str]


class StrategyFacts(TypedDict, total=False):
    """What the graph says of one strategy, as of the instant asked about."""

    council_constituted_on: date | None
    drafted: Dated | None
    published: Published | None
    adopted: Adopted | None
    assessment: Assessment | None
    external_inputs: list[ExternalInputFact]
    view_requests: list[ViewRequestFact]
    evidence: list[EvidenceFact]
    work_started_on: date
    """The earlier of the strategy's ``drafted_on`` and its co-creation process's ``period_start``."""
    work_started_event: str | None


class Check(TypedDict):
    id: str
    paragraph: str
    rule: str
    status: CheckStatus
    detail: str
    evidence: list[str]
    requests: NotRequired[list[dict[str, Any]]]
    """Only the check on external views: each request for views, who answered it and who did not."""


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=calendar.monthrange(day.year + years, day.month)[1])


def _check(
    check_id: str, paragraph: str, rule: str, status: CheckStatus, detail: str, evidence: Iterable[str | None]
) -> Check:
    return {
        "id": check_id,
        "paragraph": paragraph,
        "rule": rule,
        "status": status,
        "detail": detail,
        "evidence": sorted({e for e in evidence if e}),
    }


def assess_compliance(facts: StrategyFacts, today: date) -> list[Check]:
    """The legal checks of domain.md for one strategy: pass, fail or unknown, each with its evidence (event ids).

    ``today`` is the date asked about: a deadline not yet passed makes a missing step
    *unknown*, a passed one makes it *fail*.
    """
    adopted = facts.get("adopted")
    return [
        _adopted_within_a_year(facts, today),
        _published_before_treatment(facts),
        _kommuneplan_assessed(facts.get("assessment"), adopted),
        _external_views_obtained(facts.get("external_inputs", []), facts.get("view_requests", []), adopted),
        _public_health_overview(facts, adopted),
    ]


def _adopted_within_a_year(facts: StrategyFacts, today: date) -> Check:
    """PBL §10-1: adopted no later than one year after the council was constituted."""
    rule = "the council adopts the plan strategy no later than one year after it was constituted"
    adopted = facts.get("adopted")
    drafted = facts.get("drafted")
    drafted_event = drafted.get("event") if drafted else None
    constituted = facts.get("council_constituted_on")
    if constituted is None:
        return _check(
            "adopted_within_a_year",
            "PBL §10-1",
            rule,
            "unknown",
            "the council's constitution date is not on record",
            [drafted_event],
        )
    deadline = add_years(constituted, 1)
    if adopted:
        return _check(
            "adopted_within_a_year",
            "PBL §10-1",
            rule,
            "pass" if adopted["on"] <= deadline else "fail",
            f"council constituted {constituted}, adopted {adopted['on']}, deadline {deadline}",
            [drafted_event, adopted.get("event"), adopted.get("decision_event")],
        )
    if today > deadline:
        return _check(
            "adopted_within_a_year",
            "PBL §10-1",
            rule,
            "fail",
            f"not adopted by the deadline {deadline} (council constituted {constituted})",
            [drafted_event],
        )
    return _check(
        "adopted_within_a_year", "PBL §10-1", rule, "unknown", f"not adopted yet; deadline {deadline}", [drafted_event]
    )


def _published_before_treatment(facts: StrategyFacts) -> Check:
    """PBL §10-1: the proposal public at least 30 days before the council treats it."""
    rule = f"the proposal is made public at least {PUBLICATION_DAYS} days before the council treats it"
    published = facts.get("published")
    adopted = facts.get("adopted")
    treated_on = (adopted.get("meeting_date") or adopted.get("on")) if adopted else None
    if published and treated_on:
        days = (treated_on - published["on"]).days
        return _check(
            "published_30_days_before_treatment",
            "PBL §10-1",
            rule,
            "pass" if days >= PUBLICATION_DAYS else "fail",
            f"published {published['on']}, treated {treated_on}: {days} days",
            [
                published.get("event"),
                adopted.get("event") if adopted else None,
                adopted.get("decision_event") if adopted else None,
            ],
        )
    if adopted:
        return _check(
            "published_30_days_before_treatment",
            "PBL §10-1",
            rule,
            "fail",
            f"adopted {adopted['on']} with no publication on record",
            [adopted.get("event"), adopted.get("decision_event")],
        )
    if published:
        planned = published.get("planned_meeting_on")
        note = f"published {published['on']}; not treated yet"
        if planned:
            days = (planned - published["on"]).days
            note += f"; planned meeting {planned} would be {days} days after"
        return _check(
            "published_30_days_before_treatment", "PBL §10-1", rule, "unknown", note, [published.get("event")]
        )
    return _check(
        "published_30_days_before_treatment", "PBL §10-1", rule, "unknown", "not published and not treated yet", []
    )


def _kommuneplan_assessed(assessment: Assessment | None, adopted: Adopted | None) -> Check:
    """PBL §10-1: the strategy decides whether the kommuneplan is revised or continued."""
    rule = "the strategy decides whether the kommuneplan (samfunnsdel, arealdel) is revised or continued"
    if assessment:
        return _check(
            "kommuneplan_assessed",
            "PBL §10-1",
            rule,
            "pass",
            f"samfunnsdel: {assessment['samfunnsdel']}, arealdel: {assessment['arealdel']}",
            [assessment.get("event")],
        )
    return _check(
        "kommuneplan_assessed",
        "PBL §10-1",
        rule,
        "fail" if adopted else "unknown",
        "no assessment of the kommuneplan on record" + (" when the strategy was adopted" if adopted else " yet"),
        [adopted.get("event") if adopted else None],
    )


def _external_inputs_on_record(inputs: list[ExternalInputFact], adopted: Adopted | None) -> Check:
    """PBL §10-1: views of state and regional bodies and neighbouring municipalities."""
    rule = "state and regional bodies and neighbouring municipalities are asked for their views"
    kinds = {i["party_kind"] for i in inputs}
    missing = [k for k in REQUIRED_PARTIES if k not in kinds]
    on_record = [i for i in inputs if i["party_kind"] in REQUIRED_PARTIES]
    status: CheckStatus
    if not missing:
        status, detail = (
            "pass",
            "inputs on record from " + ", ".join(sorted({f"{i['from_party']} ({i['party_kind']})" for i in on_record})),
        )
    else:
        status = "fail" if adopted else "unknown"
        detail = "no input on record from: " + ", ".join(missing)
    return _check("external_inputs_on_record", "PBL §10-1", rule, status, detail, [i.get("event") for i in on_record])


def _external_views_obtained(
    inputs: list[ExternalInputFact], requests: list[ViewRequestFact], adopted: Adopted | None
) -> Check:
    """PBL §10-1 second paragraph obliges the municipality to ask (innhente synspunkter), not the bodies to answer:
    a kind of body counts when views were requested from it, or when its input is on record (it was asked)."""
    if not requests:
        return _external_inputs_on_record(inputs, adopted)
    rule = "state and regional bodies and neighbouring municipalities are asked for their views"
    covered = {r["party_kind"] for r in requests} | {i["party_kind"] for i in inputs}
    missing = [k for k in REQUIRED_PARTIES if k not in covered]
    listed = [
        {
            "party_kind": r["party_kind"],
            "party_name": r["party_name"],
            "sent_on": _iso(r["sent_on"]),
            "event": r["event"],
            "answered": bool(r["answers"]),
            "answers": [{**a, "received_on": _iso(a.get("received_on"))} for a in r["answers"]],
        }
        for r in requests
    ]
    answered = [f"{r['party_name']} ({r['party_kind']})" for r in listed if r["answered"]]
    unanswered = [f"{r['party_name']} ({r['party_kind']})" for r in listed if not r["answered"]]
    detail = f"views requested from {len(listed)} bodies; answered: {', '.join(answered) or 'none'}"
    detail += f"; no answer: {', '.join(unanswered) or 'none'}"
    status: CheckStatus = "pass"
    if missing:
        status = "fail" if adopted else "unknown"
        detail = "no request for views and no input on record from: " + ", ".join(missing) + "; " + detail
    answer_events = [a.get("event") for r in requests for a in r["answers"]]
    other_inputs = [i.get("event") for i in inputs if i["party_kind"] in REQUIRED_PARTIES]
    check = _check(
        "external_inputs_on_record",
        "PBL §10-1",
        rule,
        status,
        detail,
        [r["event"] for r in requests] + answer_events + other_inputs,
    )
    check["requests"] = listed
    return check


def _iso(value: Any) -> Any:
    value = value.to_native() if hasattr(value, "to_native") else value
    return value.isoformat() if isinstance(value, date) else value


def _public_health_overview(facts: StrategyFacts, adopted: Adopted | None) -> Check:
    """folkehelseloven §5 and §6: the public health overview, at most four years old when the work started."""
    rule = (
        f"the public health overview (folkehelseoversikt) is part of the basis and at most "
        f"{PUBLIC_HEALTH_OVERVIEW_MAX_AGE_YEARS} years old when the work started"
    )
    started = facts.get("work_started_on")
    overviews = [e for e in facts.get("evidence", []) if e["kind"] == "public_health_overview"]
    if not overviews:
        return _check(
            "public_health_overview",
            "folkehelseloven §5, §6",
            rule,
            "fail" if adopted else "unknown",
            "no public health overview cited" + ("" if adopted else " yet"),
            [],
        )
    if started is None:
        return _check(
            "public_health_overview",
            "folkehelseloven §5, §6",
            rule,
            "unknown",
            "the start of the work is not on record",
            [ev for e in overviews for ev in e.get("events", [])],
        )
    oldest_allowed = add_years(started, -PUBLIC_HEALTH_OVERVIEW_MAX_AGE_YEARS)
    fresh = [e for e in overviews if e["dated"] >= oldest_allowed]
    newest = max(overviews, key=lambda e: e["dated"])
    chosen = fresh or [newest]
    return _check(
        "public_health_overview",
        "folkehelseloven §5, §6",
        rule,
        "pass" if fresh else "fail",
        f"overview dated {max(e['dated'] for e in chosen)}, work started {started}"
        + ("" if fresh else f": older than {oldest_allowed}"),
        [ev for e in chosen for ev in e.get("events", [])] + [facts.get("work_started_event")],
    )
