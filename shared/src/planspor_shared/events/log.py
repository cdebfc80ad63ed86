"""Events of a source's log itself, not of its domain: published by every source the same way.

They are not in the catalogue (``REGISTRY``) because a catalogue model belongs to one
source; a consumer recognises them by ``event_type`` (``LOG_EVENT_TYPES``) and reads the
payload with the model here.

``key.rotated``: the source hands its signing over to a new key. The event is signed with
the key in force (the previous one), so whoever trusts the previous key can trust the new
one; from ``from_position`` on every event is signed by the new key. The relay issues it
when it is started with a new key and the previous key beside it.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

VerifierKeyText = Annotated[
    str,
    Field(
        max_length=300,
        pattern=r"^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$",
        examples=["planspor.localhost/plan-registry+1a2b3c4d+AX...="],
    ),
]
"""A C2SP verifier key: ``<key name>+<hex key id>+<base64(0x01 || Ed25519 public key)>``."""


class KeyRotated(BaseModel):
    """The signing key of the source changes at ``from_position``; signed by ``previous_key``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str] = "key.rotated"
    schema_version: ClassVar[int] = 1

    key: VerifierKeyText
    previous_key: VerifierKeyText
    from_position: int = Field(ge=2)


LOG_EVENT_TYPES = frozenset({KeyRotated.event_type})
