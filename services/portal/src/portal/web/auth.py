"""Sign in with a token, sign out, and the choice of language.

The token names its role through the same token list the services use (``PLANSPOR_TOKENS``,
hashes only); the portal keeps the token in the encrypted session cookie and sends it on each
call. In development the page lists the development tokens (``dev-<role>-token``); outside
development they are refused by the settings, so they can never be listed there.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from planspor_runtime.access import DEVELOPMENT_TOKENS, Role
from portal.i18n import LANGUAGES
from portal.session import LANGUAGE_COOKIE, Session
from portal.web.context import check_csrf, render, safe_next

router = APIRouter()


def _sign_in_page(
    request: Request, status_code: int = 200, error: str | None = None, next_path: str = "/", reason: str | None = None
) -> Response:
    settings = request.app.state.settings
    tokens = [(role.value, DEVELOPMENT_TOKENS[role]) for role in Role] if settings.development else []
    return render(
        request,
        "sign_in.html",
        status_code=status_code,
        error=error,
        next_path=safe_next(next_path),
        development_tokens=tokens,
        reason=reason if reason in {"expired", "signed_out"} else None,
    )


@router.get("/sign-in")
async def sign_in_form(request: Request, next: str = "/", reason: str | None = None) -> Response:
    return _sign_in_page(request, next_path=next, reason=reason)


@router.post("/sign-in", dependencies=[Depends(check_csrf)])
async def sign_in(request: Request, token: str = Form(default=""), next: str = Form(default="/")) -> Response:
    principal = request.app.state.access.principal(f"Bearer {token.strip()}") if token.strip() else None
    if principal is None:
        return _sign_in_page(request, status_code=401, error="sign_in.unknown_token", next_path=next)
    request.state.session = Session(token=token.strip(), role=principal.role.value, name=principal.name)
    request.state.session_changed = True
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/sign-out", dependencies=[Depends(check_csrf)])
async def sign_out(request: Request) -> Response:
    request.state.session = Session()
    request.state.session_changed = True
    return RedirectResponse("/sign-in?reason=signed_out", status_code=303)


@router.get("/language/{language}")
async def choose_language(request: Request, language: str, next: str = "/") -> Response:
    """A link, not a form: it changes only how this browser's pages read, nothing on the platform."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            max_age=365 * 24 * 3600,
            samesite="lax",
            httponly=True,
            secure=request.app.state.settings.cookie_secure,
            path="/",
        )
    return response
