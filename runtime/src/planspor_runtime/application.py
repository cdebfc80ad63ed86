"""The event-sourced application base every domain service runs: one way to run a command.

A command goes get -> call -> save, and this base fixes what happens around it:

- **A refused command stores nothing.** Aggregates are saved once, after every rule passed,
  in one transaction with the idempotency record.
- **Optimistic concurrency.** ``expected_version`` (from ``If-Match``) that is not the stored
  version, or a concurrent save of the same aggregate, raises ``ConcurrencyConflict`` (409).
- **Idempotency, one rule.** A command given a key stores its result in an
  ``IdempotencyRecord`` (id uuid5 of the key) in the same transaction as its events. The
  fingerprint is the SHA-256 of the canonical JSON of the command's name, its request and its
  ``expected_version``: the same key with the same fingerprint returns the first result and
  acts once; with another fingerprint it is refused (``IdempotencyKeyReused``, 422).
- **The result carries the recorded version** (the ETag) of the aggregate the command changed,
  taken from the saved aggregate itself, never re-read.
- **Library errors become refusals** at this boundary: a missing aggregate is ``AggregateNotFound``
  (404), an integrity error ``ConcurrencyConflict``, a store that cannot be reached
  ``StoreUnavailable`` (503, retry later), a full disk ``StoreFull`` (503, rule ``store.full``).
- **Nothing the relay cannot publish is stored.** Given the mapper the relay publishes with
  (``publishes``), every event a command records is mapped and sealed as the relay would seal
  it before it is stored: an integration event the contracts refuse (a value over its maximum)
  is ``EventRefused`` with rule ``event.invalid`` (422), an envelope over ``MAX_ENVELOPE_BYTES``
  (256 KiB, well under the broker's message limit) ``EventRefused`` with rule ``event.too_large``
  (422). A relay that cannot publish an event cannot publish the ones after it either.
- **New commits are announced** to listeners (``subscribe_commits``): the relay is woken by it
  instead of waiting for its next poll.
- **Only the given environment configures persistence**: settings are the one reader of ``os.environ``.
- **A command reads what changed since, not the whole history.** The repository keeps up to
  ``AGGREGATE_CACHE`` aggregates in memory and brings a cached one up to date with the events stored
  after its version (another process's saves included), and a command works on a copy: a refused
  command leaves the cached aggregate as stored. The reads of a process take turns
  (``planspor_runtime.persistence.CachedRepository``), so no copy is taken while another read brings
  the same aggregate up to date. A workshop's hundredth input no longer replays the ninety-nine before it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent, Repository
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, JSONTranscoder, PersistenceError, Recording, Transcoding
from eventsourcing.utils import Environment, get_topic
from pydantic import ValidationError

from planspor_runtime.persistence import CachedRepository, DateAsISO, MetaAsDict
from planspor_runtime.refusals import (
    NO_SPACE as NO_SPACE,
)
from planspor_runtime.refusals import (  # re-exported: the services import them from here
    AggregateNotFound as AggregateNotFound,
)
from planspor_runtime.refusals import (
    ApplicationRefusal as ApplicationRefusal,
)
from planspor_runtime.refusals import (
    ConcurrencyConflict as ConcurrencyConflict,
)
from planspor_runtime.refusals import (
    EventRefused as EventRefused,
)
from planspor_runtime.refusals import (
    IdempotencyKeyReused as IdempotencyKeyReused,
)
from planspor_runtime.refusals import (
    StoreFull as StoreFull,
)
from planspor_runtime.refusals import (
    StoreUnavailable as StoreUnavailable,
)
from planspor_runtime.refusals import (
    store_error as store_error,
)
from planspor_shared.canonical import GENESIS_HASH, canonical_json
from planspor_shared.envelope import Envelope
from planspor_shared.events import IntegrationEvent, describe_validation_error
from planspor_shared.limits import MAX_ENVELOPE_BYTES, SIGNATURE_RESERVE_BYTES
from planspor_shared.meta import Meta

log = logging.getLogger("planspor.command")

A = TypeVar("A", bound=Aggregate)

COMMAND_ATTEMPTS = 5
"""How often a command without an expected version is run when concurrent saves keep beating it."""
AGGREGATE_CACHE = 1000
"""How many aggregates a service process keeps in memory (least recently used first out)."""
IDEMPOTENCY_NAMESPACE = UUID("9a3f0c52-7d41-5b8e-a6c3-2f1e4d9b7c60")


# --------------------------------------------------------------------------- results


@dataclasses.dataclass(frozen=True)
class Changed:
    """What a command's ``run`` hands back: the aggregates to save and whose version the caller gets.

    ``primary`` is saved with ``others``; the result's version is ``primary``'s after the
    command. ``id`` is what the caller gets as the result's id when it is not the primary's
    (an item inside a strategy, a participant inside a process). ``extra`` holds further
    JSON values of the answer (ids the command made, a new phase).
    """

    primary: Aggregate
    others: Sequence[Aggregate] = ()
    id: UUID | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class CommandResult:
    """The id a command created or changed, and the recorded version of its aggregate (the ETag)."""

    id: UUID
    version: int
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    repeated: bool = dataclasses.field(default=False, compare=False)
    """The first answer to the same Idempotency-Key, given again: the command did not act this time."""

    def as_record(self) -> dict[str, Any]:
        return {"id": str(self.id), "version": self.version, "extra": dict(self.extra)}

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> CommandResult:
        return cls(id=UUID(str(data["id"])), version=int(data["version"]), extra=dict(data.get("extra") or {}))


class IdempotencyRecord(Aggregate):
    """The first result of a command sent with an Idempotency-Key; its id is uuid5 of the key."""

    if TYPE_CHECKING:  # the event class eventsourcing makes of the @event method below
        Recorded: ClassVar[type[Aggregate.Created]]

    @staticmethod
    def create_id(key: str) -> UUID:
        """eventsourcing calls this with the constructor's ``key``: one record per key, whoever saves first."""
        return uuid5(IDEMPOTENCY_NAMESPACE, f"idempotency:{key}")

    id_for = create_id

    @event("Recorded")
    def __init__(self, *, key: str, command: str, fingerprint: str, result: dict[str, Any]) -> None:
        self.key = key
        self.command = command
        self.fingerprint = fingerprint
        self.result = result


