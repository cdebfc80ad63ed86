"""Who may call a co-creation route, and the application it gets (the mechanism: ``planspor_runtime.http``).

Facilitators run the process (the caller becomes the actor of the events); analysts and
auditors read it too."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Response

from cocreation.application import CocreationApplication
from cocreation.application.views import PartsOfProcess
from planspor_runtime.access import Role
from planspor_runtime.http import OPERATE, ExpectedVersion, application_of, meta_of, role_guard
from planspor_runtime.paging import PageRequest, cursor_refused
from planspor_shared.meta import Meta

READ = role_guard(Role.FACILITATOR, Role.ANALYST, Role.AUDITOR)
Cocreation = Annotated[CocreationApplication, Depends(application_of)]
FacilitatorMeta = Annotated[Meta, meta_of(Role.FACILITATOR)]
__all__ = ["OPERATE", "READ", "Cocreation", "FacilitatorMeta", "ExpectedVersion"]


def parts_page(
    app: CocreationApplication,
    process_id: str,
    what: PartsOfProcess,
    page: PageRequest,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    """A page of a process's workshops, inputs, plan needs or prioritisations (``planspor_runtime.paging``); the
    cursor is the id of the last one served and belongs to that process's list."""
    kind = f"processes/{process_id}/{what}"
    try:
        items, last = app.page_of(process_id, what, limit=page.limit, after=page.after_text(kind))
    except LookupError:
        raise cursor_refused("names no item of this list") from None
    return page.answer(request, response, kind, items, last)
