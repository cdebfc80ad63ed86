"""Imported at the start of a knowledge process that has this folder on PYTHONPATH (the fault matrix's poison
row): the registry of integration events loses indicator.defined, as a knowledge older than the plan register
that publishes it would lack it. Each indicator.defined it consumes is a valid, signed envelope it cannot
apply: a dead letter with its reason, replayed by the operator once the knowledge that knows it runs."""

from planspor_shared.events import REGISTRY

REGISTRY._models.pop(("indicator.defined", 1), None)