NOT_OF_THE_REQUEST = frozenset({"self", "meta", "idempotency_key", "expected_version"})


def request_of(arguments: Mapping[str, Any], *, omit: Iterable[str] = (), **made: Any) -> dict[str, Any]:
    """A command's request, for its fingerprint: its arguments (``locals()``, the command's first statement),
    but not who asks (``meta``), its key or the version it expects (the fingerprint takes that apart), nor
    ``omit``; ``made`` replaces an argument by what the command makes of it."""
    skip = NOT_OF_THE_REQUEST | set(omit)
    return {**{name: value for name, value in arguments.items() if name not in skip}, **made}


def fingerprint(command: str, request: Mapping[str, Any], expected_version: int | None) -> str:
    """What makes two requests the same: the command, its request and the version it expects."""
    body = {"command": command, "request": _plain(request), "expected_version": expected_version}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


# --------------------------------------------------------------------------- what the relay will publish


class Publishable(Protocol):
    """What the relay's mapper makes of a domain event (``planspor_runtime.relay.Outgoing``)."""

    @property
    def event_id(self) -> UUID: ...
    @property
    def payload(self) -> IntegrationEvent: ...
    @property
    def aggregate_id(self) -> str: ...
    @property
    def aggregate_version(self) -> int: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def actor(self) -> Mapping[str, Any]: ...
    @property
    def correlation_id(self) -> str | None: ...
    @property
    def causation_id(self) -> str | None: ...


PublishingMapper = Callable[[Any], Sequence[Publishable]]
LARGEST_POSITION = 10**15
"""The position a size check seals with: more digits than any real log will reach."""


