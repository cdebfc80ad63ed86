"""The test story of both sources, and what the tests and the benchmark do with it.

``story`` is a synthetic story sealed in a hash chain per source: every event type of the
catalogue, from a co-creation round to an adopted strategy. The projector's tests and its
benchmark (services/knowledge/bench/) both use it, so they exercise exactly what the
producers publish. Beside it: publishing as the relays do, a source's feed served over
HTTP, and a wait on a condition with a deadline.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI, Header, HTTPException
from nats.js import JetStreamContext

from knowledge.pipeline.signatures import SourceKeys
from planspor_runtime.signing import sign_envelope
from planspor_shared.canonical import GENESIS_HASH
from planspor_shared.envelope import Actor, Envelope
from planspor_shared.events import cocreation as cc
from planspor_shared.events import plan_registry as pr
from planspor_shared.events import plan_vocabulary as pv
from planspor_shared.events.base import Body, PlanType, StrategyAction
from planspor_shared.subjects import subject
from planspor_verify.note import Signer

T0 = datetime(2023, 3, 9, 8, 0, tzinfo=UTC)

SIGNERS = {
    source: Signer.from_seed(f"planspor.test/{source}", hashlib.sha256(f"story key of {source}".encode()).digest())
    for source in ("plan-registry", "cocreation")
}
"""The story's signing key per source (fixed, so a golden graph stays golden; signatures are not in the graph)."""
STORY_KEYS = SourceKeys.of_keys({source: [signer.verifier_key] for source, signer in SIGNERS.items()})
"""What knowledge trusts in the tests: the story's keys."""


def story_key_settings() -> dict[str, str]:
    """The knowledge settings that trust the story's keys."""
    return {
        "knowledge_plan_registry_keys": str(SIGNERS["plan-registry"].verifier_key),
        "knowledge_cocreation_keys": str(SIGNERS["cocreation"].verifier_key),
    }


class Chain:
    """Seals envelopes of one source in position order, each chained to the previous hash and signed."""

    def __init__(self, source: str, signer: Signer | None = None) -> None:
        self.source = source
        self.position = 0
        self.last_hash = GENESIS_HASH
        self.envelopes: list[Envelope] = []
        self.signer: Signer | None = signer or SIGNERS[source]
        """Who signs the next envelope (None: unsigned)."""

    def seal(self, payload: Any, at: datetime, **overrides: Any) -> Envelope:
        self.position += 1
        fields = dict(
            event_id=uuid.uuid4(),
            source=self.source,
            position=self.position,
            aggregate_id=str(uuid.uuid4()),
            aggregate_version=1,
            occurred_at=at,
            actor=Actor(id="u1", name="Kari Planlegger", role="planner"),
            payload=payload,
        )
        fields.update(overrides)
        envelope = Envelope.seal(self.last_hash, **fields)
        if self.signer is not None:
            envelope = sign_envelope(envelope, self.signer)
        self.last_hash = envelope.hash
        self.envelopes.append(envelope)
        return envelope


