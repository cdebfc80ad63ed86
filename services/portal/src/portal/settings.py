"""The one place the portal reads its configuration from the environment (style.md: one Settings per deployable).

The portal holds no data of its own: it needs the three services' URLs, the same token list
as the services (to name the role of whoever signs in; the services still decide every
call), and a secret for its session cookie. Outside development a placeholder secret or a
development token stops it from starting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from planspor_runtime.access import Access, check_not_placeholder, parse_tokens

DEVELOPMENT_SECRET = "dev-portal-session-secret"
PLACEHOLDER_SECRETS = frozenset({"", DEVELOPMENT_SECRET, "changeme", "secret"})


class Settings(BaseSettings):
    """PLANSPOR_ENV, PLANSPOR_TOKENS, the services' URLs and PORTAL_*."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    planspor_env: Literal["development", "production"] = "development"
    planspor_tokens: str | None = None
    """The services' token list (JSON of sha256, role, name); empty = the development tokens."""
    plan_registry_url: str = "http://127.0.0.1:8001"
    cocreation_url: str = "http://127.0.0.1:8002"
    knowledge_url: str = "http://127.0.0.1:8003"
    portal_host: str = "127.0.0.1"
    portal_port: int = 8004
    portal_session_secret: str = DEVELOPMENT_SECRET
    """Key of the encrypted, signed session cookie (it carries the user's token)."""
    portal_session_max_age: int = Field(default=8 * 3600, ge=60)
    """Seconds a sign-in lasts."""
    portal_cookie_secure: bool | None = None
    """Send cookies over HTTPS only; default: on outside development."""
    portal_api_timeout: float = Field(default=30.0, gt=0)
    """Seconds the portal waits for a service (a rebuild may take longer: PORTAL_REBUILD_TIMEOUT)."""
    portal_rebuild_timeout: float = Field(default=900.0, gt=0)
    portal_assets_dir: Path | None = None
    """The folder holding node_modules/ (htmx.org, cytoscape); default: the checkout's."""
    portal_default_language: Literal["nb", "en"] = "nb"

    @model_validator(mode="after")
    def _no_placeholders_outside_development(self) -> Settings:
        check_not_placeholder(parse_tokens(self.planspor_tokens), self.planspor_env)
        if self.planspor_env != "development" and self.portal_session_secret in PLACEHOLDER_SECRETS:
            raise ValueError(
                "PORTAL_SESSION_SECRET is a placeholder while PLANSPOR_ENV is not development: "
                "set it to a long random value"
            )
        return self

    @property
    def development(self) -> bool:
        return self.planspor_env == "development"

    @property
    def cookie_secure(self) -> bool:
        return (not self.development) if self.portal_cookie_secure is None else self.portal_cookie_secure

    def access(self) -> Access:
        return Access(parse_tokens(self.planspor_tokens))