def check_publishable(source: str, mapper: PublishingMapper, domain_events: Iterable[Any]) -> None:
    """Map and seal each domain event as the relay will; ``EventRefused`` if the relay could not publish it."""
    for domain_event in domain_events:
        try:
            outgoing = mapper(domain_event)
            envelopes = [
                Envelope.seal(
                    GENESIS_HASH,
                    event_id=out.event_id,
                    source=source,
                    position=LARGEST_POSITION,
                    aggregate_id=out.aggregate_id,
                    aggregate_version=out.aggregate_version,
                    occurred_at=out.occurred_at,
                    actor=dict(out.actor),
                    correlation_id=out.correlation_id,
                    causation_id=out.causation_id,
                    payload=out.payload,
                )
                for out in outgoing
            ]
        except ValidationError as error:
            raise EventRefused(
                "event.invalid",
                f"the event this command records breaks its contract: {describe_validation_error(error)}; "
                "nothing was stored",
            ) from None
        for envelope in envelopes:
            size = envelope.size() + SIGNATURE_RESERVE_BYTES
            if size > MAX_ENVELOPE_BYTES:
                raise EventRefused(
                    "event.too_large",
                    f"the {envelope.event_type} event this command records would be {size} bytes; an event may have "
                    f"at most {MAX_ENVELOPE_BYTES} (256 KiB, under the broker's message limit): shorten its texts; "
                    "nothing was stored",
                )


# --------------------------------------------------------------------------- the base


CommitListener = Callable[[], None]