def rid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def story(rounds: int = 1) -> tuple[Chain, Chain]:
    """A co-creation round leading to an adopted strategy, ``rounds`` times; every event type of the catalogue."""
    registry, cocreation = Chain("plan-registry"), Chain("cocreation")
    clock = [T0]

    def at() -> datetime:
        clock[0] += timedelta(minutes=7)
        return clock[0]

    for _ in range(rounds):
        goal, sub_goal, plan, plan2, indicator = rid("goal"), rid("goal"), rid("plan"), rid("plan"), rid("ind")
        process, ws, p1, p2 = rid("proc"), rid("ws"), rid("part"), rid("part")
        input1, input2, need1, need2, prio = rid("in"), rid("in"), rid("need"), rid("need"), rid("prio")
        b1, b2, b3, rec, strategy, item, decision = (rid(x) for x in ("b", "b", "b", "rec", "str", "item", "dec"))
        evidence, ext = rid("ev"), rid("ext")
        R, C = registry.seal, cocreation.seal
        R(pr.GoalDefined(goal_id=goal, title="Godt liv i Bærum", sdg_targets=("3.4",)), at())
        R(
            pr.GoalDefined(
                goal_id=sub_goal, title="Aktive innbyggere", level=pr.GoalLevel.SUB_GOAL, parent_goal_id=goal
            ),
            at(),
        )
        R(
            pr.IndicatorDefined(
                indicator_id=indicator,
                goal_id=goal,
                name="Andel fysisk aktive",
                unit="%",
                source=pr.IndicatorSource.SSB,
                target=Decimal("80"),
                target_year=2030,
            ),
            at(),
        )
        R(
            pr.IndicatorMeasured(
                indicator_id=indicator, period="2023", value=Decimal("71.5"), source=pr.IndicatorSource.SSB
            ),
            at(),
        )
        R(
            pr.IndicatorMeasured(
                indicator_id=indicator,
                period="2023",
                value=Decimal("72.0"),
                source=pr.IndicatorSource.SSB,
                corrects=True,
                previous_value=Decimal("71.5"),
            ),
            at(),
        )
        R(
            pr.PlanProposed(
                plan_id=plan,
                title="Idrettsplan",
                plan_type=PlanType.TEMAPLAN,
                owning_unit="Kultur",
                initiated_through_strategy=False,
                proposed_on=date(2023, 1, 5),
            ),
            at(),
        )
        R(
            pr.PlanProposed(
                plan_id=plan2,
                title="Kulturplan",
                plan_type=PlanType.TEMAPLAN,
                owning_unit="Kultur",
                initiated_through_strategy=False,
                proposed_on=date(2023, 1, 6),
                parent_plan_id=plan,
            ),
            at(),
        )
        R(pr.PlanParentChanged(plan_id=plan2, parent_plan_id=None, previous_parent_plan_id=plan), at())
        R(pr.PlanAnchored(plan_id=plan, goal_id=goal), at())
        R(pr.PlanAnchorRemoved(plan_id=plan, goal_id=goal), at())
        R(pr.PlanAnchored(plan_id=plan, goal_id=sub_goal), at())
        R(
            pr.PlanStatusChanged(
                plan_id=plan,
                from_status=pr.PlanStatus.PROPOSED,
                to_status=pr.PlanStatus.IN_PREPARATION,
                changed_on=date(2023, 2, 1),
            ),
            at(),
        )
        R(pr.PlanRevisionScheduled(plan_id=plan, revision_due=date(2025, 6, 1)), at())
        R(
            pr.EvidenceRecorded(
                evidence_id=evidence,
                kind=pr.EvidenceKind.PUBLIC_HEALTH_OVERVIEW,
                title="Folkehelseoversikt 2023",
                dated=date(2023, 1, 1),
            ),
            at(),
        )
        C(
            cc.ProcessStarted(
                process_id=process,
                title="Samskaping",
                purpose="Planstrategi 2024-2027",
                election_period="2024-2027",
                period_start=date(2023, 3, 9),
            ),
            at(),
        )
        C(
            cc.ParticipantEnrolled(
                process_id=process,
                participant_id=p1,
                name="Ola",
                kind=cc.ParticipantKind.ELECTED_OFFICIAL,
                party="H",
                body=Body.MUNICIPAL_COUNCIL,
            ),
            at(),
        )
        C(
            cc.ParticipantEnrolled(
                process_id=process, participant_id=p2, name="Eva", kind=cc.ParticipantKind.ADMINISTRATION, unit="Plan"
            ),
            at(),
        )
        C(
            cc.ProcessPhaseChanged(
                process_id=process,
                from_phase=cc.ProcessPhase.PREPARATION,
                to_phase=cc.ProcessPhase.WORKSHOPS,
                changed_on=date(2023, 3, 10),
            ),
            at(),
        )
        C(
            cc.WorkshopScheduled(
                process_id=process,
                workshop_id=ws,
                title="Verksted 1",
                scheduled_on=date(2023, 4, 1),
                format=cc.WorkshopFormat.IN_PERSON,
            ),
            at(),
        )
        C(cc.WorkshopHeld(process_id=process, workshop_id=ws, held_on=date(2023, 4, 1), attendee_ids=(p1, p2)), at())
        C(
            cc.InputRecorded(
                process_id=process,
                input_id=input1,
                workshop_id=ws,
                author_participant_id=p1,
                kind=cc.InputKind.NEED,
                text="Færre planer",
                plan_ids=(plan,),
                goal_ids=(goal,),
            ),
            at(),
        )
        C(
            cc.InputRecorded(
                process_id=process,
                input_id=input2,
                workshop_id=ws,
                author_participant_id=p2,
                kind=cc.InputKind.IDEA,
                text="Slå sammen planer",
            ),
            at(),
        )
        C(
            cc.PlanNeedProposed(
                process_id=process,
                plan_need_id=need1,
                kind=cc.PlanNeedKind.REVISE,
                title="Revider",
                plan_id=plan,
                derived_from_input_ids=(input1,),
            ),
            at(),
        )
        C(
            cc.PlanNeedProposed(
                process_id=process,
                plan_need_id=need2,
                kind=cc.PlanNeedKind.NEW,
                title="Ny plan",
                derived_from_input_ids=(input1, input2),
            ),
            at(),
        )
        C(
            cc.PrioritisationOpened(
                process_id=process,
                prioritisation_id=prio,
                method=cc.PrioritisationMethod.BORDA,
                candidate_plan_need_ids=(need1, need2),
                eligible_participant_ids=(p1, p2),
                quorum=1,
                tie_break="earliest",
            ),
            at(),
        )
        C(
            cc.BallotCast(
                process_id=process,
                prioritisation_id=prio,
                ballot_id=b1,
                participant_id=p1,
                method=cc.PrioritisationMethod.BORDA,
                ranking=(need2, need1),
            ),
            at(),
        )
        C(
            cc.BallotCast(
                process_id=process,
                prioritisation_id=prio,
                ballot_id=b2,
                participant_id=p1,
                method=cc.PrioritisationMethod.BORDA,
                ranking=(need1, need2),
                replaces_ballot_id=b1,
            ),
            at(),
        )
        C(
            cc.BallotCast(
                process_id=process,
                prioritisation_id=prio,
                ballot_id=b3,
                participant_id=p2,
                method=cc.PrioritisationMethod.BORDA,
                ranking=(need1, need2),
            ),
            at(),
        )
        C(
            cc.PrioritisationMade(
                process_id=process,
                prioritisation_id=prio,
                method=cc.PrioritisationMethod.BORDA,
                ranking=(
                    cc.RankedNeed(plan_need_id=need1, rank=1, score=Decimal("4")),
                    cc.RankedNeed(plan_need_id=need2, rank=2, score=Decimal("2")),
                ),
                ballots_counted=2,
                counted_ballot_ids=(b2, b3),
                eligible_count=2,
                tie_break="earliest",
            ),
            at(),
        )
        C(
            cc.RecommendationIssued(
                process_id=process,
                recommendation_id=rec,
                prioritisation_id=prio,
                issued_on=date(2023, 5, 1),
                election_period="2024-2027",
                items=(
                    cc.RecommendedNeed(
                        plan_need_id=need1,
                        action=StrategyAction.REVISE,
                        plan_id=plan,
                        plan_title="Idrettsplan",
                        timing="2024",
                        rank=1,
                    ),
                ),
            ),
            at(),
        )
        C(
            cc.WorkshopScheduled(
                process_id=process,
                workshop_id=rid("ws"),
                title="Avlyst",
                scheduled_on=date(2023, 6, 1),
                format=cc.WorkshopFormat.DIGITAL,
            ),
            at(),
        )
        R(
            pr.StrategyDrafted(
                strategy_id=strategy,
                title="Planstrategi 2024-2027",
                election_period="2024-2027",
                council_constituted_on=date(2023, 10, 19),
                drafted_on=date(2023, 11, 1),
                recommendation_id=rec,
                process_id=process,
            ),
            at(),
        )
        R(
            pr.StrategyItemSet(
                strategy_id=strategy,
                item_id=item,
                action=StrategyAction.REVISE,
                plan_id=plan,
                timing="2024",
                rationale="Fra samskaping",
                origin=pr.ItemOrigin.PLAN_NEED,
                plan_need_id=need1,
            ),
            at(),
        )
        R(
            pr.StrategyKommuneplanAssessed(
                strategy_id=strategy,
                samfunnsdel=pr.KommuneplanAssessment.CONTINUE,
                arealdel=pr.KommuneplanAssessment.CONTINUE,
            ),
            at(),
        )
        R(pr.StrategyEvidenceCited(strategy_id=strategy, evidence_id=evidence), at())
        R(
            pr.InputReceived(
                input_id=ext,
                from_party="Statsforvalteren",
                party_kind=pr.PartyKind.STATE,
                received_on=date(2023, 12, 1),
                strategy_id=strategy,
                summary="Innspill",
            ),
            at(),
        )
        R(
            pr.StrategyPublished(
                strategy_id=strategy, published_on=date(2024, 1, 2), planned_meeting_on=date(2024, 3, 1)
            ),
            at(),
        )
        R(
            pr.DecisionRecorded(
                decision_id=decision,
                body=Body.MUNICIPAL_COUNCIL,
                case_number="24/1",
                meeting_date=date(2024, 3, 1),
                subject="Planstrategi",
                strategy_id=strategy,
                outcome=pr.DecisionOutcome.ADOPTED_WITH_AMENDMENTS,
                votes=pv.Votes(in_favour=30, against=10),
                amendments=(pv.Amendment(number=1, text="Behold kulturplan", adopted=True),),
            ),
            at(),
        )
        R(
            pr.StrategyItemSet(
                strategy_id=strategy,
                item_id=item,
                action=StrategyAction.CONTINUE,
                plan_id=plan,
                timing="2025",
                rationale="Endret av kommunestyret",
                origin=pr.ItemOrigin.COUNCIL_AMENDMENT,
                decision_id=decision,
                amendment_number=1,
            ),
            at(),
        )
        R(pr.StrategyItemRemoved(strategy_id=strategy, item_id=rid("item"), decision_id=decision), at())
        R(pr.StrategyAdopted(strategy_id=strategy, decision_id=decision, adopted_on=date(2024, 3, 1)), at())
        R(
            pr.PlanStatusChanged(
                plan_id=plan2,
                from_status=pr.PlanStatus.PROPOSED,
                to_status=pr.PlanStatus.MERGED,
                changed_on=date(2024, 4, 1),
                merged_into_plan_id=plan,
            ),
            at(),
        )
        R(pr.GoalRetired(goal_id=sub_goal, retired_on=date(2024, 5, 1)), at())
        C(cc.WorkshopCancelled(process_id=process, workshop_id=cocreation.envelopes[-1].payload["workshop_id"]), at())
    return registry, cocreation


