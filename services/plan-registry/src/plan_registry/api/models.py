"""What every resource's routes share: the base of request bodies, text fields, and the answers."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4, uuid5

from fastapi import Response
from pydantic import BaseModel, ConfigDict, Field

from plan_registry.domain import NAMESPACE
from planspor_runtime.application import CommandResult
from planspor_runtime.http import answer


class CommandAnswer(BaseModel):
    """The id the command created or changed, and the aggregate's version after it (its ETag)."""

    id: UUID
    version: int = Field(examples=[3])

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"id": "0d9d6c6e-4c55-4f0e-9a43-3e3bd0d6a1b2", "version": 1}]}
    )


class HistoryEvent(BaseModel):
    """One stored domain event of an aggregate, as an auditor reads it."""

    aggregate_id: str
    type: str = Field(examples=["Plan.StatusChanged"])
    version: int
    timestamp: str
    actor: dict[str, str] | None
    correlation_id: str | None
    causation_id: str | None
    data: dict[str, Any]


def answered(result: CommandResult, response: Response) -> CommandAnswer:
    """The command's answer, with ``ETag`` set to the version it recorded."""
    answer(result, response)
    return CommandAnswer(id=result.id, version=result.version)


def new_id(idempotency_key: str | None) -> UUID:
    """The id of a part the server makes (an item, an input, a piece of evidence) when the caller names
    none: derived from the Idempotency-Key when one is sent, so a retry is the same request and names the
    same part; random otherwise."""
    return uuid5(NAMESPACE, f"made-by-key:{idempotency_key}") if idempotency_key else uuid4()
