"""What a route of this service takes from its app: the application, and who may call it.

The mechanism (tokens to roles, the command's ``Meta``, ``If-Match``) is the runtime's
(``planspor_runtime.http``); this module only names this service's roles. Every route
declares them, so none is reachable without.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cocreation.application import CocreationApplication
from planspor_runtime.access import Role
from planspor_runtime.http import ExpectedVersion, meta_of, role_guard
from planspor_shared.meta import Meta

READERS = (Role.FACILITATOR, Role.ANALYST, Role.AUDITOR)
"""Reads: facilitators, analysts and auditors."""
WRITERS = (Role.FACILITATOR,)
"""Commands: facilitators only; the caller becomes the actor of the events."""


def cocreation(request: Request) -> CocreationApplication:
    application: CocreationApplication = request.app.state.application
    return application


Cocreation = Annotated[CocreationApplication, Depends(cocreation)]
FacilitatorMeta = Annotated[Meta, meta_of(*WRITERS)]
READ = role_guard(*READERS)
OPERATE = role_guard(Role.OPERATOR)
__all__ = ["OPERATE", "READ", "READERS", "WRITERS", "Cocreation", "FacilitatorMeta", "ExpectedVersion"]
