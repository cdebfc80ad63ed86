"""Loads the Bærum 2024-2027 scenario into a running platform through the services' HTTP APIs only.

Guarantees:
- nothing is written to a store or the graph directly: every fact is a command to a service;
- idempotent: every POST carries an ``Idempotency-Key`` derived from the scenario's keys, and ids the
  loader chooses (evidence, external inputs) are uuid5 of those keys, so a second run acts on nothing
  and returns the same ids;
- the strategy is drafted by plan-registry's reaction to co-creation's ``recommendation.issued`` (through
  NATS): the loader waits for it, as it waits for co-creation's plan catalogue before naming plans in inputs;
- it ends by waiting until the knowledge graph has applied every event both sources published.

The run is a ``Loader`` (``loader``) made of its steps: the plumbing (``session``), the plan register
before the period (``register``), co-creation (``cocreation``) and the formal track (``formal``).
"""

from planspor_cli.demo.loader import Loader
from planspor_cli.demo.session import NAMESPACE, SCENARIO, LoadReport, load_scenario, wait_for

__all__ = ["NAMESPACE", "SCENARIO", "LoadReport", "Loader", "load_scenario", "wait_for"]