class ServiceApplication(Application[UUID]):
    """The base of a domain service's application (see the module's docstring for its guarantees)."""

    log_section_size = 1000
    env: ClassVar[dict[str, str]] = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    transcodings: ClassVar[tuple[Transcoding, ...]] = ()
    """The domain's own value types, beside dates and ``Meta``."""
    labels: ClassVar[Mapping[type[Aggregate], str]] = {}
    """How an aggregate class is named in messages (``PlanStrategy`` -> ``strategy``)."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._listeners: list[CommitListener] = []
        self._listeners_lock = threading.Lock()
        self._commands = threading.RLock()
        self._publication: tuple[str, PublishingMapper] | None = None
        super().__init__(env=dict(env or {}))

    def publishes(self, source: str, mapper: PublishingMapper) -> None:
        """From now on, refuse to record an event that ``mapper`` (the relay's) could not publish as ``source``."""
        self._publication = (source, mapper)

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        merged = dict(type(self).env)
        merged.update(env or {})
        return Environment(name, merged)

    def construct_repository(self) -> Repository[UUID]:
        return CachedRepository(self.events, snapshot_store=self.snapshots, cache_maxsize=AGGREGATE_CACHE)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in (DateAsISO(), MetaAsDict(), *self.transcodings):
            transcoder.register(transcoding)

    # ------------------------------------------------------------------ commits

    def subscribe_commits(self, listener: CommitListener) -> Callable[[], None]:
        """Call ``listener`` (from the committing thread) after each commit; returns the unsubscribe."""
        with self._listeners_lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        """Every store of events passes here (commands and reactions): what the relay could not publish is refused."""
        if self._publication is not None:
            check_publishable(*self._publication, processing_event.events)
        return super()._record(processing_event)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        try:
            recordings = super().save(*objs, **kwargs)
        except IntegrityError:
            raise
        except PersistenceError as error:
            raise store_error(error) from None
        if recordings:
            with self._listeners_lock:
                listeners = list(self._listeners)
            for listener in listeners:
                listener()
        return recordings

    # ------------------------------------------------------------------ reads

    def label(self, kind: type[Aggregate]) -> str:
        return self.labels.get(kind, kind.__name__.lower())

    def get(self, kind: type[A], aggregate_id: UUID | str, expected_version: int | None = None) -> A:
        """The aggregate of ``kind`` with that id, at ``expected_version`` if given."""
        label = self.label(kind)
        try:
            uuid = aggregate_id if isinstance(aggregate_id, UUID) else UUID(str(aggregate_id))
            aggregate: Aggregate = self.repository.get(uuid)
        except (AggregateNotFoundError, ValueError):
            raise AggregateNotFound(f"{label}.exists", f"no {label} with id {aggregate_id}") from None
        except PersistenceError as error:
            raise StoreUnavailable(f"the event store cannot be reached ({type(error).__name__})") from None
        if not isinstance(aggregate, kind):
            raise AggregateNotFound(f"{label}.exists", f"no {label} with id {aggregate_id}")
        if expected_version is not None and aggregate.version != expected_version:
            raise ConcurrencyConflict(
                f"{label} {aggregate_id} is at version {aggregate.version}, not {expected_version}: "
                "reload it and try again"
            )
        return aggregate

    def ids_created(self, created: Iterable[type[Any]], *, limit: int | None = None) -> Iterator[UUID]:
        """Ids of the aggregates whose first event is one of ``created``, in order of creation."""
        topics = [get_topic(cls) for cls in created]
        start, seen = 1, 0
        while limit is None or seen < limit:
            notifications = self.notification_log.select(start=start, limit=self.log_section_size, topics=topics)
            if not notifications:
                return
            for notification in notifications:
                # the recorders give back the UUIDs this application's aggregates are stored under
                originator = notification.originator_id
                yield originator if isinstance(originator, UUID) else UUID(originator)
                seen += 1
                if limit is not None and seen >= limit:
                    return
            start = notifications[-1].id + 1

    def created_page(
        self, created: Iterable[type[Any]], *, limit: int, after: int = 0
    ) -> tuple[list[UUID], int | None]:
        """At most ``limit`` ids of the aggregates created (first event one of ``created``) after the notification
        ``after``, in order of creation, and the notification to continue after (None when none is left): a keyset
        on the append-only log, so a page stays the same while aggregates are added."""
        topics = [get_topic(cls) for cls in created]
        found: list[tuple[int, UUID]] = []
        start = after + 1
        while len(found) <= limit:
            notifications = self.notification_log.select(start=start, limit=self.log_section_size, topics=topics)
            if not notifications:
                break
            for notification in notifications:
                originator = notification.originator_id
                found.append((notification.id, originator if isinstance(originator, UUID) else UUID(originator)))
            start = notifications[-1].id + 1
        more = len(found) > limit
        return [uuid for _, uuid in found[:limit]], (found[limit - 1][0] if more else None)

    def history(self, aggregate_id: UUID | str) -> list[dict[str, Any]]:
        """The stored events of an aggregate as plain data, oldest first."""
        try:
            uuid = aggregate_id if isinstance(aggregate_id, UUID) else UUID(str(aggregate_id))
        except ValueError:
            raise AggregateNotFound("aggregate.exists", f"no aggregate with id {aggregate_id}") from None
        events = list(self.events.get(uuid))
        if not events:
            raise AggregateNotFound("aggregate.exists", f"no aggregate with id {aggregate_id}")
        return [event_as_dict(e) for e in events]

    # ------------------------------------------------------------------ commands

    def command(
        self,
        name: str,
        request: Mapping[str, Any],
        run: Callable[[], Changed],
        *,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Run ``run`` once per idempotency key and save what it changed in one transaction.

        A command that names no version (no ``If-Match``) did not claim to have seen the aggregate in a given
        state: when another command saved the same aggregate between its read and its save, it is run again on
        the new state (its rules checked again), a few times, before the conflict is answered with 409. Two
        facilitators entering inputs of one workshop at once both succeed. A command that names its version
        is never run again: the 409 is its answer.

        The commands of one process are applied one at a time (the route handlers run in a thread pool):
        two commands on one growing aggregate no longer read it at once, so within a process they never
        conflict; the retries are for other processes writing the same store.
        """
        with self._commands:
            return self._command_with_retries(name, request, run, idempotency_key, expected_version)

    def _command_with_retries(
        self,
        name: str,
        request: Mapping[str, Any],
        run: Callable[[], Changed],
        idempotency_key: str | None,
        expected_version: int | None,
    ) -> CommandResult:
        ran: list[Aggregate] = []

        def fresh() -> Changed:
            changed = run()
            ran.append(changed.primary)
            if len(ran) >= 2 and ran[-1] is ran[-2]:
                raise ConcurrencyConflict("the aggregate was changed concurrently: reload it and try again")
            return changed

        for attempt in range(1, COMMAND_ATTEMPTS + 1):
            try:
                return self._command_once(name, request, fresh, idempotency_key, expected_version)
            except ConcurrencyConflict:
                # a ``run`` that hands back the aggregate it was given, not one read again, cannot be run again
                again_the_same = len(ran) >= 2 and ran[-1] is ran[-2]
                if expected_version is not None or attempt == COMMAND_ATTEMPTS or again_the_same:
                    raise
                time.sleep(random.uniform(0, 0.002 * 2**attempt))  # apart, so the two do not meet again
        raise AssertionError("unreachable")

    def _command_once(
        self,
        name: str,
        request: Mapping[str, Any],
        run: Callable[[], Changed],
        idempotency_key: str | None,
        expected_version: int | None,
    ) -> CommandResult:
        if not idempotency_key:
            changed = run()
            result = self._result(changed)
            self._save(changed)
            return _logged(name, result, "command.recorded")
        record_id = IdempotencyRecord.id_for(idempotency_key)
        print_ = fingerprint(name, request, expected_version)
        earlier = self._earlier(record_id, idempotency_key, print_)
        if earlier is not None:
            return _logged(name, dataclasses.replace(earlier, repeated=True), "command.repeated")
        changed = run()
        result = self._result(changed)
        record = IdempotencyRecord(key=idempotency_key, command=name, fingerprint=print_, result=result.as_record())
        try:
            self._save(changed, record)
        except ConcurrencyConflict:
            earlier = self._earlier(record_id, idempotency_key, print_)
            if earlier is not None:
                return _logged(name, dataclasses.replace(earlier, repeated=True), "command.repeated")
            raise
        return _logged(name, result, "command.recorded")

    @staticmethod
    def _result(changed: Changed) -> CommandResult:
        return CommandResult(
            id=changed.id or changed.primary.id, version=changed.primary.version, extra=dict(changed.extra)
        )

    def _save(self, changed: Changed, *more: Aggregate) -> None:
        try:
            self.save(changed.primary, *changed.others, *more)
        except IntegrityError:
            raise ConcurrencyConflict("the aggregate was changed concurrently: reload it and try again") from None

    def _earlier(self, record_id: UUID, key: str, print_: str) -> CommandResult | None:
        try:
            record: IdempotencyRecord = self.repository.get(record_id)
        except AggregateNotFoundError:
            return None
        except PersistenceError as error:
            raise StoreUnavailable(f"the event store cannot be reached ({type(error).__name__})") from None
        if record.fingerprint != print_:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {key!r} was first used for a different request ({record.command}): "
                "use a new key for a new request"
            )
        return CommandResult.from_record(record.result)


def _logged(name: str, result: CommandResult, event: str) -> CommandResult:
    """One line per command (its correlation id comes from the request's bound context)."""
    log.info(
        "%s %s: %s version %d",
        name,
        "recorded" if event == "command.recorded" else "answered as before (same Idempotency-Key)",
        result.id,
        result.version,
        extra={"event": event, "command": name, "aggregate": str(result.id), "version": result.version},
    )
    return result


# --------------------------------------------------------------------------- plain data of stored events


def plain(value: Any) -> Any:
    """A stored value as JSON data (for history and read views)."""
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Meta):
        return value.as_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return value


def attributes(obj: Any, names: str) -> dict[str, Any]:
    """These (space-separated) attributes of an aggregate as plain JSON data, under their own names: the part of
    a read view that is the aggregate's state as it is (``{**attributes(plan, "name status"), ...}``)."""
    return {name: plain(getattr(obj, name)) for name in names.split()}


_ENVELOPE_FIELDS = ("originator_id", "originator_version", "timestamp", "originator_topic", "meta")


def event_as_dict(domain_event: Any) -> dict[str, Any]:
    """One stored domain event: its type, version, recorded time, who and why, and its data."""
    meta = getattr(domain_event, "meta", None)
    return {
        "aggregate_id": str(domain_event.originator_id),
        "type": type(domain_event).__qualname__,
        "version": domain_event.originator_version,
        "timestamp": domain_event.timestamp.isoformat(),
        "actor": meta.actor.as_dict() if isinstance(meta, Meta) else None,
        "correlation_id": meta.correlation_id if isinstance(meta, Meta) else None,
        "causation_id": meta.causation_id if isinstance(meta, Meta) else None,
        "data": {k: plain(v) for k, v in vars(domain_event).items() if k not in _ENVELOPE_FIELDS},
    }
