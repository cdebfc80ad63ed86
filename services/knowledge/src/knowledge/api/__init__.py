"""The HTTP API: one module per resource, assembled by ``app.create_app``.

``operations`` (health, rebuild), ``dead_letters`` (list, one, replay), ``export`` (checksum,
PROV), ``trace``, ``plans`` (plan lists and counts), ``compliance``, ``follow_up``, ``cypher``; ``params``
(``as_of`` and ``known_at``), ``problems`` (the error bodies).
"""

from knowledge.api.app import create_app, query_router

__all__ = ["create_app", "query_router"]
