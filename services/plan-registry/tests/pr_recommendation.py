"""A sealed ``recommendation.issued`` envelope, as co-creation publishes it."""

from datetime import UTC, date, datetime
from uuid import uuid4

from planspor_shared.canonical import GENESIS_HASH
from planspor_shared.envelope import Envelope, derive_event_id
from planspor_shared.events.cocreation import RecommendationIssued, RecommendedNeed


def recommendation_envelope(council_constituted_on=date(2023, 10, 19), position=1) -> Envelope:
    recommendation_id = str(uuid4())
    payload = RecommendationIssued(
        process_id=str(uuid4()),
        recommendation_id=recommendation_id,
        prioritisation_id=str(uuid4()),
        issued_on=date(2024, 4, 1),
        election_period="2024-2027",
        council_constituted_on=council_constituted_on,
        summary="Samskaping i kommunestyret",
        items=(
            RecommendedNeed(
                plan_need_id=str(uuid4()),
                action="new",
                plan_title="Plan for klimatilpasning",
                timing="2025",
                rationale="Høyest rangert",
                rank=1,
            ),
            RecommendedNeed(
                plan_need_id=str(uuid4()),
                action="revise",
                plan_id=str(uuid4()),
                plan_title="Boligpolitisk plan",
                timing="2026",
                rank=2,
            ),
        ),
    )
    return Envelope.seal(
        GENESIS_HASH,
        event_id=derive_event_id(recommendation_id, 1),
        position=position,
        aggregate_id=recommendation_id,
        aggregate_version=1,
        occurred_at=datetime(2024, 4, 1, 12, tzinfo=UTC),
        actor={"id": "u-1", "name": "Fasilitator", "role": "facilitator"},
        correlation_id="corr-rec",
        payload=payload,
    )
