"""The documented maxima of the contracts: no input can make an event the bus cannot carry.

Every text field of every payload model (and of the envelope) has one of these maxima,
through the bounded types of ``planspor_shared.events.base`` (``Name``, ``Title``,
``Text``, ...); the services' request models use the same types, so the edge refuses
a too-long value with 422 naming the field and its limit before anything is stored.
A list has a maximum length too.

A payload of many fields each within its maximum could still add up to more than one
message should carry, so the whole envelope has a maximum as well
(``MAX_ENVELOPE_BYTES``): the application base of the services refuses a command whose
event would be larger (422, rule ``event.too_large``), and ``Envelope.from_json``
refuses a larger message. It is well below NATS's ``max_payload`` (1 MiB by default,
4 MiB in planspor's stack), so an event that was stored can always be published: a
relay never stalls on a message the broker refuses.

Lengths are in characters (what pydantic's ``max_length`` counts), sizes in bytes of
the canonical JSON (UTF-8).
"""

from __future__ import annotations

from typing import Final

ID_MAX: Final = 200
"""An identifier (a UUID in practice): ``Id``."""
LABEL_MAX: Final = 100
"""A short label or code: a party's abbreviation, a role, a legal basis (``PBL §11-1``), a period: ``Label``."""
REFERENCE_MAX: Final = 200
"""A case or archive number (saksnummer ``20/12345``), a document reference, a statistics table id: ``Reference``."""
NAME_MAX: Final = 300
"""A name: a person's, a body's, a unit's, a place's: ``Name``."""
TITLE_MAX: Final = 500
"""A title or subject: a plan's name, a goal, a decision's subject, a workshop, a timing: ``Title``."""
URL_MAX: Final = 2_000
"""A web address: ``Url``."""
TEXT_MAX: Final = 20_000
"""A text: a description, a rationale, a summary, an input, a note, a decision's text (about eight pages): ``Text``
(must say something) and ``Description`` (may be empty)."""

TEXTS_MAX: Final = 100
"""Texts in one list: an agenda's points, a process's ground rules."""
IDS_MAX: Final = 1_000
"""Ids in one list: attendees, eligible participants, the plans a decision or an input concerns."""
ITEMS_MAX: Final = 500
"""Parts in one list: a decision's amendments, a ranking, a ballot's dots, a recommendation's items."""
NUMBER_DIGITS_MAX: Final = 30
"""Digits of an exact number (``Number``)."""

MAX_ENVELOPE_BYTES: Final = 256 * 1024
"""The largest envelope, in bytes of its canonical JSON with its signature: 256 KiB.

NATS refuses a message over its ``max_payload`` (planspor's stack sets 4 MiB; the
default is 1 MiB), and a relay that cannot publish an event cannot publish the ones after
it either. 256 KiB is far above any real event (a full 20,000-character text is at most
80 KB of UTF-8) and far below the broker's limit.
"""
SIGNATURE_RESERVE_BYTES: Final = 512
"""What the relay's signature adds to an envelope at most (``{"signature":{...}}`` with a key name of up to
``ID_MAX`` characters); the application base counts it before the relay signs."""
