"""The HTTP API: one module per resource (``goals``, ``indicators``, ``plans``, ``decisions``,
``strategies``), the reads every kind shares (``reads``), and ``create_api`` (``app``); the operator's routes
(``/healthz``, ``/readyz``, ``/health``, ``/metrics``) come from the runtime (``planspor_runtime.operations``)."""

from plan_registry.api.app import create_api

__all__ = ["create_api"]
