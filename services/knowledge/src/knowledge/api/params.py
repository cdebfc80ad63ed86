"""What the query routes share: the driver they read with and the ``as_of`` every query takes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import neo4j
from fastapi import Depends, Query

from knowledge.graph.queries.rules import parse_as_of
from planspor_runtime.problems import FieldError, ProblemError

DriverProvider = Callable[[], neo4j.AsyncDriver]
"""Gives the service's driver when a request needs it."""

AS_OF_EXAMPLE = "e.g. 2024-06-30 or 2024-06-30T12:00:00Z"
AS_OF_HELP = f"answer as of this instant (ISO date or datetime, {AS_OF_EXAMPLE}; no zone = UTC)"


def as_of_parameter(as_of: str | None = Query(default=None, description=AS_OF_HELP)) -> datetime | None:
    """``?as_of=``: None (now) or the instant in UTC; a malformed one is 422 on the parameter (not echoed)."""
    try:
        return parse_as_of(as_of)
    except ValueError:
        message = f"an ISO date or datetime, {AS_OF_EXAMPLE}"
        raise ProblemError(
            422,
            f"as_of must be {message}",
            name="validation",
            rule="request.as_of",
            errors=[FieldError(pointer="#", location="query.as_of", detail=message)],
        ) from None


AsOf = Annotated[datetime | None, Depends(as_of_parameter)]
