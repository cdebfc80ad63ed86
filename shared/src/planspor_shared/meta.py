"""Who caused a domain event and why: the actor, the conversation and the cause.

Every stored domain event carries one, and the service's contract mapping copies it
into the envelope (``actor``, ``correlation_id``, ``causation_id``). It lives in the
contracts because both domains record it the same way and the runtime stores it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    """A person with a role, or a service acting on a reaction (role ``system``)."""

    id: str
    name: str
    role: str

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "role": self.role}


@dataclass(frozen=True)
class Meta:
    actor: Actor
    correlation_id: str | None = None
    causation_id: str | None = None

    @classmethod
    def of(
        cls, actor: Mapping[str, str] | Actor, correlation_id: str | None = None, causation_id: str | None = None
    ) -> Meta:
        if not isinstance(actor, Actor):
            actor = Actor(id=str(actor["id"]), name=str(actor["name"]), role=str(actor["role"]))
        return cls(actor=actor, correlation_id=correlation_id, causation_id=causation_id)

    def caused_by(self, causation_id: str) -> Meta:
        """The same actor and conversation, caused by ``causation_id`` (which starts the conversation if none)."""
        return Meta(actor=self.actor, correlation_id=self.correlation_id or causation_id, causation_id=causation_id)

    def as_dict(self) -> dict[str, Any]:
        return {"actor": self.actor.as_dict(), "correlation_id": self.correlation_id, "causation_id": self.causation_id}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Meta:
        return cls.of(data["actor"], data.get("correlation_id"), data.get("causation_id"))
