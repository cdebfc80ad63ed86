"""The application suite on the in-memory store."""

import pytest
from pr_app_suite import ApplicationSuite

from plan_registry.application import PlanRegistry

pytestmark = pytest.mark.unit


class TestApplicationInMemory(ApplicationSuite):
    def make_app(self) -> PlanRegistry:
        return PlanRegistry(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
