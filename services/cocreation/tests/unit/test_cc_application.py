"""The application suite on the in-memory store."""

import pytest
from cc_app_suite import ApplicationSuite

from cocreation.application import in_memory

pytestmark = pytest.mark.unit


class TestApplicationInMemory(ApplicationSuite):
    def make_app(self, clock):
        return in_memory(clock=clock)
