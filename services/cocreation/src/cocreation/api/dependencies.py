"""What a route takes from the app it runs in: the application, the caller's role, the command's
``Meta`` and the version the caller read.

``create_api`` keeps the application and the access rules on ``app.state``; the routes,
module-level functions, reach them through these dependencies, so every route declares
its roles and none is reachable without.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from planspor_runtime.access import Access, Principal, Role
from planspor_runtime.http import IfMatch, command_meta, expected_version
from planspor_shared.meta import Meta

from cocreation.application import CocreationApplication

READERS = (Role.FACILITATOR, Role.ANALYST, Role.AUDITOR)
WRITERS = (Role.FACILITATOR,)
OPERATORS = (Role.OPERATOR,)


def cocreation(request: Request) -> CocreationApplication:
    application: CocreationApplication = request.app.state.application
    return application


def _caller(request: Request, roles: tuple[Role, ...]) -> Principal:
    """401 without a known token, 403 with a role not in ``roles``."""
    access: Access = request.app.state.access
    principal: Principal = access.require(*roles)(request)
    return principal


def reader(request: Request) -> Principal:
    """Reads: facilitators, analysts and auditors."""
    return _caller(request, READERS)


def operator(request: Request) -> Principal:
    """The service's own health: municipal IT."""
    return _caller(request, OPERATORS)


def facilitator_meta(request: Request) -> Meta:
    """Commands: facilitators only; the caller becomes the actor of the events, in the request's conversation."""
    return command_meta(request, _caller(request, WRITERS).as_actor())


def read_version(if_match: IfMatch = None) -> int | None:
    """The version named by ``If-Match`` (``*`` or none: any version)."""
    return expected_version(if_match)


Cocreation = Annotated[CocreationApplication, Depends(cocreation)]
FacilitatorMeta = Annotated[Meta, Depends(facilitator_meta)]
ExpectedVersion = Annotated[int | None, Depends(read_version)]
READ = [Depends(reader)]
OPERATE = [Depends(operator)]
