"""The session cookie: the signed-in user's token, role and name, and the CSRF token of their forms.

The cookie is encrypted and signed (Fernet: AES-CBC + HMAC-SHA256, with its issue time), so the
token is neither readable nor changeable by whoever holds the cookie; it is ``HttpOnly`` (no
script reads it), ``SameSite=Strict`` (no other site's page sends it) and ``Secure`` outside
development. A sign-in lasts ``PORTAL_SESSION_MAX_AGE`` seconds from the moment it was made;
using the portal does not extend it.

Every form that changes something carries the session's CSRF token (a hidden field, or the
``X-CSRF-Token`` header htmx sends); ``check_csrf`` refuses a request without the right one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass, field

from cryptography.fernet import Fernet, InvalidToken

COOKIE = "planspor_session"
LANGUAGE_COOKIE = "planspor_language"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class Session:
    csrf: str = field(default_factory=new_csrf)
    token: str | None = None
    role: str | None = None
    name: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.token is not None


class SessionCodec:
    def __init__(self, secret: str, max_age: int) -> None:
        key = base64.urlsafe_b64encode(hashlib.sha256(("planspor-portal-session:" + secret).encode()).digest())
        self._fernet = Fernet(key)
        self.max_age = max_age

    def encode(self, session: Session) -> str:
        return self._fernet.encrypt(json.dumps(asdict(session)).encode()).decode()

    def decode(self, cookie: str | None) -> Session | None:
        """The session, or None when the cookie is absent, altered, from another secret or too old."""
        if not cookie:
            return None
        try:
            data = json.loads(self._fernet.decrypt(cookie.encode(), ttl=self.max_age))
            return Session(**{k: data.get(k) for k in ("csrf", "token", "role", "name")})
        except (InvalidToken, ValueError, TypeError):
            return None


def csrf_ok(session: Session, sent: str | None) -> bool:
    if not sent or not session.csrf:
        return False
    return hmac.compare_digest(session.csrf, sent)
