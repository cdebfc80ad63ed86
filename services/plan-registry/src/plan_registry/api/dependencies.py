"""The register's roles for its routes: planners write (and are the actor of what they write),
analysts and auditors read. Tokens to roles, ``Meta`` and ``If-Match`` are ``planspor_runtime.http``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from plan_registry.application import PlanRegistry
from planspor_runtime.access import Role
from planspor_runtime.http import OPERATE, ExpectedVersion, application_of, meta_of, role_guard
from planspor_shared.meta import Meta

READ = role_guard(Role.PLANNER, Role.ANALYST, Role.AUDITOR)
Registry = Annotated[PlanRegistry, Depends(application_of)]
PlannerMeta = Annotated[Meta, meta_of(Role.PLANNER)]
__all__ = ["OPERATE", "READ", "Registry", "PlannerMeta", "ExpectedVersion"]