def interleaved(*chains: Chain) -> list[Envelope]:
    """All envelopes in the order they happened (by occurred_at)."""
    return sorted((e for c in chains for e in c.envelopes), key=lambda e: (e.occurred_at, e.source, e.position))


# --- what the tests do with it ----------------------------------------------------------------------


async def publish(
    js: JetStreamContext, prefix: str, envelopes: Iterable[Envelope], *, raw: dict[tuple[str, int], bytes] | None = None
) -> None:
    """Publish as the relay does: subject per event type, Nats-Msg-Id source:position."""
    for e in envelopes:
        data = (raw or {}).get((e.source, e.position), e.to_canonical())
        await js.publish(subject(e.source, e.event_type, prefix=prefix), data, headers={"Nats-Msg-Id": e.nats_msg_id})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FeedServer:
    """A source's feed (GET /events?after=N&limit=M, bearer auth) over a list of envelopes, in a thread."""

    TOKEN = "feed-test-token"

    def __init__(self, envelopes: list[Envelope]) -> None:
        self.envelopes = envelopes
        self.requests = 0
        app = FastAPI()

        @app.get("/events")
        def events(
            after: int = 0, limit: int = 100, authorization: str | None = Header(default=None)
        ) -> dict[str, Any]:
            if authorization != f"Bearer {self.TOKEN}":
                raise HTTPException(401, "bearer token required")
            self.requests += 1
            page = [e for e in self.envelopes if e.position > after][:limit]
            return {
                "events": [e.model_dump(mode="json") for e in page],
                "next_after": page[-1].position if page else after,
            }

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> FeedServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("feed server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


T = TypeVar("T")


async def wait_for(
    predicate: Callable[[], Awaitable[T]], timeout: float = 30.0, interval: float = 0.05, what: str = "condition"
) -> T:
    """The first true value of ``predicate``, polled every ``interval`` until ``timeout`` (then it fails)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what} (last value {value!r})")
        await asyncio.sleep(interval)
