"""What every page needs: who is looking (session, role, language), the platform as they may see it,
rendering with the catalogue, and the house rules for errors.

Errors: a service's 401 sends the user to sign in again (the token is gone or no longer known);
a 403 is shown as "not for your role" with the service's reason; a 404 is the portal's 404; a
service that cannot be reached is a 503 naming it. A page never shows a stack trace.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from planspor_runtime.access import Role
from portal.client import Platform, ServiceError, Services
from portal.i18n import HTML_LANG, LANGUAGES, Catalogue, catalogue
from portal.pages import PAGES, may, navigation
from portal.session import CSRF_FIELD, CSRF_HEADER, LANGUAGE_COOKIE, Session, csrf_ok


class PortalError(Exception):
    """A page cannot be shown; ``status`` and a catalogue ``message`` key say why."""

    def __init__(self, status: int, message: str, detail: str | None = None, **values: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.detail, self.values = status, message, detail, values


class SignInRequired(Exception):
    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "")
        self.reason = reason


@dataclass
class Viewer:
    request: Request
    session: Session
    language: str
    catalogue: Catalogue

    @property
    def role(self) -> str | None:
        return self.session.role if self.session.signed_in else None

    def may(self, roles: frozenset[Role]) -> bool:
        return may(self.role, roles)

    def t(self, key: str, **values: Any) -> str:
        return self.catalogue.t(key, **values)

    def count(self, key: str, n: int, **values: Any) -> str:
        return self.catalogue.count(key, n, **values)

    def vocab(self, kind: str, value: Any) -> str:
        return self.catalogue.vocab(kind, value)

    def date(self, value: Any) -> str:
        return self.catalogue.date(value)

    def datetime(self, value: Any) -> str:
        return self.catalogue.datetime(value)

    def number(self, value: Any) -> str:
        return self.catalogue.number(value)

    @property
    def csrf(self) -> str:
        return self.session.csrf

    @property
    def navigation(self) -> list:
        return navigation(self.role)

    @property
    def html_lang(self) -> str:
        return HTML_LANG[self.language]

    @property
    def other_languages(self) -> list[str]:
        return [lang for lang in LANGUAGES if lang != self.language]

    @property
    def here(self) -> str:
        url = self.request.url
        return url.path + (f"?{url.query}" if url.query else "")


def viewer(request: Request) -> Viewer:
    state = request.app.state
    session: Session = request.state.session
    language = request.cookies.get(LANGUAGE_COOKIE) or state.settings.portal_default_language
    if language not in LANGUAGES:
        language = state.settings.portal_default_language
    return Viewer(request, session, language, catalogue(language))


def platform(request: Request) -> Platform:
    services: Services = request.app.state.services
    return services.as_user(request.state.session.token)


def require(page_key: str):
    """A route dependency: signed in, and the role is offered the page."""
    page = PAGES[page_key]

    def check(request: Request) -> Viewer:
        seen = viewer(request)
        if not seen.session.signed_in:
            raise SignInRequired()
        if not seen.may(page.roles):
            raise PortalError(403, "error.role", roles=", ".join(sorted(seen.t(f"role.{r.value}") for r in page.roles)))
        return seen

    return check


async def check_csrf(request: Request) -> None:
    """Every request that changes something carries the session's CSRF token (form field or header)."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None  # an uploaded file is no token
    if not csrf_ok(request.state.session, sent):
        raise PortalError(403, "error.csrf")


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    seen = context.pop("v", None) or viewer(request)
    started = time.perf_counter()
    response = templates.TemplateResponse(request, template, {"v": seen, **context}, status_code=status_code)
    request.state.render_seconds = time.perf_counter() - started
    return response


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def sign_in_redirect(request: Request, reason: str | None = None) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/sign-in?next={quote(target, safe='')}" + (f"&reason={reason}" if reason else "")
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def raise_for(error: ServiceError) -> NoReturn:
    """A service's answer that ends the page (the main question could not be answered)."""
    if error.status == 401:
        raise SignInRequired("expired")
    if error.status == 403:
        raise PortalError(403, "error.service_role", error.detail, service=error.service)
    if error.status == 404:
        raise PortalError(404, "error.not_found", error.detail)
    if error.status >= 500:
        raise PortalError(503, "error.unavailable", error.detail, service=error.service)
    raise PortalError(error.status, "error.refused", error.detail, service=error.service)


def value(result: Any) -> Any:
    """The result of a call made with ``client.gather``: the value, or the end of the page."""
    if isinstance(result, ServiceError):
        raise_for(result)
    return result


def safe_next(target: str | None) -> str:
    """Only a path of this site (no scheme, no host, no protocol-relative ``//``) may be a redirect target."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
