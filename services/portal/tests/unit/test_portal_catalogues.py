"""Every label comes from one catalogue per language, and the two catalogues say the same things."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path

import pytest

import planspor_shared.events.base as base_events
import planspor_shared.events.cocreation as cocreation_events
import planspor_shared.events.plan_registry as plan_registry_events
from portal.client import GRAPH_LABELS
from portal.i18n import LANGUAGES, MESSAGES, PLACEHOLDER, catalogue
from portal.pages import PAGES
from portal.views.plan_system import TYPE_ORDER
from portal.views.timeline import STAGES

pytestmark = pytest.mark.unit

PORTAL = Path(__file__).resolve().parents[2] / "src" / "portal"
SAME_IN_BOTH = {
    "language.switch_to.en",
    "language.switch_to.nb",
    "format.hybrid",
    "label.Plan",
    "plans.status",
    "plans.col.type",
    "plans.col.status",
    "follow_up.col.status",
    "strategies.col.status",
    "strategy.status",
    "strategy.col.plan",
    "explore.id",
    "operations.col.id",
    "operations.col.status",
    "plan_system.goal_plans.one",
}
"""Words that are the same in bokmål and English; any other label must differ, or it was not translated."""
VOCABULARIES = {
    "plan_type": base_events.PlanType,
    "body": base_events.Body,
    "action": base_events.StrategyAction,
    "plan_status": plan_registry_events.PlanStatus,
    "outcome": plan_registry_events.DecisionOutcome,
    "origin": plan_registry_events.ItemOrigin,
    "assessment": plan_registry_events.KommuneplanAssessment,
    "input_kind": cocreation_events.InputKind,
    "phase": cocreation_events.ProcessPhase,
    "format": cocreation_events.WorkshopFormat,
    "method": cocreation_events.PrioritisationMethod,
    "participant_kind": cocreation_events.ParticipantKind,
}


def raw(language: str) -> dict[str, str]:
    return json.loads((MESSAGES / f"{language}.json").read_text(encoding="utf-8"))


def test_both_catalogues_have_the_same_keys_and_placeholders():
    nb, en = catalogue("nb").messages, catalogue("en").messages
    assert set(nb) == set(en), set(nb) ^ set(en)
    for key in nb:
        assert set(PLACEHOLDER.findall(nb[key])) == set(PLACEHOLDER.findall(en[key])), key
        assert nb[key].strip() and en[key].strip(), key


def test_a_label_the_same_in_both_languages_is_one_of_the_known_words():
    nb, en = catalogue("nb").messages, catalogue("en").messages
    same = {key for key in nb if nb[key] == en[key]}
    assert same == SAME_IN_BOTH, same ^ SAME_IN_BOTH


def test_every_key_a_template_or_page_asks_for_is_in_the_catalogue():
    asked = set()
    for path in [*PORTAL.glob("templates/**/*.html"), *PORTAL.glob("web/*.py")]:
        text = path.read_text(encoding="utf-8")
        asked |= set(re.findall(r"""v\.t\(['"]([a-z_]+\.[a-zA-Z0-9_.]*[a-zA-Z0-9])['"]""", text))
        asked |= set(re.findall(r"""["']((?:error|sign_in|operations|cypher)\.[a-z_]*[a-z])["']""", text))
    missing = {key for key in asked if not key.endswith(".html")} - set(catalogue("nb").messages)
    assert not missing, missing


def test_every_key_built_from_a_value_is_there_for_every_value():
    messages = catalogue("nb").messages
    built = {
        "nav": [p.key for p in PAGES.values() if p.in_navigation],
        "stage": STAGES,
        "role": ["operator", "planner", "facilitator", "analyst", "auditor"],
        "label": GRAPH_LABELS,
        "plan_type_about": TYPE_ORDER,
        "plan_type_basis": TYPE_ORDER,
        "language.switch_to": LANGUAGES,
        "count": ["plans", "goals", "strategies", "decisions", "processes", "workshops", "inputs"],
        "forward.outcome": ["adopted", "pending", "dropped"],
        "milestone.state": ["done", "stopped", "waiting"],
        "error.title": ["401", "403", "404", "503", "other"],
        **{
            f"milestone.{m}": ["stopped", "waiting"]
            for m in ("prioritisation", "recommendation", "strategy", "adoption")
        },
        "forward.stage": [
            "input",
            "proposed",
            "in_prioritisation",
            "prioritised",
            "recommended",
            "in_strategy",
            "adopted",
            "workshop",
            "prioritisation",
            "recommendation",
            "strategy",
        ],
        "operations": ["origin_stream", "origin_feeds"],
        "sign_in.reason": ["expired", "signed_out"],
        "month": [str(n) for n in range(1, 13)],
    }
    missing = [
        f"{prefix}.{value}"
        for prefix, values in built.items()
        for value in values
        if f"{prefix}.{value}" not in messages
    ]
    assert not missing, missing


@pytest.mark.parametrize("kind", sorted(VOCABULARIES))
def test_every_value_of_the_shared_vocabulary_has_a_label_in_both_languages(kind):
    enum: type[StrEnum] = VOCABULARIES[kind]
    for language in LANGUAGES:
        labels = catalogue(language)
        missing = [member.value for member in enum if not labels.has(f"{kind}.{member.value}")]
        assert not missing, (language, kind, missing)


def test_dates_are_written_as_each_language_writes_them():
    assert catalogue("nb").date("2022-04-29") == "29. april 2022"
    assert catalogue("en").date("2022-04-29") == "29 April 2022"
    assert catalogue("nb").datetime("2026-12-01T23:20:13+00:00") == "1. desember 2026 kl. 23:20"
    assert catalogue("nb").number(1890) == "1\u00a0890" and catalogue("en").number(1890) == "1,890"
    assert catalogue("en").vocab("plan_type", "a_type_from_the_future") == "a_type_from_the_future"


def test_the_catalogue_files_carry_no_key_twice():
    for language in LANGUAGES:
        pairs = json.loads((MESSAGES / f"{language}.json").read_text(encoding="utf-8"), object_pairs_hook=list)
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), language
