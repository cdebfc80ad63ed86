"""Who a client is on the bus and where the bus is: settings in, nats-py connect options out.

Every connection to NATS (the relay, the reactions, the knowledge projector and its
rebuild, the stack's own tools) is made from one ``NatsAccess``, so that every client
authenticates the same way (design.md, "Access": each service has its own NATS
credentials and may publish only on its own subjects). Three rules live here:

- ``NATS_URL`` may name several servers, comma-separated (a cluster); a client tries
  them all and fails over between them.
- ``NATS_USER``/``NATS_PASSWORD`` are the client's own credentials. A URL may carry
  credentials instead (``nats://user:password@host:4222``, as the test fixtures do).
- A client with a user name takes its replies on ``_INBOX.<user>.>``, so the server
  can let each service read its own replies and nobody else's.

Outside development the credentials are required (``check_credentials``), like every
other secret. Nothing here ever puts a password in a log line: ``display`` is the
only form meant for humans.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "nats://127.0.0.1:4222"
DEFAULT_INBOX = "_INBOX"
PLACEHOLDER_PASSWORDS = frozenset({"", "planspor-dev", "changeme", "password", "nats"})
_USER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def split_servers(url: str | Sequence[str]) -> list[str]:
    """``"nats://a:4222, nats://b:4222"`` or a list of URLs -> the list of server URLs."""
    parts = url.split(",") if isinstance(url, str) else [u for item in url for u in item.split(",")]
    servers = [part.strip() for part in parts if part.strip()]
    if not servers:
        raise ValueError("NATS_URL names no server: give one URL, or several separated by commas")
    return servers


def without_credentials(url: str) -> str:
    """The URL with any ``user:password@`` taken out: the only form of a server URL a log may show."""
    parts = urlsplit(url if "://" in url else f"nats://{url}")
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def check_credentials(env: str, user: str | None, password: str | None, url: str = "") -> None:
    """Outside development a service must say who it is on the bus, with a real password."""
    if env == "development":
        return
    embedded = all(urlsplit(s if "://" in s else f"nats://{s}").password for s in split_servers(url or DEFAULT_URL))
    if embedded and not user:
        return
    if not user or password is None or password.strip() in PLACEHOLDER_PASSWORDS:
        raise ValueError(
            f"NATS_USER and NATS_PASSWORD are required (and may not be a placeholder) "
            f"while PLANSPOR_ENV={env}: each service has its own NATS credentials"
        )


class NatsSettings(Protocol):
    """What ``NatsAccess.from_settings`` reads of a service's settings."""

    nats_url: str
    nats_user: str | None
    nats_password: str | None
    nats_stream_replicas: int


@dataclass(frozen=True, repr=False)
class NatsAccess:
    """The bus as one client sees it: servers, its own credentials, and the stream's replicas."""

    url: str = DEFAULT_URL
    """One server URL or several, comma-separated (``NATS_URL``)."""
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    stream_replicas: int = 1
    """How many servers keep a copy of the stream when a client has to create it (``NATS_STREAM_REPLICAS``)."""

    def __post_init__(self) -> None:
        split_servers(self.url)
        if self.user is not None and not _USER.match(self.user):
            raise ValueError(f"NATS user {self.user!r} must be 1-64 letters, digits, '_' or '-' (it names the inbox)")
        if not 1 <= self.stream_replicas <= 5:
            raise ValueError(f"NATS_STREAM_REPLICAS={self.stream_replicas}: JetStream keeps 1 to 5 replicas")

    @classmethod
    def of(cls, target: NatsTarget) -> NatsAccess:
        """A plain URL (or list of URLs) is access with whatever credentials the URLs carry."""
        if isinstance(target, NatsAccess):
            return target
        return cls(url=",".join(split_servers(target)))

    @classmethod
    def from_settings(cls, settings: NatsSettings) -> NatsAccess:
        """From a service's settings (an empty user or password is none)."""
        return cls(
            url=settings.nats_url,
            user=settings.nats_user or None,
            password=settings.nats_password or None,
            stream_replicas=settings.nats_stream_replicas,
        )

    @property
    def servers(self) -> list[str]:
        """The server URLs to connect to; with a user of its own, without the credentials a URL may carry."""
        servers = split_servers(self.url)
        return [without_credentials(s) for s in servers] if self.user else servers

    @property
    def identity(self) -> str | None:
        """Who this client is: the user, or the user the URLs carry."""
        if self.user:
            return self.user
        return urlsplit(split_servers(self.url)[0]).username or None

    @property
    def inbox_prefix(self) -> str:
        """Replies come to ``_INBOX.<user>``: the server allows each user to read its own inbox only."""
        return f"{DEFAULT_INBOX}.{self.identity}" if self.identity else DEFAULT_INBOX

    def connect_options(self, name: str | None = None) -> dict[str, Any]:
        """Keyword arguments for ``nats.connect``."""
        options: dict[str, Any] = {"servers": self.servers, "inbox_prefix": self.inbox_prefix}
        if self.user:
            options.update(user=self.user, password=self.password or "")
        if name:
            options["name"] = name
        return options

    def broker_options(self, name: str | None = None) -> dict[str, Any]:
        """Keyword arguments for faststream's ``NatsBroker`` (it takes credentials as a security object)."""
        from faststream.nats.security import NatsUserPassword

        options: dict[str, Any] = {"servers": self.servers, "inbox_prefix": self.inbox_prefix}
        if self.user:
            options["security"] = NatsUserPassword(self.user, self.password or "")
        if name:
            options["name"] = name
        return options

    @property
    def subscriber_inbox_prefix(self) -> bytes:
        """faststream's pull subscribers make their own inboxes: ``<inbox_prefix>.``."""
        return f"{self.inbox_prefix}.".encode()

    def display(self) -> str:
        """Servers and user for a log line: never a password."""
        servers = ",".join(without_credentials(s) for s in split_servers(self.url))
        return f"{servers} as {self.identity}" if self.identity else servers

    def __str__(self) -> str:
        return self.display()

    def __repr__(self) -> str:
        return f"NatsAccess({self.display()!r}, stream_replicas={self.stream_replicas})"


NatsTarget = str | Sequence[str] | NatsAccess
"""What a connect site accepts: a URL, a list of URLs, or access with credentials."""


async def connect(target: NatsTarget, *, name: str | None = None, **options: Any):
    """``nats.connect`` with the client's own credentials and inbox."""
    import nats

    return await nats.connect(**NatsAccess.of(target).connect_options(name=name), **options)
