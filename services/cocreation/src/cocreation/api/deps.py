"""What every route of the API takes from FastAPI's dependencies: the application and the caller.

Routes are module-level functions; the application and the token check come from the
app's state (``create_api`` puts them there), so a router needs no closure. A route
declares the roles it lets through by the type of its ``caller`` parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from planspor_runtime.access import Access, Principal, Role
from planspor_runtime.application import CommandResult
from planspor_runtime.http import answer, etag

from cocreation.application import CocreationApplication

READ_ROLES = (Role.FACILITATOR, Role.ANALYST, Role.AUDITOR)


def application(request: Request) -> CocreationApplication:
    app: CocreationApplication = request.app.state.application
    return app


def caller(*roles: Role) -> Callable[[Request], Principal]:
    """A dependency letting only ``roles`` through: 401 without a known token, 403 with another role."""

    def dependency(request: Request) -> Principal:
        access: Access = request.app.state.access
        principal: Principal = access.require(*roles)(request)
        return principal

    return dependency


App = Annotated[CocreationApplication, Depends(application)]
Facilitator = Annotated[Principal, Depends(caller(Role.FACILITATOR))]
"""Commands: the facilitator of co-creation, recorded as the actor of what the command stores."""
Reader = Annotated[Principal, Depends(caller(*READ_ROLES))]
Operator = Annotated[Principal, Depends(caller(Role.OPERATOR))]


def created(result: CommandResult, response: Response) -> dict[str, Any]:
    """A command's answer: the ids it made or changed, and the version it recorded (also the ``ETag``)."""
    answer(result, response)
    return {**result.extra, "version": result.version}


def viewed(view: dict[str, Any], response: Response) -> dict[str, Any]:
    """A read of one aggregate: its view, with its version as the ``ETag`` (what ``If-Match`` sends back)."""
    etag(response, int(view["version"]))
    return view
