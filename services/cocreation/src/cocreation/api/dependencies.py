"""Who may call a co-creation route, and the application it gets (the mechanism: ``planspor_runtime.http``).

Facilitators run the process (the caller becomes the actor of the events); analysts and
auditors read it too."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cocreation.application import CocreationApplication
from planspor_runtime.access import Role
from planspor_runtime.http import OPERATE, ExpectedVersion, application_of, meta_of, role_guard
from planspor_shared.meta import Meta

READ = role_guard(Role.FACILITATOR, Role.ANALYST, Role.AUDITOR)
Cocreation = Annotated[CocreationApplication, Depends(application_of)]
FacilitatorMeta = Annotated[Meta, meta_of(Role.FACILITATOR)]
__all__ = ["OPERATE", "READ", "Cocreation", "FacilitatorMeta", "ExpectedVersion"]
