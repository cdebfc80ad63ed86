"""The plan strategy (planstrategi) of an election period: its items, the kommuneplan
assessment, external inputs, the knowledge base, publication and adoption (PBL §10-1)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from plan_registry.domain.checks import check_election_period, check_item_target, required_text
from plan_registry.domain.decision import Decision
from plan_registry.domain.errors import (
    AlreadyDone,
    InvalidMergeTarget,
    InvalidValue,
    ItemsFrozen,
    KommuneplanNotAssessed,
    NotFound,
    PublicationTooLate,
    TransitionNotAllowed,
    WrongBody,
)
from plan_registry.domain.ids import STORED_TOPIC_MODULE, amendment_item_id, strategy_id_for
from plan_registry.domain.lifecycle import PUBLICATION_MINIMUM_DAYS, STRATEGY_TRANSITIONS
from plan_registry.domain.vocabulary import (
    AmendmentChange,
    Body,
    EvidenceKind,
    ItemOrigin,
    KommuneplanAssessment,
    PartyKind,
    PlanType,
    StrategyAction,
    StrategyStatus,
    choice,
)
from planspor_shared.meta import Meta


class PlanStrategy(Aggregate):
    """The council's plan strategy (planstrategi) for one election period (PBL §10-1).

    Missing the one-year deadline or citing an old folkehelseoversikt does not block
    anything here: the register records what happened; the compliance report flags it.
    """

    __module__ = STORED_TOPIC_MODULE

    if TYPE_CHECKING:  # the event classes eventsourcing makes of the @event methods below
        Drafted: ClassVar[type[Aggregate.Created]]
        ItemSet: ClassVar[type[Aggregate.Event]]
        ItemRemoved: ClassVar[type[Aggregate.Event]]
        KommuneplanAssessed: ClassVar[type[Aggregate.Event]]
        InputReceived: ClassVar[type[Aggregate.Event]]
        ViewsRequested: ClassVar[type[Aggregate.Event]]
        EvidenceCited: ClassVar[type[Aggregate.Event]]
        Published: ClassVar[type[Aggregate.Event]]
        Adopted: ClassVar[type[Aggregate.Event]]

    @staticmethod
    def create_id(recommendation_id: UUID | str | None = None, **_: Any) -> UUID:
        """A strategy drafted from a recommendation has an id derived from it, so a
        redelivered recommendation cannot draft a second strategy."""
        return strategy_id_for(recommendation_id) if recommendation_id else uuid4()

    @classmethod
    def draft(
        cls,
        *,
        election_period: str,
        council_constituted_on: date,
        title: str = "",
        recommendation_id: UUID | None = None,
        process_id: UUID | None = None,
        drafted_on: date | None = None,
        meta: Meta,
    ) -> PlanStrategy:
        start, _ = check_election_period(election_period)
        if council_constituted_on.year not in (start - 1, start):
            raise InvalidValue(
                "strategy.constituted_at_period_start",
                f"the council of {election_period} is constituted in the autumn of {start - 1} or in {start}, "
                f"not on {council_constituted_on}",
            )
        return cls(
            election_period=election_period,
            council_constituted_on=council_constituted_on,
            title=(title or "").strip() or f"Planstrategi {election_period}",
            recommendation_id=recommendation_id,
            process_id=process_id,
            drafted_on=drafted_on,
            meta=meta,
        )

    @event("Drafted")
    def __init__(
        self,
        *,
        election_period: str,
        council_constituted_on: date,
        title: str,
        recommendation_id: UUID | None,
        process_id: UUID | None,
        meta: Meta,
        drafted_on: date | None = None,
    ) -> None:
        self.election_period = election_period
        self.drafted_on = drafted_on
        self.council_constituted_on = council_constituted_on
        self.title = title
        self.recommendation_id = recommendation_id
        self.process_id = process_id
        self.status = StrategyStatus.DRAFT
        self.items: dict[UUID, dict[str, Any]] = {}
        self.samfunnsdel: KommuneplanAssessment | None = None
        self.arealdel: KommuneplanAssessment | None = None
        self.assessment_rationale = ""
        self.external_inputs: list[dict[str, Any]] = []
        self.view_requests: dict[UUID, dict[str, Any]] = {}
        self.evidence: list[dict[str, Any]] = []
        self.published_on: date | None = None
        self.planned_meeting_on: date | None = None
        self.adopted_on: date | None = None
        self.adopted_by: UUID | None = None

    # -- rules

    def check_not_adopted(self) -> None:
        if self.status is StrategyStatus.ADOPTED:
            raise TransitionNotAllowed(
                "strategy.adopted_is_final", "the strategy is adopted; the next change is a new strategy"
            )

    def check_items_open(self, origin: ItemOrigin) -> None:
        self.check_not_adopted()
        if self.status is StrategyStatus.PUBLISHED and origin is not ItemOrigin.COUNCIL_AMENDMENT:
            raise ItemsFrozen(
                "strategy.items_frozen_after_publication",
                "the proposal is published: only a council amendment changes its items now",
                paragraph="PBL §10-1",
            )

    def check_adoptable(self, decision: Decision) -> None:
        """PBL §10-1: by the council, kommuneplan assessed, public 30 days before the meeting."""
        self.check_not_adopted()
        if decision.body is not Body.MUNICIPAL_COUNCIL:
            raise WrongBody(
                "strategy.adopted_by_council",
                f"PBL §10-1: the plan strategy is adopted by the kommunestyre (municipal_council), "
                f"not by {decision.body.value}",
                paragraph="PBL §10-1",
            )
        decision.check_adopts(self.id, "strategy", is_strategy=True)
        missing = [n for n, v in (("samfunnsdel", self.samfunnsdel), ("arealdel", self.arealdel)) if v is None]
        if missing:
            raise KommuneplanNotAssessed(
                "strategy.kommuneplan_assessed",
                "PBL §10-1: decide whether the kommuneplan is revised or continued before adoption; not assessed: "
                + ", ".join(missing),
                paragraph="PBL §10-1",
            )
        if self.published_on is None:
            raise PublicationTooLate(
                "strategy.published_30_days_before_meeting",
                f"PBL §10-1: not published, meeting {decision.meeting_date}, {PUBLICATION_MINIMUM_DAYS} days required",
                paragraph="PBL §10-1",
            )
        if (decision.meeting_date - self.published_on).days < PUBLICATION_MINIMUM_DAYS:
            raise PublicationTooLate(
                "strategy.published_30_days_before_meeting",
                f"PBL §10-1: published {self.published_on}, meeting {decision.meeting_date}, "
                f"{PUBLICATION_MINIMUM_DAYS} days required",
                paragraph="PBL §10-1",
            )

    # -- commands

    def set_item(
        self,
        *,
        item_id: UUID,
        action: StrategyAction | str,
        plan_id: UUID | None = None,
        plan_name: str | None = None,
        plan_type: PlanType | str | None = None,
        timing: str,
        rationale: str,
        origin: ItemOrigin | str,
        plan_need_id: UUID | None = None,
        decision_id: UUID | None = None,
        amendment_number: int | None = None,
        merge_into_plan_id: UUID | None = None,
        on: date | None = None,
        meta: Meta,
    ) -> None:
        """``on``: the day the item was written or changed (effective time)."""
        known_action = choice(StrategyAction, action, "strategy.item_action_known", "action")
        known_origin = choice(ItemOrigin, origin, "strategy.item_origin_known", "origin")
        known_type = choice(PlanType, plan_type, "plan.type_known", "plan_type") if plan_type else None
        self.check_items_open(known_origin)
        check_item_target(known_action, plan_id, plan_name)
        timing = required_text("timing", timing, "strategy.item_timing_required")
        rationale = required_text("rationale", rationale, "strategy.item_rationale_required")
        if known_origin is ItemOrigin.PLAN_NEED and plan_need_id is None:
            raise InvalidValue("strategy.item_need_named", "an item from co-creation names its plan_need_id")
        if known_origin is ItemOrigin.COUNCIL_AMENDMENT and decision_id is None:
            raise InvalidValue("strategy.amendment_names_decision", "a council amendment names its decision_id")
        if known_action is StrategyAction.MERGE:
            if merge_into_plan_id is None:
                raise InvalidValue("strategy.merge_names_target", "a merge item names merge_into_plan_id")
            if merge_into_plan_id == plan_id:
                raise InvalidMergeTarget("plan.successor_not_itself", "a plan cannot be merged into itself")
        elif merge_into_plan_id is not None:
            raise InvalidValue("strategy.merge_names_target", "merge_into_plan_id is only for action 'merge'")
        item = {
            "action": known_action.value,
            "plan_id": plan_id,
            "plan_name": (plan_name or "").strip() or None,
            "plan_type": known_type.value if known_type else None,
            "timing": timing,
            "rationale": rationale,
            "origin": known_origin.value,
            "plan_need_id": plan_need_id,
            "decision_id": decision_id,
            "amendment_number": amendment_number,
            "merge_into_plan_id": merge_into_plan_id,
        }
        if self.items.get(item_id) == item:
            raise AlreadyDone("strategy.item_changed", f"item {item_id} already reads like this")
        self._set_item(item_id=item_id, item=item, meta=meta, on=on)

    @event("ItemSet")
    def _set_item(self, item_id: UUID, item: dict[str, Any], meta: Meta, on: date | None = None) -> None:
        self.items[item_id] = dict(item)

    def remove_item(
        self,
        *,
        item_id: UUID,
        origin: ItemOrigin | str,
        decision_id: UUID | None = None,
        amendment_number: int | None = None,
        reason: str = "",
        meta: Meta,
    ) -> None:
        known_origin = choice(ItemOrigin, origin, "strategy.item_origin_known", "origin")
        self.check_items_open(known_origin)
        if item_id not in self.items:
            raise NotFound("strategy.item_exists", f"the strategy has no item {item_id}")
        if known_origin is ItemOrigin.COUNCIL_AMENDMENT and decision_id is None:
            raise InvalidValue("strategy.amendment_names_decision", "a council amendment names its decision_id")
        self._remove_item(
            item_id=item_id,
            origin=known_origin.value,
            decision_id=decision_id,
            amendment_number=amendment_number,
            reason=reason or "",
            meta=meta,
        )

    @event("ItemRemoved")
    def _remove_item(
        self,
        item_id: UUID,
        origin: str,
        decision_id: UUID | None,
        amendment_number: int | None,
        reason: str,
        meta: Meta,
    ) -> None:
        del self.items[item_id]

    def assess_kommuneplan(
        self,
        *,
        samfunnsdel: KommuneplanAssessment | str,
        arealdel: KommuneplanAssessment | str,
        rationale: str = "",
        on: date | None = None,
        meta: Meta,
    ) -> None:
        """PBL §10-1: whether the samfunnsdel and the arealdel are revised or continued (``on``: the day)."""
        self.check_not_adopted()
        try:
            social, land_use = KommuneplanAssessment(samfunnsdel), KommuneplanAssessment(arealdel)
        except ValueError:
            raise InvalidValue(
                "strategy.assessment_known", "samfunnsdel and arealdel are each 'revise' or 'continue'"
            ) from None
        self._assess(samfunnsdel=social.value, arealdel=land_use.value, rationale=rationale or "", meta=meta, on=on)

    @event("KommuneplanAssessed")
    def _assess(self, samfunnsdel: str, arealdel: str, rationale: str, meta: Meta, on: date | None = None) -> None:
        self.samfunnsdel = KommuneplanAssessment(samfunnsdel)
        self.arealdel = KommuneplanAssessment(arealdel)
        self.assessment_rationale = rationale

    def receive_input(
        self,
        *,
        input_id: UUID,
        source: PartyKind | str,
        sender: str,
        received_on: date,
        summary: str,
        document_reference: str | None = None,
        in_reply_to: UUID | None = None,
        meta: Meta,
    ) -> None:
        """PBL §10-1: the views of state, regional bodies and neighbours are on record; one that answers a
        request for views (``in_reply_to``) names a request of this strategy."""
        self.check_not_adopted()
        party = choice(PartyKind, source, "strategy.input_source_known", "source")
        sender = required_text("sender", sender, "strategy.input_sender_required")
        summary = required_text("summary", summary, "strategy.input_summary_required")
        if any(i["input_id"] == input_id for i in self.external_inputs):
            raise AlreadyDone("strategy.input_received_once", f"input {input_id} is already on record")
        if in_reply_to is not None and in_reply_to not in self.view_requests:
            raise NotFound(
                "strategy.view_request_known", f"in_reply_to: no request for views {in_reply_to} in this strategy"
            )
        self._receive_input(
            input_id=input_id,
            source=party.value,
            sender=sender,
            received_on=received_on,
            summary=summary,
            document_reference=document_reference,
            meta=meta,
            **({"in_reply_to": in_reply_to} if in_reply_to else {}),
        )

    @event("InputReceived")
    def _receive_input(
        self,
        input_id: UUID,
        source: str,
        sender: str,
        received_on: date,
        summary: str,
        document_reference: str | None,
        meta: Meta,
        in_reply_to: UUID | None = None,
    ) -> None:
        self.external_inputs.append(
            {
                "input_id": input_id,
                "source": source,
                "sender": sender,
                "received_on": received_on,
                "summary": summary,
                "document_reference": document_reference,
                "in_reply_to": in_reply_to,
            }
        )

    def request_views(
        self, *, request_id: UUID, party_kind: PartyKind | str, party_name: str, sent_on: date, meta: Meta
    ) -> None:
        """PBL §10-1 second paragraph: the municipality asks state and regional bodies and neighbouring
        municipalities for their views (innhente synspunkter) before the council adopts the strategy."""
        party = choice(PartyKind, party_kind, "strategy.party_kind_known", "party_kind")
        party_name = required_text("party_name", party_name, "strategy.party_name_required")
        if request_id in self.view_requests:
            raise AlreadyDone("strategy.views_requested_once", f"request for views {request_id} is already on record")
        if self.adopted_on is not None and sent_on > self.adopted_on:
            raise TransitionNotAllowed(
                "strategy.views_requested_before_adoption",
                f"sent_on {sent_on} is after the strategy was adopted ({self.adopted_on}): views are asked before",
                paragraph="PBL §10-1",
            )
        self._request_views(
            request_id=request_id, party_kind=party.value, party_name=party_name, sent_on=sent_on, meta=meta
        )

    @event("ViewsRequested")
    def _request_views(self, request_id: UUID, party_kind: str, party_name: str, sent_on: date, meta: Meta) -> None:
        self.view_requests[request_id] = {"party_kind": party_kind, "party_name": party_name, "sent_on": sent_on}

    def cite_evidence(
        self,
        *,
        evidence_id: UUID,
        kind: EvidenceKind | str,
        title: str,
        dated: date,
        url: str | None = None,
        on: date | None = None,
        meta: Meta,
    ) -> None:
        """The knowledge base (kunnskapsgrunnlag) the strategy builds on, cited ``on`` a day; whether a
        folkehelseoversikt is too old is for the compliance report to say."""
        self.check_not_adopted()
        known_kind = choice(EvidenceKind, kind, "strategy.evidence_kind_known", "kind")
        title = required_text("title", title, "strategy.evidence_title_required")
        if any(e["evidence_id"] == evidence_id for e in self.evidence):
            raise AlreadyDone("strategy.evidence_cited_once", f"evidence {evidence_id} is already cited")
        if on is not None and on < dated:
            raise InvalidValue("strategy.evidence_dates_in_order", f"cited {on}, before the document's date {dated}")
        self._cite(evidence_id=evidence_id, kind=known_kind.value, title=title, dated=dated, url=url, meta=meta, on=on)

    @event("EvidenceCited")
    def _cite(
        self, evidence_id: UUID, kind: str, title: str, dated: date, url: str | None, meta: Meta, on: date | None = None
    ) -> None:
        self.evidence.append({"evidence_id": evidence_id, "kind": kind, "title": title, "dated": dated, "url": url})

    def publish(self, *, on: date, planned_meeting_on: date | None = None, meta: Meta) -> None:
        """Starts the 30-day clock (PBL §10-1)."""
        self.check_not_adopted()
        if StrategyStatus.PUBLISHED not in STRATEGY_TRANSITIONS[self.status]:
            raise AlreadyDone("strategy.published_once", f"the proposal was published on {self.published_on}")
        if on < self.council_constituted_on:
            raise InvalidValue(
                "strategy.published_after_constitution",
                f"published {on} is before the council was constituted ({self.council_constituted_on})",
            )
        if self.drafted_on is not None and on < self.drafted_on:
            raise InvalidValue(
                "strategy.published_after_drafting", f"published {on} is before the draft ({self.drafted_on})"
            )
        if planned_meeting_on is not None and planned_meeting_on < on:
            raise InvalidValue(
                "strategy.meeting_after_publication", f"planned meeting {planned_meeting_on} is before publication {on}"
            )
        self._publish(on=on, planned_meeting_on=planned_meeting_on, meta=meta)

    @event("Published")
    def _publish(self, on: date, planned_meeting_on: date | None, meta: Meta) -> None:
        self.status = StrategyStatus.PUBLISHED
        self.published_on = on
        self.planned_meeting_on = planned_meeting_on

    def adopt(self, *, decision: Decision, meta: Meta) -> None:
        """Applies the decision's adopted item amendments, each its own event caused by
        the decision (origin council_amendment), then records the adoption."""
        self.check_adoptable(decision)
        amended = meta.caused_by(str(decision.id))
        changes = [(n, a) for n, a in enumerate(decision.amendments, start=1) if a.changes_items]
        for number, amendment in changes:
            if amendment.change is AmendmentChange.REMOVE_ITEM and amendment.item_id not in self.items:
                raise NotFound(
                    "strategy.item_exists",
                    f"amendment {number} removes item {amendment.item_id}, which the strategy does not have",
                )
        for number, amendment in changes:
            if amendment.change is AmendmentChange.SET_ITEM and amendment.action is not None:
                item_id = amendment.item_id or amendment_item_id(decision.id, number)
                current = self.items.get(item_id, {})
                self.set_item(
                    item_id=item_id,
                    action=amendment.action,
                    plan_id=amendment.plan_id,
                    plan_name=amendment.plan_name or current.get("plan_name"),
                    plan_type=current.get("plan_type"),
                    timing=amendment.timing or current.get("timing") or "decided by the council",
                    rationale=amendment.rationale or current.get("rationale") or amendment.text,
                    origin=ItemOrigin.COUNCIL_AMENDMENT,
                    decision_id=decision.id,
                    amendment_number=number,
                    merge_into_plan_id=amendment.merge_into_plan_id,
                    on=decision.meeting_date,
                    meta=amended,
                )
            elif amendment.item_id is not None:  # Amendment.check: a removal names its item
                self.remove_item(
                    item_id=amendment.item_id,
                    origin=ItemOrigin.COUNCIL_AMENDMENT,
                    decision_id=decision.id,
                    amendment_number=number,
                    reason=amendment.text,
                    meta=amended,
                )
        self._adopt(decision_id=decision.id, on=decision.meeting_date, meta=amended)

    @event("Adopted")
    def _adopt(self, decision_id: UUID, on: date, meta: Meta) -> None:
        self.status = StrategyStatus.ADOPTED
        self.adopted_on = on
        self.adopted_by = decision_id

    @property
    def adopted_within_a_year(self) -> bool | None:
        """PBL §10-1 deadline: recorded, not enforced."""
        if self.adopted_on is None:
            return None
        constituted = self.council_constituted_on
        try:
            deadline = constituted.replace(year=constituted.year + 1)
        except ValueError:
            deadline = constituted.replace(year=constituted.year + 1, day=28)
        return self.adopted_on <= deadline
