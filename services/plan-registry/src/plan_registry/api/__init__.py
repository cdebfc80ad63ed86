"""The HTTP API: one module per resource (``goals``, ``indicators``, ``plans``, ``decisions``,
``strategies``), the reads every kind shares (``reads``), health, and ``create_api`` (``app``)."""

from plan_registry.api.app import create_api

__all__ = ["create_api"]
