"""Wiring: settings -> application, access, HTTP API (its errors as problem details, the
domain's refusals among them), feed, and (when enabled) the relay and the plan-catalogue
subscriber. Tests pass their own settings or application."""

from __future__ import annotations

from cocreation.api import create_api
from cocreation.application import CocreationApplication
from cocreation.contracts import map_event
from cocreation.domain import DomainError
from cocreation.messaging import PLAN_CATALOGUE
from cocreation.settings import Settings
from planspor_runtime.service import Service, Wiring

SOURCE = Settings.source
WIRING = Wiring(CocreationApplication, create_api, map_event, refusals=(DomainError,), reactions=(PLAN_CATALOGUE,))
__all__ = ["SOURCE", "WIRING", "Service", "build"]


def build(settings: Settings | None = None, application: CocreationApplication | None = None) -> Service:
    return WIRING.build(settings or Settings(), application)
